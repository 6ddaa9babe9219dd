"""`ltx-notebook lab` without JupyterLab: one line saying to install `[lab]`, first.

A `pip install "ltx-notebook[emulator]"` has the demo but not JupyterLab. The demo ends by
suggesting `ltx-notebook lab`; there it must not start an emulator for nothing and then fail
on "No module named jupyterlab".
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ltx_notebook._cli import needs

# JupyterLab is installed here; the command is run with it made unimportable (None in
# sys.modules), and a stand-in that fails as the missing module would for `-m jupyterlab`.
WITHOUT_LAB = (
    "import sys; sys.modules['jupyterlab'] = None; "
    "from ltx_notebook._cli import main; sys.exit(main())"
)


def test_lab_without_jupyterlab_says_install_lab_before_starting_anything(tmp_path: Path) -> None:
    stand_in = tmp_path / "shadow"
    stand_in.mkdir()
    (stand_in / "jupyterlab.py").write_text(
        "import sys\nsys.exit('No module named jupyterlab')\n", encoding="utf-8"
    )
    proc = subprocess.run(
        [sys.executable, "-c", WITHOUT_LAB, "lab", "--dir", str(tmp_path)],
        env={"PYTHONPATH": str(stand_in), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout == "", proc.stdout  # no emulator started
    err = proc.stderr.strip()
    assert "\n" not in err, err
    assert err.startswith("ltx-notebook lab: needs jupyterlab"), err
    assert 'pip install "ltx-notebook[lab]"' in err


def test_the_demo_says_what_playing_in_lab_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jupyterlab", None)
    hint = needs.play_in_lab(Path("build"))
    assert 'pip install "ltx-notebook[lab]"' in hint
    assert "ltx-notebook lab --dir build" in hint


def test_the_demo_suggests_lab_as_is_when_it_is_installed() -> None:
    hint = needs.play_in_lab(Path("build"))
    assert "pip install" not in hint
    assert "`ltx-notebook lab --dir build`" in hint

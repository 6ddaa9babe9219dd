"""The layer rule is checked by import-linter (``lint-imports``, configured in pyproject.toml).

These tests make sure the check itself bites: an import planted against the
order, in any of the forms Python allows, must break a contract.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Each test re-runs import-linter on a scratch copy of the package: seconds apiece.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH puts the scratch copy ahead of the installed (editable) package.
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "ltx_notebook",
        tmp_path / "ltx_notebook",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_package_keeps_every_contract(scratch: Path) -> None:
    result = _lint(scratch)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


PLANTED = {
    "module level": "from .._magic import magics as _planted\n",
    "from-package form": "from .. import _view as _planted\n",
    "inside a function": "def _planted() -> None:\n    from .._jobs import session  # noqa: F401\n",
    "under TYPE_CHECKING": (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..widgets import Gallery\n"
    ),
    "an absolute import": "import ltx_notebook._storage.store as _planted\n",
}


@pytest.mark.parametrize("form", list(PLANTED))
def test_an_upward_import_in_any_form_breaks_the_layers(scratch: Path, form: str) -> None:
    params = scratch / "ltx_notebook" / "_core" / "params.py"
    params.write_text(params.read_text() + "\n\n" + PLANTED[form])
    result = _lint(scratch)
    assert result.returncode != 0, result.stdout
    assert "Each folder imports only the folders below it BROKEN" in result.stdout


def test_a_circle_inside_a_folder_is_caught(scratch: Path) -> None:
    plan = scratch / "ltx_notebook" / "_jobs" / "sweeps" / "plan.py"
    plan.write_text(plan.read_text() + "\n\ndef _planted() -> None:\n    from . import sweep\n")
    result = _lint(scratch)
    assert result.returncode != 0, result.stdout
    assert "No circle between the modules of a folder BROKEN" in result.stdout


def test_a_room_of_jobs_reaching_up_is_caught(scratch: Path) -> None:
    # The poll schedule is a leaf: asking the session (above it) would tie the rooms in a knot.
    schedule = scratch / "ltx_notebook" / "_jobs" / "poll" / "schedule.py"
    schedule.write_text(
        schedule.read_text() + "\n\ndef _planted() -> None:\n    from .. import session\n"
    )
    result = _lint(scratch)
    assert result.returncode != 0, result.stdout
    assert "Inside _jobs, each room imports only the rooms below it BROKEN" in result.stdout


def test_the_emulator_may_not_borrow_the_clients_schema(scratch: Path) -> None:
    engine = scratch / "ltx_notebook" / "emulator" / "_engine.py"
    engine.write_text(engine.read_text() + "\n\nfrom .._core.params import MODELS as _planted\n")
    result = _lint(scratch)
    assert result.returncode != 0, result.stdout
    assert "The emulator stands alone" in result.stdout

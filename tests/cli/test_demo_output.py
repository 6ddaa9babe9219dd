"""`ltx-notebook demo` (what `make demo` runs) leaves a notebook whose video plays.

The demo runs as a pip user would run it: the package is built into a wheel
and installed (without its dependencies, which this environment has) into a
folder of its own, and the demo is started in an empty folder outside the
repository, with no options. Its executed notebook is checked by its file, and
its HTML export is opened from disk in Chromium, where the video must play.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ltx_notebook._cli import demo
from ltx_notebook._cli.main import main
from tests.conftest import poster_ok

ROOT = Path(__file__).resolve().parents[2]
RUN_CLI = "import sys; from ltx_notebook._cli import main; sys.exit(main())"


def _uv() -> str | None:
    """uv as make bootstraps it (.tools/), or as the developer has it."""
    for candidate in (os.environ.get("UV"), str(ROOT / ".tools" / "bin" / "uv"), "uv"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


def _run(command: list[str]) -> None:
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{' '.join(command)}\n{proc.stdout}{proc.stderr}"


def _installed_wheel(tmp: Path) -> Path:
    """The package built into a wheel and installed alone into *tmp*/site (no deps)."""
    uv = _uv()
    if uv is None:
        if os.environ.get("CI"):
            pytest.fail("uv not found: make bootstraps it into .tools/")
        pytest.skip("uv not found (make bootstraps it into .tools/; or set UV)")
    wheels, site = tmp / "wheels", tmp / "site"
    build = [uv, "build", "--wheel", "--out-dir", str(wheels), str(ROOT)]
    _run(build)
    (wheel,) = wheels.glob("ltx_notebook-*.whl")
    install = [uv, "pip", "install", "--python", sys.executable, "--no-deps"]
    install += ["--target", str(site), str(wheel)]
    _run(install)
    return site


@pytest.fixture(scope="module")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("demo")
    site = _installed_wheel(tmp)
    # An empty folder outside the repository: only the installed package can help.
    here = tmp / "anywhere"
    here.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    # The demo and its kernel (which inherits this environment) import the wheel's copy.
    where = subprocess.run(
        [sys.executable, "-c", "import ltx_notebook; print(ltx_notebook.__file__)"],
        cwd=here,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(site)), where.stdout
    proc = subprocess.run(
        [sys.executable, "-c", RUN_CLI, "demo", "--speed", "50"],
        cwd=here,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "COMPLETED" in proc.stdout and "1 job(s)" in proc.stdout
    assert "the emulator took 1 submit(s)" in proc.stdout, proc.stdout
    return here / "build"


def test_the_packaged_quickstart_is_the_repositorys() -> None:
    # One notebook in two places: notebooks/ for readers and `make lab`, the package for pip.
    packaged = demo.QUICKSTART.read_bytes()
    assert packaged == (ROOT / "notebooks" / "quickstart.ipynb").read_bytes(), (
        "cp notebooks/quickstart.ipynb ltx_notebook/_cli/notebooks/quickstart.ipynb"
    )


def test_demo_names_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "nbclient", None)
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    assert main(["demo"]) == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0, err
    assert 'pip install "ltx-notebook[emulator]"' in err


def test_demo_refuses_a_missing_notebook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--notebook", str(tmp_path / "nope.ipynb")]) == 2
    assert "no notebook at" in capsys.readouterr().err


@pytest.mark.kernel  # the demo runs the notebook in one
def test_executed_notebook_refers_to_a_video_that_exists(demo_build: Path) -> None:
    nb = json.loads((demo_build / "quickstart.ipynb").read_text())
    htmls = [
        "".join(out["data"]["text/html"])
        for cell in nb["cells"]
        for out in cell.get("outputs", [])
        if "text/html" in out.get("data", {})
    ]
    videos = [h for h in htmls if "<video" in h]
    assert videos, "no <video> in the executed notebook"
    src = videos[0].split('src="', 1)[1].split('"', 1)[0]
    assert not src.startswith(("http", "/", "data:")), src  # relative: plays after expiry
    assert (demo_build / src).is_file()
    poster = videos[0].split('poster="', 1)[1].split('"', 1)[0]
    assert poster_ok(poster, demo_build)


def test_a_demo_run_again_in_its_folder_sends_nothing(demo_build: Path) -> None:
    # Run again where it ran (the tests after this one see the re-run's files, which must
    # do as well): the store holds the demo's job, and the re-run guard keys on the service.
    again = demo_build.parent
    proc = subprocess.run(
        [sys.executable, "-c", RUN_CLI, "demo", "--speed", "50"],
        cwd=again,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Counted at the emulator: it took no submit this time, and the store has one job.
    assert "the emulator took 0 submit(s)" in proc.stdout, proc.stdout
    assert "1 job(s)" in proc.stdout, proc.stdout
    nb = json.loads((again / "build" / "quickstart.ipynb").read_text())
    text = json.dumps(nb)
    assert "same request as job 1" in text
    assert "<video" in text


@pytest.mark.browser
def test_html_export_plays_in_chromium(demo_build: Path, page) -> None:
    # Opened as a person would: the file on disk, moved elsewhere with its media folder.
    moved = demo_build.parent / "shared-copy"
    shutil.copytree(demo_build, moved, ignore=shutil.ignore_patterns("emulator"))
    page.goto((moved / "quickstart.html").as_uri())
    page.locator("video").first.scroll_into_view_if_needed()
    page.evaluate(
        "async () => { const v = document.querySelector('video'); v.muted = true; await v.play(); }"
    )
    page.wait_for_function(
        "() => { const v = document.querySelector('video'); "
        "return v.readyState >= 2 && v.currentTime > 0.5; }",
        timeout=20_000,
    )
    state = page.evaluate(
        "() => { const v = document.querySelector('video'); "
        "return {duration: v.duration, width: v.videoWidth, error: v.error && v.error.code}; }"
    )
    assert state["error"] is None
    assert abs(state["duration"] - 6) < 0.5
    assert state["width"] == 1920  # the demo renders at true 1080p

"""`ltx-notebook demo` (what `make demo` runs) leaves a notebook whose video plays.

The demo is run as a real subprocess of the console script, in a temporary
folder; its executed notebook is checked by its file, and its HTML export is
opened from disk in Chromium, where the video must play.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import poster_ok

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "build"
    script = Path(sys.executable).with_name("ltx-notebook")
    proc = subprocess.run(
        [str(script), "demo", "--out", str(out), "--speed", "50"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "COMPLETED" in proc.stdout and "1 job(s)" in proc.stdout
    return out


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

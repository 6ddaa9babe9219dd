"""The site's pictures of the panel and of a finished cell, taken from the real thing.

JupyterLab in headless Chromium runs a ``%%ltx`` cell against an emulator: one
picture while the panel follows the job, one once the video has replaced it.
They always land in test-artifacts/ (docs-lab-panel.png, docs-lab-video.png);
``make docs-images`` (``LTX_DOCS_IMAGES=1``) also writes them over
docs/images/lab-panel.png and lab-video.png, which the README and the site show.
Look at them before committing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness.lab import ARTIFACTS_DIR, Lab

pytestmark = pytest.mark.browser

DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
KEY = "sk-docs-0123456789abcdef"
PROMPT = "A lighthouse on a cliff at dusk, waves crashing below, warm light sweeping the sea"


@pytest.fixture
def docs_lab(page: Any, lab_server_factory: Any, render_cache: Path) -> Iterator[Lab]:
    """JupyterLab on an emulator rendering at half size, so the picture is sharp enough."""
    from ltx_notebook.emulator import Emulator, EmulatorConfig

    config = EmulatorConfig(
        speed=7, render_scale=0.5, api_key=KEY, seed=3, data_dir=render_cache, preset="ultrafast"
    )
    with Emulator(config) as emu:
        server = lab_server_factory(
            extra_env={"SEGMIND_BASE_URL": emu.base_url, "SEGMIND_API_KEY": KEY}
        )
        lab = Lab(page, server)
        try:
            yield lab
        finally:
            server.shutdown_kernels()


def _notebook_shot(lab: Lab, name: str, last_cell: int) -> Path:
    """The notebook (toolbar included) down to the end of *last_cell*."""
    nb = lab.notebook.bounding_box()
    cell = lab.cell(last_cell).bounding_box()
    assert nb and cell
    bottom = min(cell["y"] + cell["height"] + 12, nb["y"] + nb["height"])
    clip = {"x": nb["x"], "y": nb["y"], "width": nb["width"], "height": bottom - nb["y"]}
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS_DIR / f"{name}.png"
    lab.page.mouse.move(0, 0)
    lab.page.screenshot(path=str(path), clip=clip, caret="hide")
    assert path.stat().st_size > 10_000, path
    if os.environ.get("LTX_DOCS_IMAGES") == "1":
        shutil.copyfile(path, DOCS_IMAGES / f"{name.removeprefix('docs-')}.png")
    return path


def test_panel_and_finished_cell_pictures(docs_lab: Lab) -> None:
    lab = docs_lab
    lab.server.write_notebook("first.ipynb", ["%load_ext ltx_notebook", f"%%ltx -d 6\n{PROMPT}"])
    lab.open_notebook("first.ipynb")
    lab.run_all()

    # The panel while the service renders, a few seconds in: the state most people see.
    out = lab.cell_output(1)
    lab.page.wait_for_function(
        """(el) => {
             const pill = el.querySelector('.ltx-panel .ltx-pill');
             const t = el.querySelector('.ltx-panel .ltx-elapsed');
             if (!pill || !t || pill.dataset.state !== 'PROCESSING') return false;
             const [m, s] = t.textContent.split(':').map(Number);
             return m * 60 + s >= 3;
           }""",
        arg=out.element_handle(),
        timeout=60_000,
    )
    _notebook_shot(lab, "docs-lab-panel", 1)

    # Then the video in its place, paused on a frame from the middle of the clip.
    video = out.locator("video")
    video.wait_for(state="attached", timeout=90_000)
    out.locator(".ltx-panel").wait_for(state="detached", timeout=10_000)
    state = lab.wait_media_loaded(video)
    assert state["error"] is None and state["duration"] == pytest.approx(6, abs=0.5), state
    handle = video.element_handle()
    video.evaluate("(v) => { v.pause(); v.currentTime = 2.0; }")
    lab.page.wait_for_function("(v) => !v.seeking && v.readyState >= 3", arg=handle)
    # The player's loading spinner outlasts the seek by a few frames: let it go first.
    lab.page.wait_for_timeout(800)
    assert "ltx-2-pro" in out.inner_text()
    _notebook_shot(lab, "docs-lab-video", 1)
    assert lab.external_requests == []

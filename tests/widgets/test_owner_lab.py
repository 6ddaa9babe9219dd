"""A teammate's clip in JupyterLab (headless Chromium): the gallery names its owner, readably.

Two finished jobs in one store, one of them bo's: the live gallery's headings say
``by bo`` and ``by <you>``, whole and inside their tiles.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ltx_notebook import Session, Settings, validate
from ltx_notebook._core.config import Secret, get_settings
from tests.conftest import API_KEY, make_emulator
from tests.harness.lab import Lab, LabServer

pytestmark = pytest.mark.browser

SHOW = (
    "import ltx_notebook\n"
    "g = ltx_notebook.gallery(ltx_notebook.history(), row=None, col=None, width='520px')\n"
    "g"
)


def _two_clips(render_cache: Path, folder: Path) -> None:
    media = folder / "ltx_media"
    with make_emulator(render_cache) as emu:
        session = Session(
            Settings(
                api_key=Secret(API_KEY),
                base_url=emu.base_url,
                media_dir=media,
                store_path=media / "ltx-jobs.sqlite",
            )
        )
        try:
            jobs = [session.submit(validate(prompt=p)) for p in ("a heron", "a red fox at dusk")]
            for job in jobs:
                assert job.wait(60).video_path is not None
            session.store.update(jobs[0].id, owner="bo")
        finally:
            session.runtime.stop()


def test_the_gallery_names_a_teammates_clip(
    lab: Lab, jupyter_lab: LabServer, render_cache: Path
) -> None:
    folder = jupyter_lab.root_dir / "team"
    _two_clips(render_cache, folder)
    jupyter_lab.write_notebook("team/review.ipynb", [SHOW])
    lab.open_notebook("team/review.ipynb")
    lab.run_cell(0)

    gal = lab.cell_output(0).locator(".ltx-gallery")
    gal.wait_for(state="visible")
    headings = gal.locator(".ltx-heading")
    assert headings.count() == 2
    texts = headings.all_inner_texts()
    assert any("by bo" in t for t in texts), texts
    assert any(f"by {get_settings().user}" in t for t in texts), texts
    # Whole and inside its tile: the heading wraps rather than spilling over.
    fits = headings.evaluate_all(
        "(hs) => hs.every((h) => h.scrollWidth <= h.clientWidth + 1 &&"
        " h.getBoundingClientRect().right <="
        " h.closest('.ltx-tile').getBoundingClientRect().right + 1)"
    )
    assert fits
    lab.screenshot("gallery-owner", locator=gal)

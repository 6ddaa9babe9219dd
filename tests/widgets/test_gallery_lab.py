"""The review gallery in JupyterLab (headless Chromium): 4 clips, synced playback, a rating.

The four clips are made in the pytest process against the emulator, into a store and media
folder under the lab root (``gallery/ltx_media``), which is where a kernel started for
``gallery/review.ipynb`` finds them by default (``ltx_media/`` in its working directory).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from playwright.sync_api import expect

from ltx_notebook import Session, Settings, validate
from ltx_notebook._core.config import Secret
from ltx_notebook._storage.store import Store
from tests.conftest import API_KEY, make_emulator
from tests.harness.lab import Lab, LabServer

pytestmark = pytest.mark.browser

SHOW = (
    "import ltx_notebook\n"
    "from ltx_notebook.widgets._gallery import gallery\n"
    'g = gallery(ltx_notebook.history(), row="resolution", col="duration", width="760px")\n'
    "g"
)
HISTORY = (
    'rated = ltx_notebook.history()["rating"].dropna()\n'
    "print({int(k): int(v) for k, v in rated.items()})"
)

ALL_READY = "(vs) => vs.length === 4 && vs.every((v) => v.readyState >= 2 && !v.seeking)"
TIMES = "(vs) => vs.map((v) => v.currentTime)"


def _make_clips(render_cache: Path, folder: Path) -> Path:
    """Four finished jobs (1080p/2k × 6s/8s) in folder/ltx_media; returns the store path."""
    store_path = folder / "ltx_media" / "ltx-jobs.sqlite"
    with make_emulator(render_cache) as emu:
        session = Session(
            Settings(
                api_key=Secret(API_KEY),
                base_url=emu.base_url,
                media_dir=folder / "ltx_media",
                store_path=store_path,
            )
        )
        try:
            jobs = [
                session.submit(validate(prompt=f"{p} at dusk", duration=d, resolution=r))
                for p, r, d in [
                    ("a lighthouse", "1080p", 6),
                    ("a red fox", "1080p", 8),
                    ("a lighthouse", "2k", 6),
                    ("a red fox", "2k", 8),
                ]
            ]
            for job in jobs:
                assert job.wait(60).video_path is not None
        finally:
            session.runtime.stop()
    return store_path


def _wait_store(store: Store, job_id: int, field: str, want: Any, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while (got := getattr(store.get(job_id), field)) != want:
        assert time.monotonic() < deadline, f"job {job_id} {field} is {got!r}, not {want!r}"
        time.sleep(0.2)


def test_gallery_plays_in_sync_and_rates(
    lab: Lab, jupyter_lab: LabServer, render_cache: Path
) -> None:
    folder = jupyter_lab.root_dir / "gallery"
    store = Store(_make_clips(render_cache, folder))
    jupyter_lab.write_notebook("gallery/review.ipynb", [SHOW, HISTORY])
    lab.open_notebook("gallery/review.ipynb")
    lab.run_cell(0)

    out = lab.cell_output(0)
    gal = out.locator(".ltx-gallery")
    gal.wait_for(state="visible")
    # The live widget is shown, not its static text/html fallback as well.
    assert out.locator(".ltx-static").count() == 0
    assert gal.locator(".ltx-colhead").all_inner_texts() == ["6s", "8s"]
    assert gal.locator(".ltx-rowhead").all_inner_texts() == ["1080p", "2k"]
    videos = gal.locator("video")
    assert videos.count() == 4
    for src in videos.evaluate_all("(vs) => vs.map((v) => v.currentSrc || v.src)"):
        assert "/files/gallery/ltx_media/ltx-" in src and src.endswith(".mp4"), src
    lab.page.wait_for_function(ALL_READY, arg=videos.element_handles(), timeout=20_000)
    for i in range(4):
        state = lab.media_state(videos.nth(i))
        assert state["error"] is None and state["readyState"] >= 2, state
        assert state["paused"] and state["videoWidth"] > 0, state

    # The scrubber seeks every clip.
    gal.locator(".ltx-scrub").evaluate(
        "(r) => { r.value = '2.5'; r.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    lab.page.wait_for_function(ALL_READY, arg=videos.element_handles())
    times = videos.evaluate_all(TIMES)
    assert times == pytest.approx([2.5] * 4, abs=0.05), times

    # One play button plays them all; pause lines them up again.
    play = gal.locator(".ltx-play")
    play.click()
    lab.page.wait_for_function(
        "(vs) => vs.every((v) => !v.paused && v.currentTime > 3.3)",
        arg=videos.element_handles(),
        timeout=10_000,
    )
    playing = videos.evaluate_all(TIMES)
    assert max(playing) - min(playing) < 0.3, playing
    play.click()
    lab.page.wait_for_function(
        "(vs) => vs.every((v) => v.paused)", arg=videos.element_handles(), timeout=5_000
    )
    lab.page.wait_for_function(ALL_READY, arg=videos.element_handles())
    paused = videos.evaluate_all(TIMES)
    assert all(t > 3.0 for t in paused), paused
    assert max(paused) - min(paused) < 0.3, paused

    # The 4th star of tile 2 lands in the store, and in history().
    tile = gal.locator(".ltx-tile").nth(1)
    job_id = int(tile.get_attribute("data-job-id") or 0)
    tile.locator(".ltx-star").nth(3).click()
    _wait_store(store, job_id, "rating", 4)
    assert tile.locator(".ltx-star.ltx-on").count() == 4
    note = tile.locator(".ltx-note")
    note.fill("steadiest camera")
    note.press("Tab")
    _wait_store(store, job_id, "notes", "steadiest camera")
    # The store is written first; the widget's message syncs back to the page after.
    expect(gal.locator(".ltx-message")).to_contain_text(f"#{job_id}: note saved")
    lab.run_cell(1)
    assert lab.cell_output(1).inner_text().strip() == f"{{{job_id}: 4}}"

    out.scroll_into_view_if_needed()
    shot = lab.screenshot("gallery-light", locator=lab.cell(0))
    assert shot.stat().st_size > 10_000
    # The saved notebook keeps the static grid (posters + <video>), and not the widget
    # view, whose model a reopened notebook would not find (see test_gallery_frontends).
    lab.command("docmanager:save")
    saved = nbformat.read(folder / "review.ipynb", as_version=4)
    bundle = next(o for o in saved.cells[0].outputs if o.output_type == "execute_result")
    assert "application/vnd.jupyter.widget-view+json" not in bundle.data
    static = bundle.data["text/html"]
    assert static.count("<video") == 4 and static.count('poster="data:image/jpeg;base64,') == 4

    lab.set_theme("dark")
    fg = gal.evaluate("(g) => getComputedStyle(g).color")
    assert fg not in {"rgb(0, 0, 0)", "rgb(31, 35, 40)"}, fg  # follows the dark theme
    lab.screenshot("gallery-dark", locator=lab.cell(0))
    assert lab.external_requests == []

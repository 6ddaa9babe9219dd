"""The magic's views in Jupyter Notebook 7 (Debian's Chromium): panel, final cell, sweep grid.

JupyterLab has its own, longer tests (test_magic_lab.py, test_sweep_lab.py); this walks
the same views once in Notebook 7, whose pages live under /notebooks/..., so every
relative video must still resolve to the server's /files/ URL. Screenshots:
test-artifacts/nb7-*.png.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness.lab import Lab, LabServer

pytestmark = pytest.mark.browser

CELLS = [
    "%load_ext ltx_notebook",
    "%%ltx -d 6\nA lighthouse on a cliff at dusk, waves crashing below",
    "%%ltx --sweep duration=6,8 --tag nb7\nA kite over dunes",
]


def _plays(lab: Lab, video: Any, files: str) -> None:
    state = lab.wait_media_loaded(video, timeout_ms=30_000)
    assert state["src"].startswith(files), state
    video.scroll_into_view_if_needed()
    video.evaluate("(v) => { v.muted = true; return v.play(); }")
    lab.page.wait_for_function(
        "(v) => v.readyState >= 2 && !v.paused && v.currentTime > 0.3",
        arg=video.element_handle(),
        timeout=20_000,
    )
    video.evaluate("(v) => v.pause()")


def test_panel_final_cell_and_sweep_grid_in_notebook7(
    page: Any, jupyter_notebook7: LabServer
) -> None:
    lab = Lab(page, jupyter_notebook7)
    assert lab.notebook7
    jupyter_notebook7.write_notebook("nb7/views.ipynb", CELLS)
    lab.open_notebook("nb7/views.ipynb")
    try:
        lab.run_all(wait=False)
        # The live panel while the job runs.
        panel = lab.cell_output(1).locator(".ltx-panel")
        panel.wait_for(state="visible", timeout=30_000)
        assert "ltx-2-pro · 6s · 1080p" in panel.inner_text()
        lab.screenshot("nb7-panel", locator=lab.cell(1))
        sweep = lab.cell_output(2).locator(".ltx-sweep")
        sweep.wait_for(state="visible", timeout=30_000)
        lab.screenshot("nb7-sweep-panel", locator=lab.cell(2))

        files = f"{jupyter_notebook7.url}files/nb7/ltx_media/"
        video = lab.cell_output(1).locator("video")
        video.wait_for(state="attached", timeout=120_000)
        _plays(lab, video, files)
        lab.screenshot("nb7-final-cell", locator=lab.cell(1))

        grid = lab.cell_output(2).locator(".ltx-static")
        grid.wait_for(state="visible", timeout=120_000)
        lab.wait_run()
        videos = grid.locator("video")
        assert videos.count() == 2
        for i in range(2):
            _plays(lab, videos.nth(i), files)
        lab.screenshot("nb7-sweep-grid", locator=lab.cell(2))
        assert lab.error_outputs() == [] and lab.external_requests == []
    finally:
        jupyter_notebook7.shutdown_kernels()

"""`%%ltx --sweep` in JupyterLab (headless Chromium): one compact panel, then a grid of videos.

The cell returns at once and shows a single sweep panel (counts per state and
a row per job), not one panel per job; when every job is done the panel is
replaced in place by a static grid of the four videos, which play. Light and
dark screenshots go to test-artifacts/ (sweep-*.png).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness.lab import Lab, LabServer

pytestmark = pytest.mark.browser

SWEEP = "%%ltx --sweep duration=6,8 --sweep resolution=1080p,2k --tag lab-sweep\nA kite over dunes"


def _grid(lab: Lab) -> Any:
    return lab.cell_output(1).locator(".ltx-static")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_sweep_panel_then_a_playing_grid(lab: Lab, jupyter_lab: LabServer, theme: str) -> None:
    jupyter_lab.write_notebook(f"sweep-{theme}/sweep.ipynb", ["%load_ext ltx_notebook", SWEEP])
    lab.open_notebook(f"sweep-{theme}/sweep.ipynb")
    if theme == "dark":
        lab.set_theme("dark")
    lab.run_all(wait=False)

    # One panel for the whole sweep, with a row per job, while it runs.
    panel = lab.cell_output(1).locator(".ltx-sweep")
    panel.wait_for(state="visible", timeout=30_000)
    assert lab.cell_output(1).locator(".ltx-panel").count() == 0  # no per-job panels
    lab.page.wait_for_function(
        "(el) => el.querySelectorAll('tbody tr').length === 4", arg=panel.element_handle()
    )
    assert "sweep" in panel.inner_text() and "4" in panel.inner_text()
    lab.screenshot(f"sweep-panel-{theme}", locator=lab.cell(1))

    # When it is done, a static grid of the four videos takes the panel's place.
    _grid(lab).wait_for(state="visible", timeout=120_000)
    lab.wait_run()
    assert panel.count() == 0
    videos = _grid(lab).locator("video")
    assert videos.count() == 4
    headers = _grid(lab).locator("th").all_inner_texts()
    assert {"1080p", "2k"} <= set(headers) and {"6s", "8s"} <= set(headers)
    # Every tile's relative src resolves to the file beside the notebook, and loads.
    media = f"{lab.server.url}files/sweep-{theme}/ltx_media/"
    for i in range(4):
        state = lab.wait_media_loaded(videos.nth(i))
        assert state["src"].startswith(media), state
    first = videos.first
    first.scroll_into_view_if_needed()
    first.evaluate("async (v) => { v.muted = true; await v.play(); }")
    lab.page.wait_for_function(
        "(v) => v.readyState >= 2 && v.currentTime > 0.3", arg=first.element_handle()
    )
    first.evaluate("(v) => v.pause()")
    lab.screenshot(f"sweep-grid-{theme}", locator=lab.cell(1))

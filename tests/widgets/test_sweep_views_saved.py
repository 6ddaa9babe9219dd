"""A sweep's views with Run All in JupyterLab 4 and Notebook 7, and what the saved notebook keeps.

The review cells run right after the sweep cell, while most combinations still
wait to be sent: the gallery has a tile for every combination from the first
draw and fills in; the A/B of the first and last combinations follows them.
The saved notebook keeps each view's *last* state: a job panel saved mid-run is
its static panel (no widget view to miss), and once the sweep is done the
gallery's and the A/B's saved forms hold the clips. Reopened without a kernel,
the notebook shows them. Screenshots: test-artifacts/sweep-gallery-early-*.png,
sweep-gallery-late-*.png, sweep-reopened-no-kernel-*.png.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.harness.lab import Lab

pytestmark = pytest.mark.browser

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
CELLS = [
    "%load_ext ltx_notebook\nimport ltx_notebook as ltx",
    "%%ltx -d 6\nA lighthouse on a cliff at dusk, waves crashing below",
    "%%ltx --sweep duration=6,8 --sweep resolution=1080p,2k --yes -o grid\nA kite over dunes",
    "grid.gallery()",
    "ltx.compare_clips(grid[0], grid[-1])",
]
JOB, SWEEP, GALLERY, AB = 1, 2, 3, 4
LOADED = "(g) => [...g.querySelectorAll('video')].every((v) => v.readyState >= 2)"
STILLS = "(g) => [...g.querySelectorAll('img')].every((i) => i.complete && i.naturalWidth > 0)"


def saved_when(lab: Lab, path: Path, ok: Callable[[Any], bool], timeout: float = 30) -> Any:
    """Save until the file on disk satisfies *ok* (the views write their saved form a moment
    after they change); the notebook as saved then."""
    deadline = time.monotonic() + timeout
    while True:
        lab.command("docmanager:save")
        saved = nbformat.read(path, as_version=4)
        if ok(saved) or time.monotonic() > deadline:
            return saved
        lab.page.wait_for_timeout(500)


def bundle(saved: Any, i: int) -> dict[str, Any]:
    outs = [o for o in saved.cells[i].outputs if "data" in o]
    return dict(outs[-1].data) if outs else {}


def test_views_drawn_early_fill_in_and_the_notebook_keeps_their_last_state(
    front_end: Lab,
) -> None:
    lab, fe = front_end, front_end.server.app
    path = lab.server.write_notebook(f"saved-{fe}/views.ipynb", CELLS)
    lab.open_notebook(f"saved-{fe}/views.ipynb")
    try:
        lab.run_all(wait=False)
        gal = lab.cell_output(GALLERY).locator(".ltx-gallery")
        gal.wait_for(state="visible", timeout=60_000)
        # A tile for every combination from the first draw, the unsent ones as placeholders.
        assert gal.locator(".ltx-tile").count() == 4
        assert "job #-" not in gal.inner_text() and "#-" not in gal.inner_text()
        lab.screenshot(f"sweep-gallery-early-{fe}", locator=lab.cell(GALLERY))

        # Saved mid-run: the job panel is its static form, never a widget view to miss.
        def panel_static(nb: Any) -> bool:
            data = bundle(nb, JOB)
            return WIDGET_MIME not in data and "text/html" in data

        mid = saved_when(lab, path, panel_static)
        assert panel_static(mid), bundle(mid, JOB).keys()
        assert (
            "ltx-panel" in bundle(mid, JOB)["text/html"]
            or "<video" in bundle(mid, JOB)["text/html"]
        )

        # The gallery fills in as the sweep moves, and the A/B shows both clips.
        lab.page.wait_for_function(
            "(g) => g.querySelectorAll('.ltx-tile video').length === 4",
            arg=gal.element_handle(),
            timeout=180_000,
        )
        lab.wait_run(timeout_ms=180_000)
        gal.scroll_into_view_if_needed()
        lab.page.wait_for_function(LOADED, arg=gal.element_handle(), timeout=30_000)
        ab = lab.cell_output(AB).locator(".ltx-ab")
        lab.page.wait_for_function(
            "(a) => a.querySelectorAll('video[src]').length === 2",
            arg=ab.element_handle(),
            timeout=60_000,
        )
        lab.screenshot(f"sweep-gallery-late-{fe}", locator=lab.cell(GALLERY))

        # Saved at the end: each view's last state, in the file.
        def final(nb: Any) -> bool:
            g, a = bundle(nb, GALLERY), bundle(nb, AB)
            return (
                WIDGET_MIME not in g
                and g.get("text/html", "").count("<video") == 4
                and a.get("text/html", "").count("<video") == 2
            )

        end = saved_when(lab, path, final)
        assert final(end), (bundle(end, GALLERY).get("text/html", "")[-2000:],)
        assert "job is PROCESSING" not in bundle(end, GALLERY)["text/html"]
    finally:
        lab.server.shutdown_kernels()

    # Reopened with no kernel: the last state, no widget error.
    lab.open_notebook(f"saved-{fe}/views.ipynb", wait_kernel=False)
    lab.command("kernelmenu:shutdown")
    static = lab.cell_output(GALLERY).locator(".ltx-static")
    static.wait_for(state="visible")
    assert static.locator("video").count() == 4
    assert lab.cell_output(AB).locator(".ltx-ab-static video").count() == 2
    text = lab.notebook.inner_text()
    assert "Error displaying widget" not in text and "model not found" not in text
    assert "No video" not in static.inner_text()
    lab.cell(GALLERY).scroll_into_view_if_needed()
    lab.page.wait_for_function(STILLS, arg=static.element_handle(), timeout=30_000)
    lab.screenshot(f"sweep-reopened-no-kernel-{fe}", locator=lab.cell(GALLERY))


def test_a_job_panel_saved_mid_run_reopens_as_its_static_panel(front_end: Lab) -> None:
    lab, fe = front_end, front_end.server.app
    path = lab.server.write_notebook(
        f"panel-{fe}/panel.ipynb",
        ["%load_ext ltx_notebook", "%%ltx -d 10 -r 4k\nA slow pan over a harbour at night"],
    )
    lab.open_notebook(f"panel-{fe}/panel.ipynb")
    try:
        lab.run_all(wait=False)
        lab.cell_output(1).locator(".ltx-panel").wait_for(state="visible", timeout=60_000)

        def static_panel(nb: Any) -> bool:
            data = bundle(nb, 1)
            return WIDGET_MIME not in data and "ltx-panel" in data.get("text/html", "")

        mid = saved_when(lab, path, static_panel)
        assert static_panel(mid), bundle(mid, 1).keys()
    finally:
        lab.server.shutdown_kernels()

    lab.open_notebook(f"panel-{fe}/panel.ipynb", wait_kernel=False)
    lab.command("kernelmenu:shutdown")
    panel = lab.cell_output(1).locator(".ltx-panel")
    panel.wait_for(state="visible")
    assert "10s" in panel.inner_text() and "4k" in panel.inner_text()
    text = lab.notebook.inner_text()
    assert "Error displaying widget" not in text and "model not found" not in text
    lab.screenshot(f"panel-reopened-no-kernel-{fe}", locator=lab.cell(1))

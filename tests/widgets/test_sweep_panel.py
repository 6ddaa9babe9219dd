"""The sweep panel: one widget for the sweep, updated as its jobs move; a text fallback."""

from __future__ import annotations

import re

import pytest

from ltx_notebook import Session
from ltx_notebook._jobs.sweeps.sweep import sweep
from ltx_notebook._view.sweep_progress import render_html, text_table
from ltx_notebook.emulator import Emulator
from ltx_notebook.widgets._sweep_panel import SweepPanel
from tests.harness.sweeps import FAST


@pytest.fixture
def emulator_options() -> dict[str, object]:
    return FAST  # sweeps run many jobs, so run them faster


def test_panel_follows_the_sweep_to_the_end(session: Session, emulator: Emulator) -> None:
    sw = sweep(
        None,
        {"prompt": ["a fox", "a bird"], "duration": [6, 8]},
        zip=True,
        concurrency=1,
        yes=True,
        session=session,
    )
    panel = SweepPanel(sw, tick=0.1, min_interval=0.05)
    seen: list[str] = []
    panel.body.observe(lambda change: seen.append(change["new"]), names="value")
    first = panel.body.value
    assert "ltx-sweep" in first and sw.sweep_id in first
    assert "PENDING" in first or "SUBMITTING" in first or "QUEUED" in first

    sw.wait(60)
    final = panel.body.value
    assert "2/2 done" in final and final.count("COMPLETED") >= 3  # pill + one per row
    assert all(job.request_id in final for job in sw)
    assert len(set(seen)) >= 2  # it moved on its own, from the runtime thread
    assert panel.stop_button.layout.display == "none"
    assert panel.text.startswith(f"[ltx sweep {sw.sweep_id}] 2/2 done")
    # Rows show what varies (prompt and duration), not what every job shares.
    assert "<th>prompt</th><th>duration</th>" in final and "<th>resolution</th>" not in final
    table = text_table(sw)
    assert len(table.splitlines()) == 3 and "a bird 8s" in table
    panel.close()

    grid = sw.gallery()  # delegates to widgets.gallery, laid out by what the sweep varies
    assert (grid.row_param, grid.col_param) == ("duration", "prompt") and len(grid.tiles) == 2


def test_panel_uses_theme_variables_only(session: Session) -> None:
    sw = sweep("a fox", {"duration": [6, 8]}, dry_run=True, session=session)
    html = render_html(sw)
    assert "var(--jp-layout-color1" in html and "var(--vscode-" in html
    # Every colour outside the state pills comes through a CSS variable with a fallback.
    styles = re.findall(r"(?:^|[;{\s])(color|background):([^;}\"]+)", html)
    for prop, value in styles:
        assert value.startswith("var(") or value.startswith("#"), (prop, value)
    assert "Stop sweep" not in html


def test_stop_button_stops_the_sweep(session: Session, emulator: Emulator) -> None:
    sw = sweep("a fox", {"duration": [6, 8, 10]}, concurrency=1, yes=True, session=session)
    panel = SweepPanel(sw, tick=0.1)
    panel.stop_button.click()
    sw.wait(60)
    assert sw.stopped and sw.counts()["SKIPPED"] >= 2
    assert "SKIPPED" in panel.body.value
    panel.close()

"""Real cost everywhere: spend(), compare, captions, reports and sweeps keep charges and
estimates apart, against jobs run at the emulator."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from ltx_notebook import Session
from ltx_notebook._core.errors import InvalidParams
from ltx_notebook._core.params import validate
from ltx_notebook._core.status import JobStatus
from ltx_notebook._jobs.sweeps.sweep import sweep
from ltx_notebook._view.compare import compare
from ltx_notebook._view.labels import cost_label, costs_total, tile_stats
from ltx_notebook._view.report import export_report
from ltx_notebook._view.spend import spend
from ltx_notebook.emulator import Emulator


@pytest.fixture
def ran(session: Session, emulator: Emulator) -> Session:
    """Two billed jobs of one sweep, one more on its own, and one whose charge is unknown."""
    done = sweep("a fox", {"resolution": ["1080p", "2k"]}, yes=True, session=session).wait(60)
    assert done.costs() == (pytest.approx(0.36 + 0.72), 0.0)
    assert "$1.08 charged" in done.cost_text() and "$1.08 charged" in repr(done)
    plan = done.plan()
    assert list(plan["cost"]) == pytest.approx([0.36, 0.72])  # the charge beside the estimate
    session.submit(validate("ltx-2-fast", prompt="a heron", duration=8)).wait(60)
    row = session.store.create(
        validate("ltx-2-pro", prompt="still running", duration=10),
        cost_estimate=0.6,
        base_url=session.settings.base_url,
        fields={"status": JobStatus.PROCESSING, "request_id": "r-running"},
    )
    assert row.cost is None
    return session


def test_spend_sums_charges_and_estimates_apart_by_day_model_and_sweep(ran: Session) -> None:
    result = spend(ran.store)
    frame = result.frame
    assert list(frame.columns) == ["jobs", "charged", "estimated", "total"]
    assert frame.index.names == ["day", "model", "sweep"]
    assert result.charged == pytest.approx(0.36 + 0.72 + 0.40)
    assert result.estimated == pytest.approx(0.6)
    by_model = spend(ran.store, by="model").frame
    assert by_model.loc["ltx-2-pro", "jobs"] == 3
    assert by_model.loc["ltx-2-pro", "charged"] == pytest.approx(1.08)
    assert by_model.loc["ltx-2-pro", "estimated"] == pytest.approx(0.6)
    assert by_model.loc["ltx-2-fast", "total"] == pytest.approx(0.40)
    text = str(result)
    assert "~0.60" in text and "$1.48 charged + ~$0.60 estimated = $2.08" in text
    assert "—" in text  # the jobs of no sweep
    assert "budget" not in text


def test_spend_tells_the_budget_left_and_reads_since_as_people_write_it(ran: Session) -> None:
    settings = dataclasses.replace(ran.settings, budget=5.0)
    result = spend(ran.store, since="session", by=["model", "status"], settings=settings)
    assert "budget $5.00 this session" in str(result) and "$2.92 left" in str(result)
    assert spend(ran.store, since="2999-01-01").frame.empty
    assert spend(ran.store, since="7d").total == pytest.approx(2.08)
    assert "<table" in result._repr_html_()
    for bad in ({"since": "yesterday-ish"}, {"by": "colour"}):
        with pytest.raises(InvalidParams):
            spend(ran.store, **bad)  # type: ignore[arg-type]


def test_captions_reports_and_compare_mark_what_is_an_estimate(
    ran: Session, tmp_path: Path
) -> None:
    records = ran.store.find()
    running = next(r for r in records if r.cost is None)
    billed = next(r for r in records if r.cost is not None)
    assert cost_label(running) == "~$0.60 (estimate)" and "(estimate)" in tile_stats(running)
    assert cost_label(billed) == f"${billed.cost:.2f}" and "estimate" not in tile_stats(billed)
    assert costs_total(records) == "$1.48 charged + ~$0.60 estimated"

    page = export_report(ran.store.find(), tmp_path / "r.html", session=ran).read_text()
    assert "$1.48 charged + ~$0.60 estimated" in page and "~$0.60 (estimate)" in page

    summary = compare(store=ran.store, by="model")
    assert "cost_estimated" in summary.columns
    assert summary.loc["ltx-2-pro", "cost_estimated"] == 0  # every completed one is charged
    frame = ran.store.rows()
    assert any(r["cost_estimate"] is not None for r in frame)


def test_compare_counts_the_completed_jobs_whose_cost_is_only_estimated(ran: Session) -> None:
    from ltx_notebook._storage.tables import history_frame

    frame = history_frame(ran.store)
    frame.loc[frame["model"] == "ltx-2-fast", "cost"] = pd.NA  # a charge the service never gave
    summary = compare(frame, by="model")
    assert summary.loc["ltx-2-fast", "cost_estimated"] == 1
    assert summary.loc["ltx-2-fast", "cost_median"] == pytest.approx(0.40)  # its estimate

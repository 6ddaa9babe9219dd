"""compare(): counts, success rates, medians and p90s on a known set of rows."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from ltx_notebook import JobStatus, validate
from ltx_notebook._core.params import estimate_cost
from ltx_notebook._storage.store import Store
from ltx_notebook._storage.tables import history_frame
from ltx_notebook._view.compare import compare


def _add(store: Store, status: JobStatus, *, resolution: str, duration: int, **fields) -> None:
    params = validate(prompt="a fox", resolution=resolution, duration=duration)
    row = store.create(params, cost_estimate=estimate_cost(params), base_url="http://emu/v1")
    store.update(row.id, request_id=f"r{row.id}", status=status, **fields)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "jobs.sqlite")
    for i, total in enumerate([10.0, 20.0, 30.0, 40.0, 50.0]):
        _add(
            store,
            JobStatus.COMPLETED,
            resolution="1080p",
            duration=6,
            total_s=total,
            queue_s=1.0 + i,
            run_s=total - 1.0 - i,
            cost=0.36,
        )
    _add(store, JobStatus.FAILED, resolution="1080p", duration=6, total_s=999.0, cost=0.0)
    _add(store, JobStatus.COMPLETED, resolution="4k", duration=10, total_s=100.0, cost=2.0)
    # No metrics.cost: compare falls back to the estimate ($2.40).
    _add(store, JobStatus.COMPLETED, resolution="4k", duration=10, total_s=200.0)
    _add(store, JobStatus.PROCESSING, resolution="4k", duration=10)
    _add(store, JobStatus.QUEUED, resolution="2k", duration=8)
    return store


def test_compare_numbers(store: Store) -> None:
    out = compare(history_frame(store), by=["resolution", "duration"])
    assert list(out.index) == [("1080p", 6), ("2k", 8), ("4k", 10)]
    hd, mid, uhd = (out.loc[key] for key in out.index)

    assert (hd["count"], hd["completed"], hd["terminal"]) == (6, 5, 6)
    assert hd["success_rate"] == pytest.approx(5 / 6)
    assert hd["total_s_median"] == 30.0  # the FAILED job's 999 s is left out
    assert hd["total_s_p90"] == pytest.approx(46.0)
    assert hd["queue_s_median"] == 3.0 and hd["cost_median"] == pytest.approx(0.36)

    assert (uhd["count"], uhd["completed"], uhd["terminal"]) == (3, 2, 2)
    assert uhd["success_rate"] == 1.0  # the running job is not counted against it
    assert uhd["total_s_median"] == 150.0 and uhd["total_s_p90"] == pytest.approx(190.0)
    assert uhd["cost_median"] == pytest.approx(2.2)  # 2.0 reported, 2.40 estimated

    assert mid["count"] == 1 and pd.isna(mid["success_rate"]) and pd.isna(mid["total_s_median"])

    assert str(out["count"].dtype) == "Int64"
    assert all(str(out[c].dtype) == "Float64" for c in out.columns if c.endswith(("_p90", "rate")))


def test_compare_by_one_column_with_chosen_metrics_and_from_the_store(store: Store) -> None:
    out = compare(by="resolution", metrics=["total_s"], store=store)
    assert list(out.columns) == [
        "count",
        "completed",
        "terminal",
        "success_rate",
        "total_s_median",
        "total_s_p90",
    ]
    assert list(out.index) == ["1080p", "2k", "4k"]
    assert out.loc["4k", "count"] == 3
    with pytest.raises(ValueError, match="no column 'colour'"):
        compare(history_frame(store), by="colour")
    with pytest.raises(ValueError, match="not numeric"):
        compare(history_frame(store), metrics=["prompt"])


def test_compare_plot_draws_median_bars(store: Store) -> None:
    import matplotlib

    matplotlib.use("Agg")
    axes = compare(history_frame(store), metrics=["total_s", "cost"], plot=True)
    assert len(axes) == 2
    heights = [bar.get_height() for bar in axes[0].patches]
    assert heights == [30.0, 0.0, 150.0]  # no completed 2k job: an empty bar, not a guess
    import matplotlib.pyplot as plt

    plt.close(axes[0].figure)


def test_compare_plot_without_matplotlib_names_the_extra(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"ltx-notebook\[plot\]"):
        compare(history_frame(store), plot=True)

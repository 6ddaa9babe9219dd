"""compare()'s display: rounded, with units, fitting the width; the frame stays exact."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from ltx_notebook import JobStatus, validate
from ltx_notebook._storage.store import Store
from ltx_notebook._view.compare import compare
from ltx_notebook._view.compare_table import CompareFrame, number_text
from ltx_notebook._view.history import history_view


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "jobs.sqlite")
    for i, (resolution, total) in enumerate(
        [("1080p", 6.133511), ("1080p", 7.5), ("4k", 41.25), ("4k", 130.0), ("4k", None)]
    ):
        params = validate(prompt="a fox", resolution=resolution, duration=6)
        row = store.create(params, cost_estimate=0.36, base_url=None)
        status = JobStatus.FAILED if total is None else JobStatus.COMPLETED
        store.update(
            row.id, request_id=f"r{i}", status=status, total_s=total, queue_s=0.4, cost=0.0075 * i
        )
    return store


def test_compare_stays_exact_and_draws_rounded(store: Store) -> None:
    out = compare(history_view(store), by="resolution")
    assert isinstance(out, CompareFrame) and isinstance(out, pd.DataFrame)
    assert out.attrs["by"] == ["resolution"]
    assert out.loc["1080p", "total_s_median"] == pytest.approx((6.133511 + 7.5) / 2)
    page = out._repr_html_()
    assert "6.133511" not in page and "6.8167555" not in page
    cells = re.findall(r'<td class="ltx-num[^"]*"[^>]*>(.*?)</td>', page)
    assert "6.8 s" in cells and "85.6 s" in cells  # medians, one decimal under 100 s
    assert "100 %" in cells and "67 %" in cells  # success rates
    assert "$0.004" in cells and "$0.02" in cells  # a cent's fraction keeps a digit
    # One heading per metric (with its unit) over its median and p90.
    assert '<th colspan="2">total (s)</th>' in page and '<th colspan="2">cost ($)</th>' in page
    assert page.count('<th class="ltx-num">median</th>') == 4
    assert 'class="ltx-table ltx-compare"' in page
    assert "<th>1080p</th>" in page and "<th>4k</th>" in page


def test_one_cost_column_charged_or_marked_estimated(store: Store) -> None:
    # A 4k job the service never billed: its cost is the estimate, and says so.
    unbilled = next(r for r in store.find() if r.resolution == "4k" and r.total_s == 130.0)
    store.update(unbilled.id, cost=None)
    out = compare(history_view(store), by="resolution")
    assert out.loc["4k", "cost_estimated"] == 1 and out.loc["1080p", "cost_estimated"] == 0
    page = out._repr_html_()
    heads = re.findall(r"<th[^>]*>(.*?)</th>", page.split("<thead>")[1].split("</thead>")[0])
    assert not any("estimated" in h for h in heads), heads  # no count drawn as dollars
    assert ">$0.00<" not in page
    rows = dict(re.findall(r"<tr><th>(.*?)</th>(.*?)</tr>", page))
    cost = r'<td class="ltx-num[^"]*"[^>]*>(~?\$[\d.]+)</td>'
    assert all(c.startswith("$") for c in re.findall(cost, rows["1080p"])), rows["1080p"]
    marked = re.findall(cost, rows["4k"])
    assert len(marked) == 2 and all(c.startswith("~$") for c in marked), rows["4k"]
    assert "~ estimated" in page  # the caption says what the mark means


def test_a_derived_frame_is_drawn_by_pandas(store: Store) -> None:
    out = compare(history_view(store), by="resolution")
    assert 'class="dataframe' in out[["count"]]._repr_html_()


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (6.133511, "s", "6.1 s"),
        (1234.5, "s", "1,234 s"),
        (0.36, "$", "$0.36"),
        (0.004, "$", "$0.004"),
        (0.8333, "%", "83 %"),
        (pd.NA, "s", "—"),
        (3.0, "", "3"),
    ],
)
def test_number_text(value: object, unit: str, text: str) -> None:
    assert number_text(value, unit) == text

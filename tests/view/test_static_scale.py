"""The static grid and the report stay small whatever the number of clips, from one query."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import pytest

from ltx_notebook._storage.store import Store
from ltx_notebook._view.cell import poster_src, relative_src
from ltx_notebook._view.grid import collect, layout
from ltx_notebook._view.report import export_report
from ltx_notebook._view.static_grid import POSTER_INLINE_BUDGET, static_grid_html
from tests.harness.clips import Clips
from tests.harness.html import Tags
from tests.harness.many_jobs import count_queries

MB = 1_000_000


def _ids(store: Store, n: int) -> list[int]:
    return [int(row["id"]) for row in store.rows()][:n]


@pytest.mark.parametrize("n", [1000, 5000])
@pytest.mark.parametrize(("row", "col"), [("resolution", "duration"), (None, None)])
def test_static_grid_is_bounded(
    big_store: Store, n: int, row: str | None, col: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _ids(big_store, n)
    with count_queries(monkeypatch) as queries:
        _, records = collect(ids, store=big_store)
    assert len(queries) == 1, queries
    assert len(records) == n
    # As a finished sweep's cell draws it: posters inlined first, then linked.
    grid = layout(records, row, col)
    page = static_grid_html(grid, video_src=relative_src, poster_src=poster_src)
    assert len(page.encode()) < 2 * MB
    inlined = sum(len(t.get("poster") or "") for t in Tags(page).all("video"))
    assert 0 < inlined <= POSTER_INLINE_BUDGET
    stills = [t for t in Tags(page).all("img") if "ltx-still" in (t.get("class") or "")]
    assert stills and all(t["loading"] == "lazy" for t in stills)
    # Linked the way the videos are (here: relative to the working directory).
    assert all(Path(t.get("src") or "").is_file() for t in stills)
    shown = page.count('class="ltx-tile"')
    left_out = sum(int(x.split()[0].replace(",", "")) for x in _more(page))
    assert shown + left_out == n, (shown, left_out)
    assert shown >= 500


def _more(page: str) -> list[str]:
    return [p.split("</div>")[0] for p in page.split('<div class="ltx-more">+')[1:]]


def test_a_grid_of_too_many_cells_is_shown_flat(big_store: Store) -> None:
    _, records = collect(_ids(big_store, 600), store=big_store)
    page = static_grid_html(layout(records, "request_id", "prompt"), video_src=relative_src)
    assert "too many for a grid" in page and len(page.encode()) < 2 * MB


@pytest.mark.parametrize("n", [1000, 5000])
def test_report_is_bounded_and_keeps_every_rating(
    big_store: Store, clips: Clips, n: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _ids(big_store, n)
    with count_queries(monkeypatch) as queries:
        out = export_report(ids, tmp_path / "big.html", store=big_store)
    assert len(queries) == 1, queries
    page = out.read_text(encoding="utf-8")
    assert len(page.encode()) < 2 * MB
    assert "rated" in page and "★ on average" in page
    # Four real clips behind every copy: at most their videos and posters, copied once each.
    assert 2 <= len(list((tmp_path / "big_media").iterdir())) <= 8
    assert "data:" not in page
    table = tmp_path / "big_jobs.csv"
    assert f'href="{table.name}"' in page and "more jobs are not in this table" in page
    with table.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["id"]) for r in rows] == ids
    assert {r["notes"] for r in rows} >= {"two\nlines", 'says "wow"', "ünïcødé ★"}
    assert {r["rating"] for r in rows} == {"", "1", "2", "3", "4", "5"}


def test_an_embedded_report_caps_what_it_inlines(big_store: Store, tmp_path: Path) -> None:
    ids = _ids(big_store, 1000)
    cap = 3 * MB
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        out = export_report(ids, tmp_path / "e.html", store=big_store, embed=True, embed_cap=cap)
    page = out.read_text(encoding="utf-8")
    # Inlined files are bounded by the cap (a data: URI is a third larger than its file).
    assert len(page.encode()) < cap * 4 // 3 + 2 * MB

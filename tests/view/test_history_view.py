"""history() as a view: a whole, typed DataFrame whose notebook display is a compact page."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest

from ltx_notebook import Session, validate
from ltx_notebook._storage.store import Store
from ltx_notebook._storage.tables import typed
from ltx_notebook._view.history import PAGE_ROWS, HistoryFrame, history_view
from tests.harness.clips import Clips
from tests.harness.html import Tags
from tests.harness.many_jobs import NOTES, count_queries


def _rows(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>.*?</tr>", body, re.S)


def test_history_is_a_whole_typed_dataframe(clips: Clips) -> None:
    frame = history_view(clips.session.store)
    assert isinstance(frame, pd.DataFrame) and isinstance(frame, HistoryFrame)
    assert len(frame) == 4 and frame.index.name == "id"
    assert list(frame.index) == sorted(frame.index, reverse=True)  # newest first
    for name in ("request_id", "prompt", "status", "cost", "tag", "rating", "notes", "poster_path"):
        assert name in frame.columns
    assert str(frame["rating"].dtype) == "Int64" and str(frame["total_s"].dtype) == "Float64"
    assert isinstance(frame["status"].dtype, pd.CategoricalDtype)
    # Slices and filters stay views; pandas' own frame is one call away.
    assert type(frame[frame["duration"] == 6]) is HistoryFrame
    assert type(frame.iloc[1:3]) is HistoryFrame
    assert type(pd.DataFrame(frame)) is pd.DataFrame
    # A frame that is no longer jobs is drawn by pandas.
    described = frame.describe()
    assert 'class="dataframe' in described._repr_html_()


def test_history_view_is_compact(clips: Clips, in_root: Path) -> None:
    store = clips.session.store
    rated = clips.jobs[1]
    store.update(rated.id, rating=4, notes="steady camera, best light")
    try:
        page = history_view(store)._repr_html_()
    finally:
        store.update(rated.id, rating=None, notes=None)
    tags = Tags(page)
    assert "<style>" in page and 'class="ltx-table ltx-history"' in page
    assert len(_rows(page)) == 4
    heads = re.findall(r"<th[^>]*>(.*?)</th>", page.split("<thead>")[1].split("</thead>")[0])
    # The params that differ (2 durations, 2 resolutions, 2 prompts), not the shared audio flag.
    assert heads == [
        "", "#", "status", "duration", "resolution", "prompt",
        "cost", "seconds", "rating", "notes",
    ]  # fmt: skip
    assert "4 jobs · all ltx-2-pro · audio" in page
    # Posters as small lazy images, by a URL that resolves from the notebook's folder.
    thumbs = [t for t in tags.all("img") if "ltx-thumb" in (t.get("class") or "")]
    assert len(thumbs) == 4
    for thumb in thumbs:
        src = thumb["src"] or ""
        assert thumb["loading"] == "lazy" and thumb["width"] == "64"
        assert src.startswith("ltx_media/") and (in_root / src).is_file(), src
    assert "data:" not in page and "request_id" not in page
    assert page.count('class="ltx-pill ltx-completed"') == 4
    assert "$0.36" in page and re.search(r"\d+ s</td>", page)
    assert "★★★★☆" in page and "steady camera, best light" in page
    ids = [int(i) for i in re.findall(r'<span class="ltx-id">(\d+)</span>', page)]
    assert ids == sorted(ids, reverse=True)


# The quickstart's history cell.
QUICKSTART_COLUMNS = [
    "request_id",
    "status",
    "duration",
    "resolution",
    "total_s",
    "cost",
    "video_path",
]


def test_a_selection_of_columns_shows_those_columns(clips: Clips, in_root: Path) -> None:
    frame = history_view(clips.session.store)
    picked = frame[QUICKSTART_COLUMNS]
    assert type(picked) is HistoryFrame and list(picked.columns) == QUICKSTART_COLUMNS
    page = picked._repr_html_()
    assert page is not None and 'class="ltx-table ltx-history"' in page
    heads = re.findall(r"<th[^>]*>(.*?)</th>", page.split("<thead>")[1].split("</thead>")[0])
    assert heads == ["#", *QUICKSTART_COLUMNS]  # the row's id, then what was asked, in order
    assert len(_rows(page)) == 4
    # Nothing that was not asked for: no poster, no rating, no params the rows differ in.
    table = page.split("</style>", 1)[1]
    assert "ltx-thumb" not in table and "ltx-nothumb" not in table and "prompt" not in table
    for job in clips.jobs:
        assert str(job.request_id) in page
    assert page.count('class="ltx-pill ltx-completed"') == 4
    assert "$0.36" in page and re.search(r">\d+ s</td>", page)
    assert page.count(">ltx_media/ltx-") == 4  # the video's path, from the notebook's folder
    # Another order is that order.
    reordered = frame[["cost", "status"]]._repr_html_()
    heads = re.findall(r"<th[^>]*>(.*?)</th>", reordered.split("<thead>")[1].split("</thead>")[0])
    assert heads == ["#", "cost", "status"]


def test_params_that_differ_come_from_the_payload(tmp_path: Path) -> None:
    # A parameter no table knows (a later model's "seed") shows because payloads differ.
    store = Store(tmp_path / "jobs.sqlite")
    params = validate(prompt="a kite over the dunes", duration=6)
    for seed in (7, 8):
        store.create(
            params,
            cost_estimate=0.36,
            base_url=None,
            payload={**params.payload(), "seed": seed},
        )
    page = history_view(store)._repr_html_()
    heads = re.findall(r"<th[^>]*>(.*?)</th>", page.split("<thead>")[1].split("</thead>")[0])
    assert "seed" in heads and "duration" not in heads and "prompt" not in heads
    assert "all ltx-2-pro · 6s · 1080p · audio · " in page and "a kite over the dunes" in page
    assert page.count("~$0.36") == 2  # not billed yet: the estimate, marked


@pytest.mark.parametrize("n", [1000, 5000])
def test_history_view_is_paged_and_bounded(
    big_store: Store, n: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    with count_queries(monkeypatch) as queries:
        frame = history_view(big_store).iloc[:n]
        page = frame._repr_html_()
    assert len(queries) == 1 and queries[0].startswith("SELECT"), queries
    assert len(frame) == n  # the frame is whole; only its display is a page
    assert len(_rows(page)) == PAGE_ROWS
    assert len(page.encode()) < 100_000
    assert f"showing the first {PAGE_ROWS} of {n:,}" in page
    assert f".iloc[{PAGE_ROWS}:{2 * PAGE_ROWS}]" in page
    heads = page.split("<thead>")[1].split("</thead>")[0]
    assert "tag" in heads and "notes" in heads and "duration" in heads
    # The next page is the frame sliced, drawn the same way.
    second = frame.iloc[PAGE_ROWS : 2 * PAGE_ROWS]._repr_html_()
    assert len(_rows(second)) == PAGE_ROWS and "showing the first" not in second


def test_ratings_and_notes_round_trip_through_csv(big_store: Store) -> None:
    frame = history_view(big_store).iloc[:200]
    assert set(frame["notes"].dropna()) == {n for n in NOTES if n}
    text = frame.to_csv()
    back = typed(pd.read_csv(io.StringIO(text))).set_index("id")
    pd.testing.assert_series_equal(back["rating"], frame["rating"], check_names=True)
    assert back["notes"].fillna("").tolist() == frame["notes"].fillna("").tolist()
    assert back["tag"].tolist() == frame["tag"].tolist()
    pd.testing.assert_series_equal(back["total_s"], frame["total_s"])


def test_ratings_and_notes_round_trip_through_parquet(big_store: Store, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow", reason="Parquet needs pyarrow (not a dependency)")
    frame = history_view(big_store).iloc[:200]
    frame.to_parquet(tmp_path / "h.parquet")
    back = pd.read_parquet(tmp_path / "h.parquet")
    assert back["rating"].tolist() == frame["rating"].tolist()
    assert back["notes"].tolist() == frame["notes"].tolist()


def test_an_empty_history_and_a_frame_read_back_from_csv(tmp_path: Path, big_store: Store) -> None:
    page = history_view(Store(tmp_path / "empty.sqlite"))._repr_html_()
    assert "0 jobs" in page and _rows(page) == []
    # Read back from a CSV there are no payloads: the parameter columns stand in.
    frame = history_view(big_store).iloc[:30]
    back = HistoryFrame(pd.read_csv(io.StringIO(frame.to_csv()), index_col="id"))
    page = back._repr_html_()
    heads = re.findall(r"<th[^>]*>(.*?)</th>", page.split("<thead>")[1].split("</thead>")[0])
    assert {"duration", "resolution", "prompt", "rating", "notes"} <= set(heads)
    assert len(_rows(page)) == PAGE_ROWS and "★" in page


def test_a_sweeps_frame_is_drawn_the_same_way(session: Session) -> None:
    import ltx_notebook

    sweep = ltx_notebook.sweep(
        "a kite over the dunes", {"duration": [6, 8]}, session=session, yes=True
    ).wait(60)
    frame = sweep.frame()
    assert type(frame) is HistoryFrame and list(frame.index) == sorted(frame.index)
    page = frame._repr_html_()
    heads = re.findall(r"<th[^>]*>(.*?)</th>", page.split("<thead>")[1].split("</thead>")[0])
    assert "duration" in heads and "prompt" not in heads and len(_rows(page)) == 2


def test_pandas_switch_for_notebook_html_is_honoured(clips: Clips) -> None:
    frame = history_view(clips.session.store)
    with pd.option_context("display.notebook_repr_html", False):
        assert frame._repr_html_() is None

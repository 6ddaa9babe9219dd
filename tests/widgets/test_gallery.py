"""The gallery widget without a browser: layout, labels, static fallback, ratings and notes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import traitlets

from ltx_notebook import JobStatus, validate
from ltx_notebook._storage.store import Store
from ltx_notebook._storage.tables import history_frame
from ltx_notebook._view.grid import layout
from ltx_notebook.widgets._gallery import Gallery, gallery
from tests.conftest import poster_ok
from tests.harness.clips import Clips
from tests.harness.html import Tags

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def test_grid_groups_rows_by_resolution_and_columns_by_duration(clips: Clips, in_root: Path):
    g = gallery(clips.jobs, row="resolution", col="duration")

    assert (g.row_param, g.col_param) == ("resolution", "duration")
    assert g.rows == ["1080p", "2k"] and g.cols == ["6s", "8s"]
    by_cell = {(tile["row"], tile["col"]): tile for tile in g.tiles}
    assert set(by_cell) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    for job in clips.jobs:
        tile = next(t for t in g.tiles if t["id"] == job.id)
        r = ["1080p", "2k"].index(job.params.resolution)
        c = [6, 8].index(job.params.duration)
        assert (tile["row"], tile["col"]) == (r, c)
        # labelled by its params, status, time and cost
        assert tile["heading"].startswith(f"#{job.id} · {job.params.duration}s · ")
        assert job.params.resolution in tile["heading"]
        assert tile["stats"].startswith("COMPLETED · ") and "$" in tile["stats"]
        assert re.search(r"\d+ s", tile["stats"])
        assert tile["missing"] is None
        assert tile["src"] == f"ltx_media/{job.video_path.name}"  # relative to the cwd
        assert tile["poster"].endswith(".jpg") and not tile["poster"].startswith("/")
        assert tile["paths"] and Path(tile["paths"][0]).is_absolute()


def test_other_groupings_and_flat_grid(clips: Clips, in_root: Path):
    g = gallery(clips.jobs, row="prompt", col=None)
    assert g.col_param is None and g.cols == []
    assert len(g.rows) == 2 and all(t["col"] == 0 for t in g.tiles)
    assert sorted(t["row"] for t in g.tiles) == [0, 0, 1, 1]

    flat = gallery(clips.jobs, row=None, col=None)
    assert flat.rows == [] and flat.cols == [] and len(flat.tiles) == 4
    assert {(t["row"], t["col"]) for t in flat.tiles} == {(0, 0)}

    with pytest.raises(ValueError, match="cannot group by 'colour'"):
        gallery(clips.jobs, row="colour")


def test_layout_orders_values_naturally(clips: Clips):
    records = [j.record for j in reversed(clips.jobs)]
    grid = layout(records, "duration", "resolution")
    assert grid.rows == (6, 8) and grid.cols == ("1080p", "2k")
    assert [r.id for r in grid.records] == [j.id for j in reversed(clips.jobs)]


def test_a_history_frame_and_a_sweep_like_list_give_the_same_tiles(clips: Clips, in_root: Path):
    frame = history_frame(clips.session.store)
    from_frame = gallery(frame, session=clips.session)
    from_jobs = gallery(clips.jobs)
    assert sorted(t["id"] for t in from_frame.tiles) == sorted(j.id for j in clips.jobs)
    assert {t["id"]: (t["row"], t["col"]) for t in from_frame.tiles} == {
        t["id"]: (t["row"], t["col"]) for t in from_jobs.tiles
    }
    subset = gallery(frame.loc[[clips.jobs[0].id]], session=clips.session)
    assert [t["id"] for t in subset.tiles] == [clips.jobs[0].id]


def test_mimebundle_has_the_widget_and_a_static_html_grid(clips: Clips, in_root: Path):
    g = gallery(clips.jobs)
    data, _metadata = g._repr_mimebundle_()
    assert data[WIDGET_MIME]["model_id"] == g.model_id
    assert data["text/plain"] == "<Gallery 4 clips · resolution × duration>"
    page = data["text/html"]
    assert "<script" not in page  # static: nbviewer and GitHub strip scripts anyway
    videos = Tags(page).all("video")
    assert len(videos) == 4
    for attrs in videos:
        assert "controls" in attrs and "loop" in attrs and "muted" in attrs
        src, poster = attrs["src"], attrs["poster"]
        assert src and poster and not src.startswith(("/", "data:", "http"))
        assert (in_root / src).is_file() and poster_ok(poster, in_root)
        assert src.endswith(".mp4")
    heads = [t for t in re.findall(r"<th[^>]*>([^<]*)</th>", page)]
    assert heads[:3] == ["resolution \\ duration", "6s", "8s"] and "1080p" in heads
    for job in clips.jobs:
        assert f"#{job.id} · {job.params.duration}s · {job.params.resolution}" in page


def test_rating_and_note_from_the_front_end_land_in_the_store(clips: Clips, in_root: Path):
    g = gallery(clips.jobs)
    job = clips.jobs[1]
    key = str(job.id)
    # What ipywidgets does with a state update from the browser's model.save_changes().
    g.set_state({"ratings": {**g.ratings, key: 4}})
    g.set_state({"notes": {**g.notes, key: "best motion, slight flicker"}})

    record = clips.session.store.get(job.id)
    assert record is not None
    assert (record.rating, record.notes) == (4, "best motion, slight flicker")
    frame = history_frame(clips.session.store)
    assert frame.loc[job.id, "rating"] == 4
    assert frame.loc[job.id, "notes"] == "best motion, slight flicker"
    assert g.message == f"#{key}: note saved"
    # The saved form follows: what the notebook keeps is what the gallery shows now.
    assert "★★★★☆" in g._static and "best motion, slight flicker" in g._static
    others = frame.drop(index=job.id)
    assert others["rating"].isna().all()

    # Python side, and clearing.
    g.rate(job.id, None)
    g.note(job.id, "   ")
    record = clips.session.store.get(job.id)
    assert record is not None and (record.rating, record.notes) == (None, None)

    # A fresh gallery shows what the store holds.
    g.rate(job.id, 2)
    assert gallery(clips.jobs).ratings[key] == 2
    assert "★★☆☆☆" in gallery(clips.jobs).static_html()
    g.rate(job.id, None)


def test_invalid_ratings_are_refused(clips: Clips, in_root: Path):
    g = gallery(clips.jobs)
    key = str(clips.jobs[0].id)
    for bad in (0, 6, 2.5, "4", True):
        with pytest.raises(traitlets.TraitError):
            g.ratings = {**g.ratings, key: bad}
    assert clips.session.store.get(clips.jobs[0].id).rating is None  # type: ignore[union-attr]
    g.ratings = {**g.ratings, "99999": 3}  # not in this gallery: reported, nothing written
    assert "not in this gallery" in g.message


def test_missing_files_show_a_placeholder_tile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    store = Store(tmp_path / "jobs.sqlite")
    gone = store.create(validate(prompt="gone", duration=8), cost_estimate=0.48, base_url=None)
    store.update(
        gone.id,
        request_id="req-gone-1",
        status=JobStatus.COMPLETED,
        video_path=str(tmp_path / "ltx_media" / "ltx-0001-gone.mp4"),
    )
    failed = store.create(validate(prompt="broken", duration=6), cost_estimate=0.36, base_url=None)
    store.update(failed.id, request_id="req-failed", status="FAILED", error="NSFW filter")
    running = store.create(validate(prompt="later", duration=10), cost_estimate=0.6, base_url=None)
    store.update(running.id, request_id="req-run", status="PROCESSING")

    records = [store.get(i) for i in (gone.id, failed.id, running.id)]
    g = Gallery([r for r in records if r], store, row=None, col="status")
    tiles = {t["id"]: t for t in g.tiles}
    assert tiles[gone.id]["missing"] == "video file ltx-0001-gone.mp4 is missing"
    assert tiles[failed.id]["missing"] == "job ended FAILED: NSFW filter"
    assert tiles[running.id]["missing"] == "job is PROCESSING"
    assert all(t["src"] is None for t in g.tiles)
    assert g.cols == ["PROCESSING", "COMPLETED", "FAILED"]
    page = g.static_html()
    assert "<video" not in page
    assert page.count('class="ltx-missing"') == 3
    assert "No video</b> · job #1 · req-gone-1" in page and "8s · 1080p" in page
    assert "~$0.48 (estimate)" in page


def test_embed_always_inlines_under_a_budget(clips: Clips, in_root: Path):
    g = gallery(clips.jobs, embed="always")
    assert all(t["src"].startswith("data:video/mp4;base64,") for t in g.tiles)
    assert all(t["poster"].startswith("data:image/jpeg;base64,") for t in g.tiles)
    sizes = sorted(j.video_path.stat().st_size for j in clips.jobs)
    tight = gallery(clips.jobs, embed="always", embed_cap=sizes[0] + sizes[1])
    embedded = [t for t in tight.tiles if t["src"].startswith("data:")]
    assert 1 <= len(embedded) <= 2 and len(tight.tiles) - len(embedded) >= 2
    assert all(not t["src"].startswith("data:") for t in gallery(clips.jobs, embed="never").tiles)


def test_the_esm_module_is_shipped_next_to_the_widget():
    here = Path(__import__("ltx_notebook.widgets._gallery", fromlist=["x"]).__file__).parent
    js = (here / "gallery.js").read_text()
    assert "export default { render }" in js
    assert 'model.set("ratings"' in js and "save_changes" in js
    assert (here / "gallery.css").is_file()


def test_saved_notebook_shows_the_static_grid_without_widget_state(clips: Clips, in_root: Path):
    """nbconvert (as nbviewer) drops a widget view whose state was not saved: text/html shows."""
    import nbformat
    from nbconvert import HTMLExporter

    g = gallery(clips.jobs)
    data, metadata = g._repr_mimebundle_()
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("ltx_notebook.gallery(jobs)")
    cell.outputs = [nbformat.v4.new_output("display_data", data=data, metadata=metadata)]
    nb.cells = [cell]
    page, _ = HTMLExporter().from_notebook_node(nbformat.from_dict(nb))
    videos = Tags(page).all("video")
    assert len(videos) == 4
    assert all((in_root / str(v["src"])).is_file() for v in videos)

"""ltx.compare_clips and the A/B widget without a browser: what it is handed and its saved form."""

from __future__ import annotations

from pathlib import Path

import pytest

import ltx_notebook as ltx
from ltx_notebook.widgets import ABCompare
from tests.conftest import poster_ok
from tests.harness.clips import Clips
from tests.harness.html import Tags

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def test_compare_clips_is_public() -> None:
    assert "compare_clips" in ltx.__all__ and callable(ltx.compare_clips)


def test_jobs_ids_and_request_ids_name_the_same_pair(clips: Clips, in_root: Path):
    a, b = clips.jobs[0], clips.jobs[3]
    by_job = ltx.compare_clips(a, b, session=clips.session)
    by_id = ltx.compare_clips(a.id, str(b.id), session=clips.session)
    by_request = ltx.compare_clips(a.request_id, b.request_id, session=clips.session)
    for w in (by_job, by_id, by_request):
        assert isinstance(w, ABCompare)
        assert (w.a["id"], w.b["id"]) == (a.id, b.id)
    tile = by_job.a
    assert tile["src"] == f"ltx_media/{a.video_path.name}" and tile["paths"]
    assert tile["params"]["model"] == "ltx-2-pro"
    assert tile["params"]["resolution"] == a.params.resolution
    assert tile["fps"] > 0 and tile["aspect"] > 1
    assert repr(by_job) == f"<ABCompare #{a.id} vs #{b.id} · side>"


def test_bad_input_is_one_clear_error(clips: Clips, in_root: Path):
    with pytest.raises(KeyError, match="no job with id 9999"):
        ltx.compare_clips(9999, clips.jobs[0], session=clips.session)
    with pytest.raises(KeyError, match="no job with request id 'nope-123'"):
        ltx.compare_clips("nope-123", clips.jobs[0], session=clips.session)
    with pytest.raises(ValueError, match="mode must be one of side, wipe"):
        ltx.compare_clips(clips.jobs[0], clips.jobs[1], mode="split", session=clips.session)
    with pytest.raises(TypeError, match="give a Job, an id or a request id"):
        ltx.compare_clips(2.5, clips.jobs[1], session=clips.session)


def test_saved_form_is_the_pair_and_its_differences(clips: Clips, in_root: Path):
    a, b = clips.jobs[0], clips.jobs[3]  # 1080p 6s lighthouse vs 2k 8s fox
    w = ltx.compare_clips(a, b, mode="wipe", session=clips.session)
    data, _ = w._repr_mimebundle_()
    assert data[WIDGET_MIME]["model_id"] == w.model_id == w._self_id
    page = data["text/html"]
    assert "<script" not in page
    videos = Tags(page).all("video")
    assert [v["src"] for v in videos] == [
        f"ltx_media/{a.video_path.name}",
        f"ltx_media/{b.video_path.name}",
    ]
    assert all(poster_ok(str(v["poster"]), in_root) for v in videos)
    diff = page[page.index("<tbody>") : page.index('class="ltx-ab-same"')]
    for name in ("prompt", "duration", "resolution"):
        assert f"<th>{name}</th>" in diff
    assert "<th>model</th>" not in diff  # the same model: listed after, unmarked
    assert "<td>1080p</td><td>2k</td>" in diff and "<td>6s</td><td>8s</td>" in diff


def test_the_module_is_the_shared_ab_view_and_its_entry():
    esm = str(ABCompare._esm)
    assert "function abView(" in esm and "export default { render }" in esm
    assert esm.count("export default") == 1

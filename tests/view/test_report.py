"""export_report: a self-contained page whose every src resolves, or embeds."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from ltx_notebook._storage.tables import history_frame
from ltx_notebook._view.report import export_report
from tests.harness.clips import Clips
from tests.harness.html import Tags


def _srcs(page: str) -> list[str]:
    tags = Tags(page)
    out = [a["src"] for a in tags.all("video") + tags.all("img") if a.get("src")]
    out += [a["poster"] for a in tags.all("video") if a.get("poster")]
    return [s for s in out if s]


def test_report_copies_media_alongside_and_every_src_resolves(clips: Clips, tmp_path: Path):
    clips.session.store.update(clips.jobs[2].id, rating=5, notes="the keeper")
    out = export_report(clips.jobs, tmp_path / "share" / "review.html", title="Fox & lighthouse")
    try:
        assert out == tmp_path / "share" / "review.html" and out.is_file()
        page = out.read_text()
        assert page.startswith("<!DOCTYPE html>")
        assert "<title>Fox &amp; lighthouse</title>" in page
        srcs = _srcs(page)
        assert len(Tags(page).all("video")) == 4 and len(srcs) == 8  # 4 videos + 4 posters
        for src in srcs:
            assert not src.startswith(("/", "http", "data:")), src
            assert src.startswith("review_media/")
            assert (out.parent / src).is_file(), src
        # no external assets of any kind
        assert not re.search(r'(href|src)="(https?:)?//', page)
        assert "<link" not in page
        # params, timings, cost, ratings and notes
        for job in clips.jobs:
            assert job.request_id in page
        assert "★★★★★" in page and "the keeper" in page
        assert "total s" in page and "$0.36" in page and "resolution \\ duration" in page
        assert "<script>" in page  # play-all, optional
    finally:
        clips.session.store.update(clips.jobs[2].id, rating=None, notes=None)


def test_report_from_a_history_frame_embedded(clips: Clips, tmp_path: Path):
    frame = history_frame(clips.session.store)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = export_report(frame, tmp_path / "embedded", embed=True, session=clips.session)
    assert out.suffix == ".html"
    page = out.read_text()
    srcs = _srcs(page)
    assert len(srcs) == 8
    assert all(s.startswith(("data:video/mp4;base64,", "data:image/jpeg;base64,")) for s in srcs)
    assert not (tmp_path / "embedded_media").exists()


def test_report_embedding_over_budget_copies_and_warns(clips: Clips, tmp_path: Path):
    import pytest

    smallest = min(j.video_path.stat().st_size for j in clips.jobs)
    with pytest.warns(UserWarning, match="did not fit"):
        out = export_report(clips.jobs, tmp_path / "r.html", embed=True, embed_cap=smallest)
    page = out.read_text()
    linked = [s for s in _srcs(page) if not s.startswith("data:")]
    assert linked and all((tmp_path / s).is_file() for s in linked)
    assert any(s.startswith("data:video/mp4") for s in _srcs(page))

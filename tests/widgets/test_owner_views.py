"""The gallery, the A/B view and the report name each clip's owner, only where it says something.

One person's clips read as they always did; once a teammate's are among them,
each heading says whose it is (``… · by bo``) and the report's table has an owner
column.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import ltx_notebook as ltx
from ltx_notebook._core.config import get_settings
from ltx_notebook.widgets._gallery import gallery
from tests.harness.clips import Clips


@pytest.fixture
def one_is_bos(clips: Clips, in_root: Path) -> Iterator[int]:
    """The first clip made by a teammate, bo; the others by this user."""
    store = clips.session.store
    first = clips.jobs[0].id
    before = store.get(first)
    assert before is not None
    store.update(first, owner="bo")
    yield first
    store.update(first, owner=before.owner)


def test_one_persons_clips_name_no_owner(clips: Clips, in_root: Path) -> None:
    assert {job.record.owner for job in clips.jobs} == {get_settings().user}
    view = gallery(clips.jobs)
    assert not any(" · by " in tile["heading"] for tile in view.tiles)
    assert " · by " not in view.static_html()


def test_a_teammates_clip_is_named_in_the_gallery_compare_and_report(
    clips: Clips, one_is_bos: int, tmp_path: Path
) -> None:
    me = get_settings().user
    view = gallery(clips.jobs)
    headings = {tile["id"]: tile["heading"] for tile in view.tiles}
    assert headings[one_is_bos].endswith(" · by bo")
    assert all(h.endswith(f" · by {me}") for i, h in headings.items() if i != one_is_bos)
    assert "by bo" in view.static_html()

    other = clips.jobs[1].id
    pair = ltx.compare_clips(one_is_bos, other, session=clips.session)
    assert pair.a["heading"].endswith(" · by bo") and pair.b["heading"].endswith(f" · by {me}")
    assert "by bo" in pair.static_html()

    page = ltx.export_report(clips.jobs, tmp_path / "team.html", session=clips.session)
    text = page.read_text(encoding="utf-8")
    assert "<th>owner</th>" in text and "<td>bo</td>" in text and "by bo" in text

    alone = ltx.export_report(clips.jobs[1:], tmp_path / "mine.html", session=clips.session)
    assert "<th>owner</th>" not in alone.read_text(encoding="utf-8")

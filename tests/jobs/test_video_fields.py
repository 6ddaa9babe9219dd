"""How often a finished job's video is opened: each opening runs FFmpeg's stream probe.

A video found on disk, or just downloaded: twice (the probe, then the
poster's frame). A download's check is those two: the poster's frame is the
proof it is a video, and the row takes the check's headers.

Each opening runs FFmpeg's stream probe, a job's largest fixed CPU cost; the
poster is given the probe rather than making its own. Counted by wrapping
``av.open``; the video is a real MP4.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from ltx_notebook._jobs.download import video_fields
from ltx_notebook._storage import media, parts
from tests.storage.media_videos import count_opens, make_mp4


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return count_opens(monkeypatch)


def test_the_row_of_a_finished_video_opens_it_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, opened: list[str]
) -> None:
    dest = make_mp4(tmp_path / "ltx-0001.mp4", audio=True, seconds=1)
    opened.clear()
    fields = video_fields(dest)
    assert opened == [dest.name, dest.name]
    monkeypatch.undo()
    info = media.probe(dest)
    assert (fields["video_width"], fields["has_audio"]) == (info.width, True)
    assert fields["video_seconds"] == info.seconds
    assert Path(fields["poster_path"]).read_bytes()[:2] == b"\xff\xd8"


def test_a_downloaded_video_is_opened_twice_check_included(
    tmp_path: Path, opened: list[str]
) -> None:
    made = make_mp4(tmp_path / "made.mp4", audio=True, seconds=1)
    dest = tmp_path / "ltx-0002.mp4"
    part = parts.part_path(dest)
    shutil.copy(made, part)
    opened.clear()
    poster = dest.with_suffix(".jpg")
    size = made.stat().st_size
    info = asyncio.run(parts.commit_part(part, dest, expected_size=size, poster=poster))
    fields = video_fields(dest, info, poster)
    assert opened == [part.name, part.name]  # the check: headers, then the poster's frame
    assert (fields["video_width"], fields["has_audio"]) == (info.width, True)
    assert fields["file_bytes"] == dest.stat().st_size
    assert Path(fields["poster_path"]).read_bytes()[:2] == b"\xff\xd8"
    assert media.probe(dest) == info


def test_a_part_that_is_no_video_is_refused_and_removed(tmp_path: Path) -> None:
    dest = tmp_path / "ltx-0003.mp4"
    part = parts.part_path(dest)
    part.write_bytes(b"\x00" * 4096)
    poster = dest.with_suffix(".jpg")
    with pytest.raises(media.MediaError, match="is not a readable video"):
        asyncio.run(parts.commit_part(part, dest, expected_size=4096, poster=poster))
    assert not part.exists() and not dest.exists() and not poster.exists()

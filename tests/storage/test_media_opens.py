"""Each opening of a video runs FFmpeg's stream probe, so media opens a file as few times as it can.

Verifying a download reads the headers and the first frame in one opening; a
poster given the caller's probe opens the video once. Counted by wrapping
``av.open``; the videos are real MP4s.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ltx_notebook._storage import media
from tests.storage.media_videos import count_opens


@pytest.fixture
def opens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return count_opens(monkeypatch)


def test_verify_reads_headers_and_first_frame_in_one_opening(
    mp4_silent: Path, opens: list[str]
) -> None:
    media.verify(mp4_silent, "clip.mp4")
    assert opens == [mp4_silent.name]


def test_verify_still_refuses_a_file_with_no_video(tmp_path: Path, opens: list[str]) -> None:
    bad = tmp_path / "clip.mp4.part"
    bad.write_bytes(b"\x00" * 4096)
    with pytest.raises(media.MediaError, match=r"clip\.mp4\.part is not a readable video"):
        media.verify(bad, "clip.mp4")


def test_a_poster_given_the_probe_opens_the_video_once(
    tmp_path: Path, mp4_silent: Path, opens: list[str]
) -> None:
    info = media.probe(mp4_silent)
    opens.clear()
    out = media.poster(mp4_silent, tmp_path / "p.jpg", info=info)
    assert opens == [mp4_silent.name]
    assert out.read_bytes()[:2] == b"\xff\xd8"

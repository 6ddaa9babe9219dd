"""A finished job's row and poster open its video twice: the probe, then the poster's frame.

Each opening runs FFmpeg's stream probe, a job's largest fixed CPU cost; the
poster is given the probe rather than making its own. Counted by wrapping
``av.open``; the video is a real MP4.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import pytest

from ltx_notebook._jobs.download import video_fields
from ltx_notebook._storage import media
from tests.storage.media_videos import make_mp4


def test_the_row_of_a_finished_video_opens_it_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = make_mp4(tmp_path / "ltx-0001.mp4", audio=True, seconds=1)
    opened: list[str] = []
    real: Callable[..., Any] = av.open

    def counting(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(Path(str(file)).name)
        return real(file, *args, **kwargs)

    monkeypatch.setattr(av, "open", counting)
    fields = video_fields(dest)
    assert opened == [dest.name, dest.name]
    monkeypatch.undo()
    info = media.probe(dest)
    assert (fields["video_width"], fields["has_audio"]) == (info.width, True)
    assert fields["video_seconds"] == info.seconds
    assert Path(fields["poster_path"]).read_bytes()[:2] == b"\xff\xd8"

"""In VS Code the download makes the copy with MP3 audio, so the finished cell finds it made."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from ltx_notebook import Job, Session, validate
from ltx_notebook._storage.playback import copy_path


def _video_shown(job: Job, seen: list[tuple[Path, bool]]) -> None:
    """Note, at the first change that records the video, whether its copy was there."""
    path = job.record.video_path
    if path and not seen:
        seen.append((Path(path), copy_path(path).is_file()))


@pytest.mark.parametrize(("front", "copied"), [("vscode", True), ("jupyter", False)])
def test_the_download_makes_the_copy_the_front_end_plays(
    session: Session, monkeypatch: pytest.MonkeyPatch, front: str, copied: bool
) -> None:
    monkeypatch.setenv("LTX_NOTEBOOK_FRONTEND", front)
    job = session.submit(validate(prompt="a fox in snow", duration=6, resolution="1080p"))
    seen: list[tuple[Path, bool]] = []
    job.add_listener(lambda j: _video_shown(j, seen))
    job.wait(60)
    assert job.record.has_audio and seen
    video, there = seen[0]
    assert there is copied  # made before the row said the video is on disk
    assert copy_path(video).is_file() is copied
    if copied:
        with av.open(str(copy_path(video))) as container:
            assert container.streams.audio[0].codec_context.name.startswith("mp3")

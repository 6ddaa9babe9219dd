"""Fixtures: small real MP4s, made once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_videos import make_mp4


@pytest.fixture(scope="session")
def video_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("videos")


@pytest.fixture(scope="session")
def mp4_audio(video_dir: Path) -> Path:
    return make_mp4(video_dir / "with-audio.mp4", audio=True)


@pytest.fixture(scope="session")
def mp4_silent(video_dir: Path) -> Path:
    return make_mp4(video_dir / "silent.mp4", audio=False)


@pytest.fixture(scope="session")
def mp4_wide(video_dir: Path) -> Path:
    return make_mp4(video_dir / "wide.mp4", audio=False, seconds=0.5, width=1280, height=720)

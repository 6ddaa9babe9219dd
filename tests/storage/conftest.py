"""Fixtures: a fresh store with a clock the test moves by hand, and small real MP4s.

``store`` and ``store_path`` are parametrised by backend: every test that uses
them runs on a SQLite file and on a PostgreSQL database of its own (a real
server, see tests/harness/postgres.py). ``sqlite_path`` is for the tests about
the file itself. The MP4s are made once per session.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ltx_notebook._storage.store import Store
from tests.harness.clock import FakeClock
from tests.storage.media_videos import make_mp4


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "dir" / "jobs.sqlite"


@pytest.fixture
def store_path(backend: str, request: pytest.FixtureRequest) -> Path | str:
    """Where the test's store lives: a SQLite file's path, or a fresh database's URL."""
    if backend == "sqlite":
        path: Path = request.getfixturevalue("sqlite_path")
        return path
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def store(store_path: Path | str, clock: FakeClock) -> Store:
    return Store(store_path, clock=clock)


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


@pytest.fixture(scope="session")
def mp4_keyed(video_dir: Path) -> Path:
    """A keyframe every quarter second (6 frames at 24 fps)."""
    return make_mp4(video_dir / "keyed.mp4", audio=False, keyint=6)

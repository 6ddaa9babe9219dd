"""Fixtures: a store on a fresh file with a clock the test moves by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ltx_notebook._storage.store import Store


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    @property
    def utc(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)


@pytest.fixture
def clock() -> FakeClock:  # the tests annotate it as ``Any``: conftest is not importable
    return FakeClock()


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "dir" / "jobs.sqlite"


@pytest.fixture
def store(store_path: Path, clock: FakeClock) -> Store:
    return Store(store_path, clock=clock)

"""Fixtures: a store on a fresh file with a clock the test moves by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from ltx_notebook._storage.store import Store
from tests.harness.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "dir" / "jobs.sqlite"


@pytest.fixture
def store(store_path: Path, clock: FakeClock) -> Store:
    return Store(store_path, clock=clock)

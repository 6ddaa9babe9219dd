"""Fixtures of the view tests: a store of 5,000 jobs made from the four real clips."""

from __future__ import annotations

import pytest

from ltx_notebook._storage.store import Store
from tests.harness.clips import Clips
from tests.harness.many_jobs import fill


@pytest.fixture(scope="module")
def big_store(clips: Clips, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """5,000 jobs: copies of the four real clips (their real files), varied."""
    store = Store(tmp_path_factory.mktemp("big") / "jobs.sqlite")
    fill(store, clips.session.store.rows(), 5000)
    return store

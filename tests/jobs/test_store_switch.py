"""Switching the store mid-session: a new store's job is never handed an old store's Job.

Local ids start at 1 in every store, so after ``configure(media_dir=...)`` the
first job of the new store has the id of the first job of the old one. A
session that tracked jobs by local id alone gave the new, billed job the old
handle: never polled, never downloaded, the old video shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

import ltx_notebook
from ltx_notebook import JobStatus, Session, validate
from ltx_notebook._core import config as _config
from ltx_notebook._storage.store import Store
from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY


@pytest.fixture
def configured(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """A session that follows the process-wide settings, as the default one does."""
    monkeypatch.setattr(_config, "_settings", None)
    ltx_notebook.configure(base_url=emulator.base_url, api_key=API_KEY)
    session = Session()
    yield session
    session.runtime.stop()


@pytest.mark.parametrize("how", ["media_dir", "store_path", "postgresql"])
def test_a_new_stores_job_is_its_own_and_is_driven_to_its_video(
    configured: Session,
    emulator: Emulator,
    tmp_path: Path,
    how: str,
    request: pytest.FixtureRequest,
) -> None:
    session = configured
    ltx_notebook.configure(media_dir=tmp_path / "a")
    old = session.submit(validate(prompt="the first store's fox")).wait(60)
    assert old.id == 1 and old.status is JobStatus.COMPLETED

    if how == "media_dir":
        ltx_notebook.configure(media_dir=tmp_path / "b")
    elif how == "store_path":
        ltx_notebook.configure(store_path=tmp_path / "b" / "other.sqlite")
    else:  # a team's database: the same session, now on PostgreSQL
        ltx_notebook.configure(store_path=request.getfixturevalue("postgres_url"))
    new = session.submit(validate(prompt="the second store's heron"))

    assert new is not old
    assert new.id == 1  # the collision this is about
    assert new.request_id in emulator.engine.jobs and new.request_id != old.request_id
    assert new.params.prompt == "the second store's heron"
    new.wait(60)
    assert new.status is JobStatus.COMPLETED
    assert new.video_path is not None and new.video_path.is_file()
    assert new.video_path != old.video_path
    assert session.store.get(1).request_id == new.request_id  # type: ignore[union-attr]

    # Looking either job up finds the one of the store in force.
    assert session.get(1) is new
    assert session.get(new.request_id) is new  # type: ignore[arg-type]
    # And going back to the first store finds the first job again, not the second.
    ltx_notebook.configure(media_dir=tmp_path / "a", store_path=tmp_path / "a" / "ltx-jobs.sqlite")
    assert session.get(1) is old
    assert emulator.engine.count("submit") == 2


@pytest.mark.parametrize("emulator_options", [{"speed": 10.0}])
def test_resume_in_a_new_store_follows_that_stores_jobs(
    configured: Session, emulator: Emulator, tmp_path: Path, settings: ltx_notebook.Settings
) -> None:
    session = configured
    ltx_notebook.configure(media_dir=tmp_path / "a")
    old = session.submit(validate(prompt="the first store's fox", duration=6))
    old.stop_waiting()

    # Another kernel (its own session) left a job unfinished in store b.
    other_settings = replace(
        settings, media_dir=tmp_path / "b", store_path=tmp_path / "b" / "ltx-jobs.sqlite"
    )
    other = Session(other_settings)
    left = other.submit(validate(prompt="the other kernel's heron", duration=6))
    other.runtime.stop()
    assert left.id == 1 and other.store.get(1).status is JobStatus.QUEUED  # type: ignore[union-attr]

    ltx_notebook.configure(media_dir=tmp_path / "b")
    (resumed,) = session.resume()
    assert resumed is not old
    assert resumed.request_id == left.request_id
    resumed.wait(60)
    assert resumed.status is JobStatus.COMPLETED and resumed.video_path is not None
    assert resumed.video_path.is_file()
    assert emulator.engine.count("submit") == 2  # resuming sends no submit
    old.wait(60)  # following it again finishes it in its own store
    first = Store(tmp_path / "a" / "ltx-jobs.sqlite").get(1)
    assert first is not None and first.request_id == old.request_id
    assert first.status is JobStatus.COMPLETED

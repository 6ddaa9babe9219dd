"""A poll that learns nothing writes nothing: the store is written on a change of state only.

The emulator's metrics tick on every poll (inference time so far), as a
running job's do; a trigger in the real store file records every update of
the job's row, so the test counts the writes SQLite actually made.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

from ltx_notebook import JobStatus, Session, Settings, validate
from tests.conftest import make_emulator

# Every write of the job's state sets updated_at; a lease's claim and renewal do not
# (they are the kernel's, not the job's), so they are not counted here.
LOG_UPDATES = """
CREATE TABLE updates (old_status TEXT, new_status TEXT);
CREATE TRIGGER log_updates AFTER UPDATE OF updated_at ON jobs
BEGIN INSERT INTO updates VALUES (old.status, new.status); END;
"""


def test_polls_of_a_running_job_write_nothing_until_its_state_changes(
    render_cache: Path, settings: Settings
) -> None:
    with make_emulator(render_cache, speed=10) as emu:  # a 6 s clip runs ~7 s
        session = Session(replace(settings, base_url=emu.base_url))
        with sqlite3.connect(session.store.path) as db:
            db.executescript(LOG_UPDATES)
        try:
            job = session.submit(validate(prompt="a heron over a lake", duration=6))
            assert job.wait(120).status is JobStatus.COMPLETED
        finally:
            session.runtime.stop()
        polls = emu.engine.count("status")
    with sqlite3.connect(session.store.path) as db:
        updates = db.execute("SELECT old_status, new_status FROM updates").fetchall()
    running = {JobStatus.QUEUED.value, JobStatus.PROCESSING.value}
    assert polls >= 3  # several polls saw the job running, each with new metrics
    # Every write of a running job changed its state: none repeats a state it had.
    assert [u for u in updates if u[0] == u[1] and u[0] in running] == []
    assert len(updates) < polls + 4  # the state changes, the result and the download

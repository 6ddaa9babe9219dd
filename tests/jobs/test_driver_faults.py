"""The job driver under faults: a paid job is followed to its end whatever the service says.

Every test injects a fault into the emulator (over real loopback HTTP), then
checks that ``wait()`` returns only once the row is terminal, with the video
on disk, and that nothing was submitted twice.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Any

import pytest

from ltx_notebook import JobStatus, Session, Settings, validate
from ltx_notebook._jobs.job import Job
from ltx_notebook._jobs.rules import MISSING_POLLS
from ltx_notebook._storage import store as store_module
from ltx_notebook.emulator import Emulator
from tests.harness.waiting import until
from tests.jobs.conftest import make_quick

PROMPT = "a red fox running through fresh snow at sunrise"


def notes_of(job: Job) -> list[tuple[JobStatus, str | None]]:
    """Every (status, error) the job's row goes through from now on."""
    seen: list[tuple[JobStatus, str | None]] = []
    job.add_listener(lambda j: seen.append((j.status, j.error)))
    return seen


def assert_finished_with_video(session: Session, job: Job, emulator: Emulator) -> None:
    row = session.store.get(job.id)
    assert row is not None and row.status is JobStatus.COMPLETED, row
    assert row.video_path is not None and row.video_path.is_file()
    assert row.error is None  # the notes of the trouble are gone once it is over
    assert emulator.engine.count("submit") == 1  # never sent twice


# -- defect 2: a 404 while polling ---------------------------------------------------------


@pytest.mark.parametrize("times", [1, 4])
def test_a_404_on_a_status_poll_within_the_hour_is_retried_not_lost(
    quick: Session, emulator: Emulator, times: int
) -> None:
    job = quick.submit(validate(prompt=PROMPT))
    seen = notes_of(job)
    emulator.engine.inject("status", 404, times=times)
    job.wait(60)
    assert_finished_with_video(quick, job, emulator)
    # From the third 404 in a row the request history is asked instead (it had the job).
    assert emulator.engine.count("status", status=404) == min(times, MISSING_POLLS)
    assert (emulator.engine.count("history") > 0) is (times >= MISSING_POLLS)
    # While the 404s lasted, the row stayed unfinished and said why it was waiting.
    noted = [e for s, e in seen if not s.is_terminal and e and "404" in e]
    assert noted and noted[0].startswith("polling:")


def test_resume_picks_up_a_row_marked_lost_within_the_hour(
    settings: Settings, emulator: Emulator
) -> None:
    first = Session(settings)
    job = first.submit(validate(prompt=PROMPT))
    first.runtime.stop()
    # What an older version wrote after one 404: LOST, for good.
    first.store.update(job.id, status=JobStatus.LOST, error="the service no longer knows it")
    old = first.store.create(
        validate(prompt="older"), cost_estimate=0.36, base_url=settings.base_url
    )
    first.store.update(
        old.id,
        request_id="gone-long-ago",
        status=JobStatus.LOST,
        submitted_at=time.time() - 2 * 3600,
    )

    second = Session(settings)
    try:
        resumed = second.resume()
        assert [j.id for j in resumed] == [job.id]  # not the one past the hour
        resumed[0].wait(60)
        assert_finished_with_video(second, resumed[0], emulator)
        assert second.store.get(old.id).status is JobStatus.LOST
    finally:
        second.runtime.stop()


# -- defect 5: the result fetch and the store under faults -----------------------------------

RESULT_FAULTS = {
    "result 500 x6": {"status": 500, "times": 6},
    "result 404 x2": {"status": 404, "times": 2},
    "result HTML 200": {"status": 200, "body": "<html><body>Bad gateway</body></html>", "times": 2},
    "result 422 not FAILED": {"status": 422, "body": {"error": "Unprocessable"}, "times": 2},
    "result dropped mid-body x4": {"drop": True, "times": 4},
}


@pytest.mark.parametrize("fault", list(RESULT_FAULTS.values()), ids=list(RESULT_FAULTS))
def test_a_failing_result_fetch_is_retried_until_the_job_has_its_video(
    quick: Session, emulator: Emulator, fault: dict[str, Any]
) -> None:
    emulator.engine.inject("result", **fault)
    job = quick.submit(validate(prompt=PROMPT))
    seen = notes_of(job)
    job.wait(60)
    assert_finished_with_video(quick, job, emulator)
    noted = [e for s, e in seen if e and "result" in e]
    assert noted, seen  # the trouble was recorded while it lasted


ABSURD_METRICS = {
    "queue_time 1e308": {"queue_time": 1e308, "cost": 0.36},
    "queue_time -1e308": {"queue_time": -1e308, "inference_time": 1e308},
    "strings": {"queue_time": "soon", "cost": "free", "total_time": None},
}


@pytest.mark.parametrize("metrics", list(ABSURD_METRICS.values()), ids=list(ABSURD_METRICS))
def test_absurd_metrics_in_the_result_do_not_end_the_driver(
    quick: Session, emulator: Emulator, metrics: dict[str, Any]
) -> None:
    job = quick.submit(validate(prompt=PROMPT))
    made = emulator.engine.jobs[job.request_id]
    root = emulator.base_url.removesuffix("v1")
    until(lambda: made.media_name is not None, "the clip is rendered (at submit, in a thread)")
    body = {
        "status": "COMPLETED",
        "request_id": job.request_id,
        "output": f"{root}media/{made.media_name}",
        "metrics": metrics,
    }
    emulator.engine.inject("result", 200, body=body)
    job.wait(60)
    assert_finished_with_video(quick, job, emulator)
    row = quick.store.get(job.id)
    assert row.started_at is None or row.started_at <= row.completed_at


def test_a_store_locked_past_its_timeout_does_not_end_the_driver(
    quick: Session, emulator: Emulator, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.2)
    caplog.set_level(logging.WARNING, logger="ltx_notebook")
    job = quick.submit(validate(prompt=PROMPT))
    # Another kernel holds the write lock (a long transaction) while the job ends.
    other = sqlite3.connect(quick.store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        deadline = time.monotonic() + 30
        while not job.done and "locked" not in caplog.text:
            assert time.monotonic() < deadline, "the driver never tried to write"
            time.sleep(0.02)
    finally:
        other.execute("ROLLBACK")
        other.close()
    job.wait(60)
    assert_finished_with_video(quick, job, emulator)


# -- defect 14: a state this version does not know ---------------------------------------------


def test_an_unknown_status_is_recorded_and_polled_with_backoff(
    quick: Session, emulator: Emulator
) -> None:
    job = quick.submit(validate(prompt=PROMPT))
    seen = notes_of(job)
    body = {"status": "CANCELLED", "request_id": job.request_id}
    emulator.engine.inject("status", 200, body=body, times=3)
    job.wait(60)
    assert_finished_with_video(quick, job, emulator)
    noted = [e for s, e in seen if not s.is_terminal and e and "CANCELLED" in e]
    assert noted and noted[0].startswith("polling:")


def test_wait_on_a_job_nobody_drives_follows_it(settings: Settings, emulator: Emulator) -> None:
    first = Session(settings)
    job = first.submit(validate(prompt=PROMPT))
    first.runtime.stop()  # its driver is gone with the runtime
    second = make_quick(Session(settings))
    try:
        again = second.get(job.id)
        assert not again.done
        again.wait(60)
        assert_finished_with_video(second, again, emulator)
    finally:
        second.runtime.stop()

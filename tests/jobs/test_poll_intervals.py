"""What the driver keeps of a job's timing for the schedule: the interval its end lies in."""

from __future__ import annotations

from pathlib import Path

import pytest

from ltx_notebook import JobStatus
from ltx_notebook._core.params import validate
from tests.conftest import make_emulator
from tests.harness.sweeps import session_on


def test_a_job_records_when_a_poll_last_saw_it_running(render_cache: Path, tmp_path: Path) -> None:
    # Against a service that sends only inference_time: the row keeps the interval its
    # end lies in, and the store hands the schedule that interval, not the seen-by span.
    with make_emulator(render_cache, metrics="inference", speed=20.0) as emu:
        session = session_on(emu, tmp_path)
        try:
            job = session.submit(validate(prompt="a fox", duration=6)).wait(120)
        finally:
            session.runtime.stop()
    record = job.record
    assert record.status is JobStatus.COMPLETED
    assert record.seen_running_s is not None and record.total_s is not None
    assert 0 < record.seen_running_s < record.total_s
    ((lo, hi),) = session.store.durations("ltx-2-pro", 6, "1080p")
    assert lo < hi == pytest.approx(record.total_s)
    assert lo >= record.seen_running_s  # and past the inference_time the service sent

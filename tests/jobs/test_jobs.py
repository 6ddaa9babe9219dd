"""Jobs end to end: Session → client → emulator over loopback → store → media."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import av
import pytest

from ltx_notebook import (
    AuthenticationError,
    InsufficientCredits,
    InvalidParams,
    JobFailed,
    JobStatus,
    Session,
    SubmitUnknown,
    WaitTimeout,
    validate,
)
from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._storage.tables import history_frame
from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY, make_emulator
from tests.harness.secrets import assert_nowhere, exception_text
from tests.harness.waiting import until

PROMPT = "a red fox running through fresh snow at sunrise"


def test_generate_returns_at_once_with_a_request_id_then_completes_with_a_local_video(
    session: Session, emulator: Emulator
) -> None:
    job = session.submit(validate(prompt=PROMPT, duration=6))

    assert job.request_id and job.request_id in emulator.engine.jobs
    assert job.status in (JobStatus.QUEUED, JobStatus.PROCESSING)
    row = session.store.get(job.id)
    assert row is not None and row.request_id == job.request_id  # recorded before polling

    assert job.wait(60) is job
    assert job.status is JobStatus.COMPLETED and job.done and job.error is None
    assert job.video_path is not None and job.video_path.is_file()
    assert job.video_path.parent == session.settings.media_dir
    with av.open(str(job.video_path)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert len(container.streams.audio) == 1

    rec = job.record
    assert rec.total_s is not None and rec.total_s > 0
    assert rec.cost == pytest.approx(0.36)  # from metrics.cost, not the estimate
    assert rec.video_seconds == pytest.approx(6, abs=0.1)
    assert (rec.video_width, rec.video_height) == (192, 108)  # render_scale 0.1 of 1080p
    assert rec.has_audio is True and rec.file_bytes == job.video_path.stat().st_size
    assert rec.poster_path is not None and Path(rec.poster_path).is_file()
    assert rec.started_at is not None and rec.completed_at is not None
    assert rec.queue_s is not None and rec.run_s is not None
    assert rec.queue_s + rec.run_s == pytest.approx(rec.total_s, abs=0.01)
    assert rec.url_expires_at is not None and rec.output_url


def test_no_audio_is_honoured_end_to_end(session: Session) -> None:
    job = session.submit(validate(prompt=PROMPT, generate_audio=False)).wait(60)
    assert job.record.has_audio is False


def test_failed_job_does_not_raise_from_wait_and_keeps_the_reason(session: Session) -> None:
    job = session.submit(validate(prompt="an nsfw scene")).wait(60)
    assert job.status is JobStatus.FAILED
    assert job.error and "policy" in job.error.lower()
    assert job.video_path is None
    with pytest.raises(JobFailed) as info:
        job.result()
    assert info.value.request_id == job.request_id


def test_invalid_params_send_nothing(session: Session, emulator: Emulator) -> None:
    with pytest.raises(InvalidParams, match="6, 8, 10"):
        validate(prompt=PROMPT, duration=7)
    assert emulator.engine.count() == 0


def test_refused_submit_leaves_no_row_and_bills_nothing(
    settings, emulator: Emulator, tmp_path: Path
) -> None:
    from dataclasses import replace

    wrong = Session(replace(settings, api_key=Secret("sk-wrong-key-000000")))
    try:
        with pytest.raises(AuthenticationError):
            wrong.submit(validate(prompt=PROMPT))
        assert wrong.store.count() == 0
        assert emulator.engine.credits == pytest.approx(emulator.config.credits)
    finally:
        wrong.runtime.stop()


def test_insufficient_credits_is_raised_at_submit(session: Session, emulator: Emulator) -> None:
    emulator.engine.set_credits(0.01)
    with pytest.raises(InsufficientCredits):
        session.submit(validate(prompt=PROMPT))
    assert session.store.count() == 0


def test_a_502_while_polling_is_survived(session: Session, emulator: Emulator) -> None:
    emulator.engine.inject("status", 502, times=2)
    job = session.submit(validate(prompt=PROMPT)).wait(60)
    assert job.status is JobStatus.COMPLETED and job.video_path
    assert emulator.engine.count("status", status=502) == 2


def test_a_submit_whose_answer_never_came_is_never_resent_and_stays_on_record(
    session: Session, emulator: Emulator
) -> None:
    # The gateway gave up (504) without naming a job: it may exist, nobody can follow it.
    # (An answer cut off after it named the job is followed: see test_submit_faults.py.)
    emulator.engine.inject("submit", 504)
    with pytest.raises(SubmitUnknown) as info:
        session.submit(validate(prompt=PROMPT))
    assert emulator.engine.count("submit") == 1
    row = session.store.get(info.value.job_id)
    assert row is not None and row.status is JobStatus.UNKNOWN
    assert "may exist" in (row.error or "")


def test_wait_timeout_is_a_timeout_error_and_the_job_goes_on(
    render_cache: Path, tmp_path: Path, settings
) -> None:
    from dataclasses import replace

    with make_emulator(render_cache, speed=20) as slow:
        s = Session(replace(settings, base_url=slow.base_url))
        try:
            job = s.submit(validate(prompt=PROMPT))
            with pytest.raises(TimeoutError) as info:
                job.wait(0.2)
            assert isinstance(info.value, WaitTimeout)
            assert info.value.request_id == job.request_id
            assert job.wait(60).status is JobStatus.COMPLETED
        finally:
            s.runtime.stop()


def test_await_job_from_another_event_loop(session: Session) -> None:
    job = session.submit(validate(prompt=PROMPT))

    async def main() -> JobStatus:
        done = await job
        return done.status

    assert asyncio.run(main()) is JobStatus.COMPLETED


def test_resume_after_restart_brings_an_unfinished_job_to_its_video(
    render_cache: Path, settings
) -> None:
    from dataclasses import replace

    with make_emulator(render_cache, speed=25) as emu:
        first = Session(replace(settings, base_url=emu.base_url))
        job = first.submit(validate(prompt=PROMPT))
        first.runtime.stop()  # the "kernel" dies while the job runs
        assert first.store.get(job.id).status in (JobStatus.QUEUED, JobStatus.PROCESSING)

        second = Session(replace(settings, base_url=emu.base_url))
        try:
            resumed = second.resume()
            assert [j.request_id for j in resumed] == [job.request_id]
            done = resumed[0].wait(60)
            assert done.status is JobStatus.COMPLETED and done.video_path.is_file()
        finally:
            second.runtime.stop()


def test_expired_request_is_recorded_not_lost(render_cache: Path, settings) -> None:
    from dataclasses import replace
    from datetime import timedelta

    with make_emulator(render_cache, speed=1, expire_after=0.3) as emu:
        s = Session(replace(settings, base_url=emu.base_url))
        # A 404 is final only once the record can no longer exist: this emulator's hour.
        s.record_ttl = timedelta(seconds=0.3)
        # Past the hour the request history is asked (tests/jobs/test_recovery.py): here
        # it does not know the request either.
        emu.engine.inject("history", 404, times=1000)
        try:
            job = s.submit(validate(prompt=PROMPT)).wait(30)
            assert job.status is JobStatus.EXPIRED
            assert "expire" in (job.error or "")
            assert s.store.get(job.id).request_id == job.request_id
        finally:
            s.runtime.stop()


def test_schedule_is_learned_from_history_of_the_same_service(session: Session) -> None:
    first = session.submit(validate(prompt=PROMPT))
    assert first.schedule is None or first.schedule.expected is None
    first.wait(60)
    for _ in range(3):
        session.submit(validate(prompt=PROMPT)).wait(60)
    learned = session.submit(validate(prompt=PROMPT)).wait(60)
    assert learned.schedule is not None and learned.schedule.expected is not None
    assert learned.schedule.expected < 10  # seconds at speed 100, not the 70 s prior


def test_history_frame_has_typed_columns(session: Session) -> None:
    session.submit(validate(prompt=PROMPT)).wait(60)
    session.submit(validate(prompt="nsfw")).wait(60)
    frame = history_frame(session.store)
    expected = (
        "request_id model prompt duration resolution generate_audio image status error "
        "submitted_at completed_at total_s output_url video_path"
    )
    for column in expected.split(" "):
        assert column in frame.columns
    assert str(frame["submitted_at"].dtype).startswith("datetime64")
    assert str(frame["duration"].dtype) == "Int64"
    assert str(frame["status"].dtype) == "category"
    assert set(frame["status"]) == {"COMPLETED", "FAILED"}
    assert len(history_frame(session.store, status="FAILED")) == 1


def test_the_key_is_in_no_file_repr_or_message(session: Session, tmp_path: Path) -> None:
    job = session.submit(validate(prompt=PROMPT)).wait(60)
    session.submit(validate(prompt="nsfw")).wait(60)
    for text in (repr(job), repr(session.settings), str(session.settings.describe())):
        assert API_KEY not in text
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert API_KEY.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("tail", ["\n", "\r\n", " "], ids=["newline", "crlf", "space"])
def test_a_key_read_from_a_file_works_and_shows_in_no_file_log_or_message(
    render_cache: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    tail: str,
    request: pytest.FixtureRequest,
) -> None:
    # A key of this test's own: one registered by another test would be redacted already.
    key = f"sk-emu-{request.node.callspec.id}-0123456789abcdef"
    caplog.set_level(logging.DEBUG)  # httpx's and httpcore's debug lines included
    with make_emulator(render_cache, api_key=key) as emu:
        s = Session(
            Settings(
                api_key=Secret(key + tail),
                base_url=emu.base_url,
                media_dir=tmp_path / "media",
                store_path=tmp_path / "media" / "jobs.sqlite",
            )
        )
        try:
            done = s.submit(validate(prompt=PROMPT)).wait(60)
            # A service echoing the key in a FAILED reason, as bytes and escaped.
            echo = f"refused for {(key + tail).encode()!r} / {key + tail!r}"
            emu.engine.inject("status", 422, body={"status": "FAILED", "error": echo}, times=9)
            failed = s.submit(validate(prompt=PROMPT)).wait(60)
            emu.engine.clear_faults()
            emu.engine.inject("submit", 401, body={"error": f"bad key {(key + tail)!r}"})
            with pytest.raises(AuthenticationError) as refused:
                s.submit(validate(prompt=PROMPT))
            texts = [repr(done), repr(failed), failed.error or "", repr(s.settings)]
        finally:
            s.runtime.stop()
    assert done.status is JobStatus.COMPLETED and failed.status is JobStatus.FAILED
    assert "***" in (failed.error or "")
    files = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()]  # the SQLite file raw
    assert_nowhere(key, caplog.text, exception_text(refused.value), *texts, *files)


def test_a_key_that_slipped_past_the_check_leaves_no_row_and_no_trace(
    session: Session, emulator: Emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = "sk-slipped-emu-0123456789abcdef"
    caplog.set_level(logging.DEBUG)
    settings = session.settings
    assert settings.api_key is not None
    Secret(key)
    settings.api_key._value = key + "\r\n"  # what a Settings altered after its check holds
    with pytest.raises(InvalidParams) as info:
        session.submit(validate(prompt=PROMPT))
    assert "nothing was sent" in str(info.value)
    assert emulator.engine.count("submit") == 0
    assert session.store.find() == []  # refused before sending: no UNKNOWN "may be billed" row
    files = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()]
    assert_nowhere(key, caplog.text, exception_text(info.value), *files)


def test_stop_waiting_pauses_polling_and_wait_follows_again(render_cache: Path, settings) -> None:
    from dataclasses import replace

    with make_emulator(render_cache, speed=20) as emu:
        s = Session(replace(settings, base_url=emu.base_url))
        try:
            job = s.submit(validate(prompt=PROMPT))
            job.stop_waiting()
            assert job.stopped and not job.done
            polls = emu.engine.count("status")
            # The window to watch is the job's whole run on the service: it ends there, and
            # this side never asks (one poll already on its way when we stopped may land).
            until(lambda: emu.engine.status_of(job.request_id) == "COMPLETED", "the job ends")
            assert emu.engine.count("status") <= polls + 1  # paused: nothing more is sent
            assert not job.done and job.status is not JobStatus.COMPLETED  # nobody asked
            assert job.wait(60).status is JobStatus.COMPLETED and job.video_path.is_file()
            assert not job.stopped
        finally:
            s.runtime.stop()

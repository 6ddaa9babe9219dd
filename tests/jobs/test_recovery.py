"""Jobs found again in the request history, against a real emulator over loopback.

An expired job is ended from its history record (its video downloaded, its
charge recorded); a submit whose answer was lost is matched by model, time
and inputs and finished, billed once; several matches are listed and one is
adopted; none, once the grace period is over, says the service has no such
request; ``reconcile()`` settles what a crash or an older version left and
fills every real charge.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from ltx_notebook import InvalidParams, JobStatus, Session, Settings, SubmitUnknown, validate
from ltx_notebook._jobs.recovery.matching import NOT_BILLED
from ltx_notebook._storage.records import JobRecord
from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY, make_emulator
from tests.jobs.conftest import make_quick

PROMPT = "a red fox running through fresh snow at sunrise"


def behind_the_gateway(emulator: Emulator, body: dict[str, object]) -> str:
    """A job the service made and billed that this store never heard of: its id."""
    root = emulator.base_url.removesuffix("/v1")
    reply = httpx.post(f"{root}/v2/ltx-2-pro", json=body, headers={"x-api-key": API_KEY})
    reply.raise_for_status()
    rid: str = reply.json()["request_id"]
    return rid


def finished(emulator: Emulator, *request_ids: str, timeout: float = 60) -> None:
    """Until the service has ended every one of *request_ids* (reconcile runs long after)."""
    deadline = time.monotonic() + timeout
    while any(emulator.engine.status_of(rid) not in ("COMPLETED", "FAILED") for rid in request_ids):
        assert time.monotonic() < deadline, request_ids
        time.sleep(0.05)


def row_until(session: Session, job_id: int, done: object, timeout: float = 60) -> JobRecord:
    """Job *job_id*'s row once ``done(row)`` holds (the store is read, never slept on blindly)."""
    deadline = time.monotonic() + timeout
    while True:
        row = session.store.get(job_id)
        assert row is not None
        if done(row):  # type: ignore[operator]
            return row
        assert time.monotonic() < deadline, row
        time.sleep(0.05)


@pytest.fixture
def expiring(render_cache: Path, settings: Settings) -> Iterator[tuple[Session, Emulator]]:
    """A session on an emulator whose /v2 records expire after 50 ms (its "hour")."""
    with make_emulator(render_cache, expire_after=0.05) as emu:
        s = make_quick(Session(replace(settings, base_url=emu.base_url)))
        s.record_ttl = timedelta(seconds=0.05)
        try:
            yield s, emu
        finally:
            s.runtime.stop()


# -- a job whose /v2 record is gone -------------------------------------------------------


def test_an_expired_job_is_followed_in_the_history_and_its_video_downloaded(
    expiring: tuple[Session, Emulator],
) -> None:
    session, emu = expiring
    job = session.submit(validate(prompt=PROMPT)).wait(60)
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.video_path and job.video_path.is_file() and job.error is None
    row = session.store.get(job.id)
    charged = emu.engine.jobs[job.request_id].cost
    assert row.cost == pytest.approx(charged)  # the real charge, from credits_deduction
    assert row.output_url and "/media/" in row.output_url
    assert row.video_seconds == pytest.approx(6, abs=0.1)
    assert emu.engine.count("history") >= 1  # it was the history that said COMPLETED
    assert emu.engine.status_of(job.request_id) is None  # the /v2 record is gone
    assert emu.engine.count("submit") == 1


def test_an_expired_job_that_failed_ends_failed_with_the_service_reason(
    expiring: tuple[Session, Emulator],
) -> None:
    session, emu = expiring
    job = session.submit(validate(prompt="an nsfw scene")).wait(60)
    assert job.status is JobStatus.FAILED
    assert job.error and "policy" in job.error.lower()
    assert emu.engine.count("history") >= 1


def test_an_expired_job_the_history_does_not_know_ends_expired(
    expiring: tuple[Session, Emulator],
) -> None:
    session, emu = expiring
    emu.engine.inject("history", 404, times=1000)
    job = session.submit(validate(prompt=PROMPT)).wait(60)
    assert job.status is JobStatus.EXPIRED
    assert "not in your request history either" in (job.error or "")
    assert session.store.get(job.id).request_id == job.request_id


def test_a_404_that_persists_within_the_hour_is_settled_by_the_history(
    quick: Session, emulator: Emulator
) -> None:
    # The /v2 record answers 404 long before its hour is up (it was lost at the service):
    # after a few such polls the history is asked, instead of polling /v2 for the hour.
    emulator.engine.inject("status", 404, times=100_000)
    emulator.engine.inject("result", 404, times=100_000)
    job = quick.submit(validate(prompt=PROMPT)).wait(60)
    assert job.status is JobStatus.COMPLETED and job.video_path and job.video_path.is_file()
    assert emulator.engine.count("history") >= 1
    assert quick.store.get(job.id).cost == pytest.approx(emulator.engine.jobs[job.request_id].cost)
    assert emulator.engine.count("submit") == 1


def test_reconcile_takes_a_row_whose_last_note_is_a_404(quick: Session, emulator: Emulator) -> None:
    store = quick.store
    params = validate(prompt="a lighthouse at dusk")
    rid = behind_the_gateway(emulator, params.payload())
    row = store.create(params, cost_estimate=0.36, base_url=quick.settings.base_url)
    # What a kernel polling through 404s left, before the hour was up.
    store.update(
        row.id,
        request_id=rid,
        status=JobStatus.PROCESSING,
        error=f"polling: not found (HTTP 404) on the status poll of request {rid}; polling on "
        "while the record may exist",
    )
    finished(emulator, rid)
    result = quick.reconcile().wait(60)
    assert f"job {row.id} ({rid}): PROCESSING → COMPLETED" in str(result)
    done = store.get(row.id)
    assert done.status is JobStatus.COMPLETED and done.video_path
    assert Path(done.video_path).is_file()
    assert emulator.engine.count("submit") == 1


# -- a submit whose answer was lost ----------------------------------------------------


def test_a_lost_submit_answer_is_matched_in_the_history_and_finished_billed_once(
    quick: Session, emulator: Emulator
) -> None:
    credits = emulator.engine.credits
    earlier = quick.submit(validate(prompt=PROMPT)).wait(60)  # the same inputs, already ours
    emulator.engine.inject("submit", drop=True, keep=0.0)  # made, then no byte of the answer
    job = quick.submit(validate(prompt=PROMPT))  # no SubmitUnknown: found again
    assert job.request_id and job.request_id != earlier.request_id
    assert "found in your request history" in (job.error or "")
    job.wait(60)
    assert job.status is JobStatus.COMPLETED and job.video_path and job.video_path.is_file()
    assert job.error is None
    assert emulator.engine.count("submit") == 2  # the earlier job and this one, never resent
    assert set(emulator.engine.jobs) == {earlier.request_id, job.request_id}
    assert quick.store.count() == 2
    spent = credits - emulator.engine.credits
    assert spent == pytest.approx(2 * emulator.engine.jobs[job.request_id].cost)


def test_a_lost_submit_with_a_local_image_is_matched_by_its_uploaded_url(
    quick: Session, emulator: Emulator, tmp_path: Path
) -> None:
    frame = tmp_path / "first-frame.png"
    Image.new("RGB", (320, 180), (250, 20, 20)).save(frame)
    emulator.engine.inject("submit", drop=True, keep=0.0)
    job = quick.submit(validate(prompt=PROMPT, image=frame)).wait(60)
    assert job.status is JobStatus.COMPLETED and job.video_path and job.video_path.is_file()
    sent = emulator.engine.jobs[job.request_id].params["image"]
    assert job.record.payload["image"] == sent and "/assets/" in sent
    assert job.record.image == str(frame)  # the row still names the local file
    assert emulator.engine.count("submit") == 1


def test_several_matches_are_listed_and_adopt_takes_the_one_chosen(
    quick: Session, emulator: Emulator
) -> None:
    params = validate(prompt=PROMPT)
    first = behind_the_gateway(emulator, params.payload())
    second = behind_the_gateway(emulator, params.payload())
    other = behind_the_gateway(emulator, {**params.payload(), "duration": 8})
    emulator.engine.inject("submit", 504)  # the gateway timed out: no job this time
    with pytest.raises(SubmitUnknown) as info:
        quick.submit(params)
    job_id = info.value.job_id
    assert job_id is not None
    row = quick.store.get(job_id)
    assert row.status is JobStatus.UNKNOWN and row.request_id is None
    assert first in (row.error or "") and second in (row.error or "")
    assert other not in (row.error or "")  # another duration: not this submit
    assert f"%ltx adopt {job_id} REQUEST_ID" in (row.error or "")

    with pytest.raises(InvalidParams, match="not sent with"):
        quick.adopt(job_id, other)
    done = quick.submit(validate(prompt="a different prompt")).wait(60)
    with pytest.raises(InvalidParams, match="already has request id"):
        quick.adopt(done.id, first)
    with pytest.raises(InvalidParams, match=f"already job {done.id}"):
        quick.adopt(job_id, done.request_id)

    job = quick.adopt(job_id, second).wait(60)
    assert job.id == job_id and job.request_id == second
    assert job.status is JobStatus.COMPLETED and job.video_path and job.video_path.is_file()
    assert quick.store.get(job_id).cost == pytest.approx(emulator.engine.jobs[second].cost)
    assert len(emulator.engine.jobs) == 4  # three behind the gateway, one other; none resent


@pytest.mark.parametrize(
    ("job_id", "request_id", "wrong"),
    [
        (True, "req-1", "job_id"),
        ("3", "req-1", "job_id"),
        (3.0, "req-1", "job_id"),
        (3, "", "request_id"),
        (3, "   ", "request_id"),
        (3, None, "request_id"),
    ],
)
def test_adopt_refuses_a_malformed_argument_in_one_line(
    quick: Session, emulator: Emulator, job_id: Any, request_id: Any, wrong: str
) -> None:
    # The session checks them itself: ltx.adopt() and %ltx adopt are only ways in.
    sent = emulator.engine.count()
    with pytest.raises(InvalidParams, match=f"^{wrong} must be"):
        quick.adopt(job_id, request_id)
    assert emulator.engine.count() == sent


def listed(emulator: Emulator, request_id: str, timeout: float = 60) -> None:
    """Until the request history lists *request_id* (it lands ``history_lag`` late)."""
    deadline = time.monotonic() + timeout
    while all(job.request_id != request_id for job, _ in emulator.engine.history(API_KEY)):
        assert time.monotonic() < deadline, request_id
        time.sleep(0.05)


def test_a_lost_submit_is_not_taken_for_another_notebooks_identical_request(
    render_cache: Path, settings: Settings
) -> None:
    # The history lists a request a second after it is made; this session lets it settle
    # for three after a lost answer before it takes a lone match without asking.
    with make_emulator(render_cache, history_lag=1.0) as emu:
        session = make_quick(Session(replace(settings, base_url=emu.base_url, match_settle=3.0)))
        try:
            params = validate(prompt=PROMPT)
            other = behind_the_gateway(emu, params.payload())  # another notebook, same account
            listed(emu, other)
            emu.engine.inject("submit", drop=True, keep=0.0)  # ours is made, its answer lost
            with pytest.raises(SubmitUnknown) as info:
                session.submit(params)
            job_id = info.value.job_id
            assert job_id is not None
            (ours,) = set(emu.engine.jobs) - {other}
            row = session.store.get(job_id)
            assert row.status is JobStatus.UNKNOWN and row.request_id is None
            assert other in (row.error or "") and ours in (row.error or "")
            assert f"%ltx adopt {job_id} REQUEST_ID" in (row.error or "")
            job = session.adopt(job_id, ours).wait(60)
            assert job.request_id == ours and job.status is JobStatus.COMPLETED
            assert session.store.get_by_request_id(other) is None  # still nobody's here
            assert emu.engine.count("submit") == 2  # the other notebook's and ours, once
        finally:
            session.runtime.stop()


@pytest.mark.parametrize(
    "edit",
    [
        {"extra": {"seed": 42, "fps": 24}},  # sent with keys this job never sent
        {"omit": ("model_name", "created")},  # no model, no time: nothing to be sure by
    ],
    ids=["extra_keys", "no_model_no_time"],
)
def test_a_lost_submit_does_not_take_a_record_it_cannot_be_sure_of(
    quick: Session, emulator: Emulator, edit: dict[str, object]
) -> None:
    params = validate(prompt=PROMPT)
    other = behind_the_gateway(emulator, params.payload())
    extra = edit.get("extra")
    emulator.engine.edit_history(
        other,
        body={**params.payload(), **extra} if isinstance(extra, dict) else None,
        omit=tuple(edit.get("omit", ())),  # type: ignore[arg-type]
    )
    emulator.engine.inject("submit", 504)  # ours never became a job
    with pytest.raises(SubmitUnknown) as info:
        quick.submit(params)
    job_id = info.value.job_id
    assert job_id is not None
    row = quick.store.get(job_id)
    assert row.status is JobStatus.UNKNOWN and row.request_id is None
    assert other in (row.error or "") and f"%ltx adopt {job_id}" in (row.error or "")
    assert quick.store.get_by_request_id(other) is None
    assert len(emulator.engine.jobs) == 1


def test_no_match_after_the_grace_period_says_not_billed(
    settings: Settings, emulator: Emulator
) -> None:
    session = make_quick(Session(replace(settings, match_grace=1.0)))
    try:
        credits = emulator.engine.credits
        emulator.engine.inject("submit", 504)
        with pytest.raises(SubmitUnknown, match="looked for until") as info:
            session.submit(validate(prompt=PROMPT))
        job_id = info.value.job_id
        assert session.store.get(job_id).status is JobStatus.UNKNOWN
        # Searched again in the background until the grace period ends.
        row = row_until(session, job_id, lambda r: r.status is not JobStatus.UNKNOWN)
        assert row.status is JobStatus.FAILED and row.error == NOT_BILLED
        assert row.cost == 0.0 and row.request_id is None
        assert emulator.engine.jobs == {} and emulator.engine.credits == credits
        assert emulator.engine.count("history") >= 2
    finally:
        session.runtime.stop()


def test_with_no_grace_a_submit_the_history_lacks_is_not_billed_at_once(
    settings: Settings, emulator: Emulator
) -> None:
    session = make_quick(Session(replace(settings, match_grace=0)))
    try:
        emulator.engine.inject("submit", 504)
        with pytest.raises(SubmitUnknown, match="not billed") as info:
            session.submit(validate(prompt=PROMPT))
        row = session.store.get(info.value.job_id)
        assert row.status is JobStatus.FAILED and row.cost == 0.0
    finally:
        session.runtime.stop()


# -- reconcile -------------------------------------------------------------------------


def test_reconcile_settles_what_a_crash_left_and_fills_the_real_charges(
    quick: Session, emulator: Emulator
) -> None:
    store = quick.store
    base = quick.settings.base_url
    # Two finished jobs whose charge was never read (an older version, a service without it).
    done = [quick.submit(validate(prompt=PROMPT, duration=d)).wait(60) for d in (6, 8)]
    for job in done:
        store.update(job.id, cost=None)
    # A job that expired while no kernel polled it, recorded EXPIRED by an older version.
    lost = validate(prompt="a lighthouse at dusk")
    lost_id = behind_the_gateway(emulator, lost.payload())
    expired = store.create(lost, cost_estimate=0.36, base_url=base)
    store.update(expired.id, request_id=lost_id, status=JobStatus.EXPIRED, error="gone")
    # A submit a crash cut short: the job was made, its answer never recorded.
    cut = validate(prompt="a paper boat on a puddle")
    cut_id = behind_the_gateway(emulator, cut.payload())
    unknown = store.create(cut, cost_estimate=0.36, base_url=base)
    store.update(unknown.id, status=JobStatus.UNKNOWN, error="interrupted")
    # Another service's row is none of this history's business.
    foreign = store.create(cut, cost_estimate=0.36, base_url="https://elsewhere.example/v1")
    store.update(foreign.id, status=JobStatus.UNKNOWN)
    submits = emulator.engine.count("submit")
    finished(emulator, lost_id, cut_id)

    result = quick.reconcile().wait(60)
    assert len(result) == 4 and result.checked == 4
    text = str(result)
    assert text.startswith("reconciled 4 job(s): 4 changed")
    assert f"job {expired.id} ({lost_id}): EXPIRED → COMPLETED" in text
    assert f"job {unknown.id} ({cut_id}): UNKNOWN → " in text
    for job in done:
        charge = emulator.engine.jobs[job.request_id].cost
        assert f"job {job.id} ({job.request_id}): COMPLETED: real charge ${charge:.4f}" in text
        assert store.get(job.id).cost == pytest.approx(charge)
    assert repr(result) == text and len(text.splitlines()) == 5

    for job_id, rid in ((expired.id, lost_id), (unknown.id, cut_id)):
        row = store.get(job_id)
        assert row.status is JobStatus.COMPLETED and row.request_id == rid
        assert row.video_path and Path(row.video_path).is_file()
        assert row.cost == pytest.approx(emulator.engine.jobs[rid].cost)
    assert store.get(foreign.id).status is JobStatus.UNKNOWN
    assert emulator.engine.count("submit") == submits  # nothing sent again

    again = quick.reconcile()
    assert len(again) == 0 and str(again) == "reconciled 4 job(s): 0 changed"


def test_reconcile_with_the_history_down_changes_nothing_and_says_so(
    quick: Session, emulator: Emulator
) -> None:
    job = quick.submit(validate(prompt=PROMPT)).wait(60)
    quick.store.update(job.id, cost=None)
    cut = validate(prompt="a paper boat on a puddle")
    unknown = quick.store.create(cut, cost_estimate=0.36, base_url=quick.settings.base_url)
    quick.store.update(unknown.id, status=JobStatus.UNKNOWN, error="interrupted")
    emulator.engine.inject("history", 503, times=1000)

    result = quick.reconcile()
    assert len(result) == 0 and result.checked == 2
    text = str(result)
    assert f"job {unknown.id}: UNKNOWN: the request history could not be read" in text
    assert "real charges not read" in text
    assert quick.store.get(job.id).cost is None
    assert quick.store.get(unknown.id).status is JobStatus.UNKNOWN

    emulator.engine.clear_faults()
    (filled,) = quick.reconcile().changes
    assert filled.line().endswith(f"(estimated ${job.record.cost_estimate:.4f})")
    assert quick.store.get(job.id).cost == pytest.approx(emulator.engine.jobs[job.request_id].cost)


def test_resume_looks_for_the_submits_a_crash_cut_short(
    settings: Settings, emulator: Emulator
) -> None:
    session = make_quick(Session(replace(settings, match_grace=0)))
    session.submit_grace = timedelta(0)  # every SUBMITTING row is a crash's leftover
    try:
        store = session.store
        made = validate(prompt="a kite over a windy beach")
        rid = behind_the_gateway(emulator, made.payload())  # it reached the service
        crashed = store.create(made, cost_estimate=0.36, base_url=session.settings.base_url)
        never = store.create(
            validate(prompt="a lighthouse at dusk"),  # it did not
            cost_estimate=0.36,
            base_url=session.settings.base_url,
        )
        jobs = session.resume()
        assert [job.id for job in jobs] == [never.id, crashed.id]  # the settled first
        assert jobs[0].status is JobStatus.FAILED and jobs[0].error == NOT_BILLED
        job = jobs[1].wait(60)
        assert job.status is JobStatus.COMPLETED and job.request_id == rid
        assert job.video_path and job.video_path.is_file()
        assert len(emulator.engine.jobs) == 1  # nothing sent again
    finally:
        session.runtime.stop()


def test_a_lost_submit_is_found_later_when_the_history_was_down_at_first(
    settings: Settings, emulator: Emulator
) -> None:
    session = make_quick(Session(replace(settings, match_grace=5.0)))
    try:
        emulator.engine.inject("submit", drop=True, keep=0.0)
        emulator.engine.inject("history", 503, times=3)  # every try of the first search
        with pytest.raises(SubmitUnknown, match="could not be searched") as info:
            session.submit(validate(prompt=PROMPT))
        job_id = info.value.job_id
        # The background search finds it and follows it to its video.
        row = row_until(session, job_id, lambda r: r.video_path is not None)
        assert row.status is JobStatus.COMPLETED and Path(row.video_path).is_file()
        assert row.request_id in emulator.engine.jobs and emulator.engine.count("submit") == 1
        assert session.get(job_id).wait(60).status is JobStatus.COMPLETED
    finally:
        session.runtime.stop()

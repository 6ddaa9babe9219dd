"""Exactly one kernel drives a job: leases between kernels sharing one store.

In one process, two sessions with kernel ids of their own play two kernels;
then two real processes on one PostgreSQL store, the first killed with SIGKILL
mid-sweep and the second taking its jobs over once their leases lapse.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ltx_notebook import Session, Settings
from ltx_notebook._core.params import validate
from ltx_notebook._core.status import JobStatus
from ltx_notebook._jobs.job import Job
from ltx_notebook._jobs.team.lease import ended_here, kernel_id
from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY
from tests.harness.waiting import until

PROMPT = "a lighthouse keeper climbs the spiral stairs at dusk"


@pytest.fixture
def pair(settings: Settings) -> Iterator[tuple[Session, Session]]:
    a = Session(settings, kernel="kernel-a")
    b = Session(settings, kernel="kernel-b")
    yield a, b
    a.runtime.stop()
    b.runtime.stop()


def test_a_kernel_id_is_readable_unique_and_made_once() -> None:
    made = kernel_id()
    host, pid, tail = made.rsplit(":", 2)
    assert host and int(pid) == os.getpid() and len(tail) == 6
    assert kernel_id() == made
    assert Session().kernel == made


def test_the_submitting_kernel_drives_its_job_and_releases_it_at_the_end(
    pair: tuple[Session, Session],
) -> None:
    a, _ = pair
    job = a.submit(validate(prompt=PROMPT)).wait(60)
    row = a.store.get(job.id)
    assert row is not None and row.status is JobStatus.COMPLETED and row.video_path
    assert row.kernel == "kernel-a" and row.lease_until is None  # released, named


def test_resume_leaves_a_live_lease_alone_and_takes_a_lapsed_one_over(
    pair: tuple[Session, Session], emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = pair
    job = a.submit(validate(prompt=PROMPT))
    until(lambda: (a.store.get(job.id) or job.record).kernel == "kernel-a", "a claimed it")
    a.runtime.stop()  # frozen: it polls no more, and its lease (90 s) has not lapsed
    polls = emulator.engine.count("status")
    assert b.driven_elsewhere() == {"kernel-a": 1}
    assert b.resume() == []
    said = (
        "1 job is driven by kernel kernel-a; it will be taken over if it stops renewing its lease"
    )
    assert said in caplog.messages
    assert emulator.engine.count("status") == polls  # b sent nothing for it
    a.store.update(job.id, lease_until=0)  # 90 s later: a never renewed it
    assert b.driven_elsewhere() == {}
    (taken,) = b.resume()
    taken.wait(60)
    row = b.store.get(job.id)
    assert row is not None and row.status is JobStatus.COMPLETED and row.video_path
    assert row.kernel == "kernel-b" and row.lease_until is None


def test_waiting_on_a_job_another_kernel_drives_follows_its_row_and_sends_nothing(
    pair: tuple[Session, Session], emulator: Emulator
) -> None:
    a, b = pair
    job = a.submit(validate(prompt=PROMPT))
    until(lambda: (a.store.get(job.id) or job.record).kernel == "kernel-a", "a claimed it")
    seen = b.get(job.id)
    seen.wait(60)  # b follows a's row; a polls and downloads
    assert seen.status is JobStatus.COMPLETED and seen.video_path == job.wait(5).video_path
    media = [e for e in emulator.engine.log if e.kind == "media" and e.method == "GET"]
    assert len(media) == 1
    row = b.store.get(job.id)
    assert row is not None and row.kernel == "kernel-a"


def test_a_teammates_job_whose_kernel_died_is_driven_by_the_kernel_waiting_on_it(
    settings: Settings, emulator: Emulator
) -> None:
    bo = Session(replace(settings, user="bo"), kernel="kernel-bo")
    ana = Session(replace(settings, user="ana"), kernel="kernel-ana")
    try:
        job = bo.submit(validate(prompt=PROMPT))
        until(lambda: (bo.store.get(job.id) or job.record).kernel == "kernel-bo", "bo claimed it")
        bo.runtime.stop()  # bo's kernel dies: nobody renews the lease
        bo.store.update(job.id, lease_until=0)  # ...which lapses
        seen = ana.get(job.id)
        assert ana.teammates(seen.record)
        seen.wait(60)  # watched, then driven here once the lease is seen to have lapsed
        row = ana.store.get(job.id)
        assert row is not None and row.status is JobStatus.COMPLETED and row.video_path
        assert row.kernel == "kernel-ana" and row.owner == "bo"  # still bo's job
        assert emulator.engine.count("submit") == 1
        assert emulator.engine.count("media", method="GET") == 1
    finally:
        bo.runtime.stop()
        ana.runtime.stop()


def test_a_kernel_whose_lease_was_taken_over_stops_and_records_nothing(
    settings: Settings, emulator: Emulator
) -> None:
    # A heartbeat rarer than the job: a's only way to learn is its refused write.
    slow = replace(settings, lease_seconds=600, heartbeat_seconds=200)
    a = Session(slow, kernel="kernel-a")
    b = Session(slow, kernel="kernel-b")
    try:
        emulator.engine.inject("media", delay=3.0)  # a's download is slow to answer
        job = a.submit(validate(prompt=PROMPT))
        until(lambda: job.status is JobStatus.COMPLETED, "a saw it complete", timeout=60)
        # While a waits on the media route, b takes the job over (as after a freeze).
        a.store.update(job.id, lease_until=0)
        (taken,) = b.resume()
        taken.wait(60)
        row = b.store.get(job.id)
        assert row is not None and row.kernel == "kernel-b" and row.video_path
        until(lambda: not job.driven or job.record.kernel == "kernel-b", "a stopped driving it")
        after = b.store.get(job.id)
        assert after is not None and after.kernel == "kernel-b" and after.error is None
        # a's download ended in a refused write; b found the file a left and fetched nothing.
        assert emulator.engine.count("media", method="GET") == 1
    finally:
        a.runtime.stop()
        b.runtime.stop()


def test_a_restarted_kernel_takes_over_at_once_what_its_ended_predecessor_drove(
    pair: tuple[Session, Session], emulator: Emulator
) -> None:
    a, b = pair
    job = a.submit(validate(prompt=PROMPT))
    until(lambda: (a.store.get(job.id) or job.record).kernel == "kernel-a", "a claimed it")
    a.runtime.stop()
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    predecessor = f"{socket.gethostname()}:{ended.stdout.strip()}:0a0a0a"
    # The lease (90 s) is live, but its kernel ran here and its process is gone.
    a.store.update(job.id, kernel=predecessor)
    assert b.driven_elsewhere() == {}
    (taken,) = b.resume()
    taken.wait(60)
    row = b.store.get(job.id)
    assert row is not None and row.kernel == "kernel-b" and row.video_path
    # A live process of this machine is waited for: this test's own, under another id.
    alive = f"{socket.gethostname()}:{os.getpid()}:0b0b0b"
    b.store.update(job.id, kernel=alive, lease_until=datetime.now(UTC) + timedelta(minutes=5))
    assert b.store.claim([job.id], "kernel-c", lease=90) == []
    assert not ended_here(alive) and ended_here(predecessor)


@pytest.mark.parametrize("emulator_options", [{"speed": 10.0}], ids=[""])  # jobs of ~10 s
def test_the_heartbeat_keeps_the_lease_and_a_lost_one_stops_the_polls(
    settings: Settings, emulator: Emulator
) -> None:
    quick = replace(settings, lease_seconds=1.5, heartbeat_seconds=0.5)
    a = Session(quick, kernel="kernel-a")
    try:
        job = a.submit(validate(prompt=PROMPT, duration=10))
        first = until(lambda: (a.store.get(job.id) or job.record).lease_until, "a claimed it")
        # Renewed past its first term while the job runs: b could not take it.
        until(
            lambda: (row := a.store.get(job.id)) and row.lease_until and row.lease_until > first,
            "a heartbeat renewed the lease",
        )
        # Taken over behind a's back: its next heartbeat sees it, and a stops polling.
        a.store.update(
            job.id, kernel="kernel-b", lease_until=datetime.now(UTC) + timedelta(hours=1)
        )
        until(lambda: not a.runtime.call(_holds(a, job)), "a's heartbeat found it gone")
        polls = emulator.engine.count("status")
        until(lambda: job.record.kernel == "kernel-b", "a follows the row it no longer drives")
        assert emulator.engine.count("status") <= polls + 1  # at most one poll already sent
    finally:
        a.runtime.stop()


async def _holds(session: Session, job: Job) -> bool:
    return session.holds(job)


# -- two processes on one PostgreSQL store, one killed mid-sweep ----------------------------

KERNEL_A = """
import sys
from pathlib import Path
import ltx_notebook as ltx
from ltx_notebook import Session, Settings
from ltx_notebook._core.config import Secret

url, media, store, key, n, kernel = sys.argv[1:7]
s = Session(Settings(api_key=Secret(key), base_url=url, media_dir=Path(media), store_path=store,
                     lease_seconds=6, heartbeat_seconds=2, match_settle=0.2),
            kernel=kernel or None)
prompts = [f"a lighthouse keeper climbs the stairs, take {i}" for i in range(int(n))]
sweep = ltx.sweep(prompts, session=s, yes=True)
print(s.kernel, flush=True)
sweep.wait(600)
print("done", flush=True)
"""

JOBS = 6


@pytest.mark.serial
@pytest.mark.slow
@pytest.mark.parametrize(
    "emulator_options", [{"speed": 20.0, "slow_share": 0.5, "slow_factor": 4.0}], ids=[""]
)
@pytest.mark.parametrize("machine", ["another", "this"])
def test_a_kernel_killed_mid_sweep_has_its_jobs_finished_by_another_once(
    settings: Settings, emulator: Emulator, postgres_url: str, machine: str
) -> None:
    """*another*: kernel a's id names another machine, whose process b cannot see: b waits
    for the leases to lapse. *this*: b sees a's process is gone and takes over at once."""
    media = settings.media_dir  # one folder: one machine, or a shared disk
    named = f"another-host:{os.getpid()}:a1a1a1" if machine == "another" else ""
    proc = subprocess.Popen(
        [sys.executable, "-c", KERNEL_A, emulator.base_url, str(media), postgres_url, API_KEY,
         str(JOBS), named],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    b = Session(
        replace(settings, store_path=postgres_url, lease_seconds=6, heartbeat_seconds=2),
        kernel="kernel-b",
    )
    try:
        assert proc.stdout is not None
        kernel_a = proc.stdout.readline().strip()
        assert kernel_a, proc.stderr.read() if proc.stderr else ""

        def mid_sweep() -> bool:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            rows = b.store.find()
            return (
                len(rows) == JOBS
                and all(r.request_id and r.kernel for r in rows)  # every job sent and claimed
                and any(r.video_path for r in rows)
                and any(not r.video_path for r in rows)
            )

        until(
            mid_sweep,
            "kernel a sent every job, downloaded one video and still drove others",
            timeout=120,
        )
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        killed_at = len(emulator.engine.log)
        rows = b.store.find()
        had_video = {r.request_id for r in rows if r.video_path}
        left = [r for r in rows if not r.video_path]
        assert left and all(r.kernel == kernel_a for r in left)
        if machine == "another":
            assert b.driven_elsewhere() in ({kernel_a: len(left)}, {})  # {} once lapsed

            def lapsed() -> bool:
                now = datetime.now(UTC)
                return all(
                    r.lease_until is None or r.lease_until < now
                    for r in b.store.find()
                    if not r.video_path
                )

            until(lapsed, "kernel a's leases lapsed", timeout=30)
        else:
            assert any(r.lease_until and r.lease_until > datetime.now(UTC) for r in left)
        assert b.driven_elsewhere() == {}
        taken = [j for j in b.resume() if j.request_id]
        assert sorted(j.id for j in taken) == sorted(r.id for r in left)
        b.wait_all(taken, timeout=120)

        rows = b.store.find()
        assert len(rows) == JOBS
        assert all(r.status is JobStatus.COMPLETED for r in rows), [r.error for r in rows]
        videos = [r.video_path for r in rows]
        assert all(v and v.is_file() for v in videos) and len(set(videos)) == JOBS
        assert all(r.lease_until is None for r in rows)
        assert {r.kernel for r in rows if r.request_id not in had_video} == {"kernel-b"}
        # At the service: every job submitted (and billed) once, nobody's twice.
        assert emulator.engine.count("submit", status=200) == JOBS
        assert len({r.request_id for r in rows}) == JOBS
        assert set(emulator.engine.jobs) == {r.request_id for r in rows}
        # Nothing downloaded twice: a video kernel a recorded is never fetched again, and
        # each other one once after the kill (a part a killed download left is resumed).
        names = {job.media_name: rid for rid, job in emulator.engine.jobs.items()}
        after = [
            names.get(e.path.rsplit("/", 1)[-1])
            for e in emulator.engine.log[killed_at:]
            if e.kind == "media" and e.method == "GET"
        ]
        assert not had_video & set(after), after
        assert len(after) == len(set(after)) == len(left), after
    finally:
        if proc.poll() is None:
            proc.kill()
        b.runtime.stop()

"""Submits under faults: a job that may exist is followed or recorded, never sent twice.

Each test breaks the submit on purpose (emulator faults over loopback, a
killed process, a real SIGINT) and checks the store holds exactly what the
service may have made: the job followed when its id is known, an UNKNOWN row
with a way to check when it is not, and nothing at all when nothing was sent.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from ltx_notebook import JobStatus, Session, Settings, StoreError, SubmitUnknown, validate
from ltx_notebook._jobs.sweeps.sweep import sweep
from ltx_notebook._storage.database import forget_connections
from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY
from tests.harness.sweeps import accepted_submits
from tests.harness.waiting import until
from tests.jobs.conftest import make_quick
from tests.storage.test_store_faults import mount_tmpfs

PROMPT = "a red fox running through fresh snow at sunrise"


def made_behind_the_gateway(emulator: Emulator, duration: int = 6) -> str:
    """A job the service made and billed, whose answer the gateway then lost: its id."""
    reply = httpx.post(
        f"{emulator.base_url.removesuffix('/v1')}/v2/ltx-2-pro",
        json={"prompt": PROMPT, "duration": duration},
        headers={"x-api-key": API_KEY},
    )
    reply.raise_for_status()
    rid: str = reply.json()["request_id"]
    return rid


# -- defect 3: a failed submit that names its request id ----------------------------------------


@pytest.mark.parametrize("code", [502, 503])
def test_a_gateway_error_naming_a_request_id_is_followed_to_its_video(
    quick: Session, emulator: Emulator, code: int
) -> None:
    rid = made_behind_the_gateway(emulator)
    emulator.engine.inject("submit", code, body={"error": "Bad gateway", "request_id": rid})
    job = quick.submit(validate(prompt=PROMPT))
    assert job.request_id == rid
    assert job.status is JobStatus.QUEUED and "may exist" in (job.error or "")
    job.wait(60)
    row = quick.store.get(job.id)
    assert row.status is JobStatus.COMPLETED and row.video_path and row.video_path.is_file()
    assert quick.store.count() == 1
    assert emulator.engine.count("submit", status=code) == 1  # never resent


def test_a_sweep_follows_a_submit_whose_gateway_error_named_the_job(
    quick: Session, emulator: Emulator
) -> None:
    rid = made_behind_the_gateway(emulator)
    emulator.engine.inject("submit", 502, body={"error": "Bad gateway", "request_id": rid})
    sw = sweep(PROMPT, {"duration": [6, 8]}, concurrency=1, yes=True, session=quick).wait(60)
    assert sw.counts() == {"COMPLETED": 2}
    assert {job.request_id for job in sw} == set(emulator.engine.jobs)
    assert all(job.video_path and job.video_path.is_file() for job in sw)
    assert accepted_submits(emulator) == 2  # the one made behind the gateway, and the 8 s one


# -- issue 18, items 2 and 3: an error page naming no job, after the service made it -----------

ERROR_PAGES = [
    (500, {"error": "Internal Server Error"}),
    (502, "<html><body><h1>502 Bad Gateway</h1></body></html>"),
    (503, "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"),
]


@pytest.mark.parametrize(("code", "page"), ERROR_PAGES, ids=["500", "502", "503"])
def test_an_error_page_after_the_job_was_made_keeps_the_row_and_finds_the_job(
    quick: Session, emulator: Emulator, code: int, page: object
) -> None:
    emulator.engine.inject("submit", code, body=page, handled=True)  # type: ignore[arg-type]
    job = quick.submit(validate(prompt=PROMPT))  # found in the request history: no error
    (made,) = emulator.engine.jobs
    assert job.request_id == made and "found in your request history" in (job.error or "")
    job.wait(60)
    row = quick.store.get(job.id)
    assert row.status is JobStatus.COMPLETED and row.video_path and row.video_path.is_file()
    assert emulator.engine.count("submit") == 1  # never resent: one job billed
    assert quick.store.count() == 1  # and it has its row


@pytest.mark.parametrize("code", [500, 502, 503])
def test_an_error_page_with_no_job_made_is_not_resent_until_the_history_says_so(
    quick: Session, emulator: Emulator, code: int
) -> None:
    emulator.engine.inject("submit", code, body="<html>upstream trouble</html>")
    with pytest.raises(SubmitUnknown) as info:
        quick.submit(validate(prompt=PROMPT))
    assert "do not submit it again" in str(info.value)
    assert emulator.engine.count("submit") == 1 and emulator.engine.jobs == {}
    row = quick.store.get(info.value.job_id or 0)
    assert row.status is JobStatus.UNKNOWN and row.request_id is None

    quick._fixed_settings = replace(quick.settings, match_grace=0)  # the grace period is over
    quick.reconcile()
    row = quick.store.get(row.id)
    assert row.status is JobStatus.FAILED and row.cost == 0 and "not billed" in (row.error or "")
    again = quick.submit(validate(prompt=PROMPT)).wait(60)  # now it may be sent again
    assert again.status is JobStatus.COMPLETED and emulator.engine.count("submit") == 2


# -- issue 18, item 5: the store's disk fills while a submit is in flight ------------------------


@pytest.mark.parametrize("way", ["get_job", "adopt", "resume", "reconcile"])
def test_a_disk_full_mid_submit_leaves_an_id_that_finds_the_job_at_once(
    settings: Settings, emulator: Emulator, tmp_path: Path, way: str
) -> None:
    """A real ENOSPC: the store on a 256 KB tmpfs (root only), filled while the submit waits."""
    disk = tmp_path / "tiny"
    mount_tmpfs(disk, "256k")
    s = make_quick(Session(replace(settings, store_path=disk / "jobs.sqlite")))
    try:
        s.store.count()  # made while there is room
        filler = disk / "filler"

        def fill_the_disk_once_the_row_is_written() -> None:
            deadline = time.monotonic() + 30
            while s.store.count() == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            # Take every block left.
            with filler.open("wb", buffering=0) as out, contextlib.suppress(OSError):
                while True:
                    out.write(b"\0" * 4096)

        emulator.engine.inject("submit", delay=3.0)  # the answer comes once the disk is full
        filling = threading.Thread(target=fill_the_disk_once_the_row_is_written)
        filling.start()
        with pytest.raises(StoreError) as info:
            s.submit(validate(prompt=PROMPT))
        filling.join()
        (made,) = emulator.engine.jobs
        assert f"request id {made}: keep it" in str(info.value) and "full" in str(info.value)
        (row,) = s.store.find()
        with pytest.raises(StoreError, match=f"request id {made}"):  # not "no job": still full
            s.get(made)

        filler.unlink()  # room again, as the message asks
        if way == "get_job":
            job = s.get(made)
        elif way == "adopt":
            job = s.adopt(row.id, made)
        elif way == "resume":
            (job,) = [j for j in s.resume() if j.request_id == made]
        else:
            s.reconcile()
            job = s.get(made)
        job.wait(60)
        assert (job.id, job.request_id, job.status) == (row.id, made, JobStatus.COMPLETED)
        assert job.video_path and job.video_path.is_file()
        assert emulator.engine.count("submit") == 1 and s.store.count() == 1
    finally:
        s.runtime.stop()
        forget_connections()  # the store's connections hold files on the mount open
        # Lazily: a connection still in use elsewhere lets go of it when it closes.
        subprocess.run(["umount", "--lazy", str(disk)], check=True)


# -- defect 14: an answer cut off after it named the job -----------------------------------------


def test_a_submit_answer_cut_off_mid_body_is_followed_by_the_id_it_held(
    quick: Session, emulator: Emulator
) -> None:
    emulator.engine.inject("submit", drop=True)
    job = quick.submit(validate(prompt=PROMPT))
    assert job.request_id in emulator.engine.jobs
    job.wait(60)
    assert job.status is JobStatus.COMPLETED and job.video_path and job.video_path.is_file()
    assert emulator.engine.count("submit") == 1 and quick.store.count() == 1


# -- defect 10: a crash mid-submit -----------------------------------------------------------------

SUBMITTER = """
import sys
from pathlib import Path
from ltx_notebook import Session, Settings, validate
from ltx_notebook._core.config import Secret

url, media = sys.argv[1], Path(sys.argv[2])
s = Session(Settings(api_key=Secret(sys.argv[3]), base_url=url, media_dir=media,
                     store_path=media / "jobs.sqlite"))
s.submit(validate(prompt="a submit that never hears back"))
"""


def test_a_row_left_submitting_by_a_crashed_process_becomes_unknown_on_resume(
    settings: Settings, emulator: Emulator
) -> None:
    emulator.engine.inject("submit", delay=30)  # the answer never comes before the kill
    proc = subprocess.Popen(
        [sys.executable, "-c", SUBMITTER, emulator.base_url, str(settings.media_dir), API_KEY],
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not (settings.store_path.exists() and Session(settings).store.count() == 1):
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the submitter never wrote its row"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)  # the kernel dies mid-submit
        proc.wait(30)
    (row,) = Session(settings).store.find()
    assert row.status is JobStatus.SUBMITTING

    later = Session(settings)
    later.submit_grace = timedelta(0)  # type: ignore[misc]  # the grace period is long past
    try:
        resumed = later.resume()
        assert [(j.id, j.status) for j in resumed] == [(row.id, JobStatus.UNKNOWN)]
        error = resumed[0].error or ""
        assert "may exist" in error and "console" in error
        assert later.store.get(row.id).status is JobStatus.UNKNOWN
        assert later.resume() == [] or all(j.done for j in later.resume())
    finally:
        later.runtime.stop()


def test_a_submit_in_flight_in_this_process_is_left_alone_by_resume(
    settings: Settings, emulator: Emulator
) -> None:
    held = emulator.engine.inject("submit", delay=2.0)
    s = Session(settings)
    s.submit_grace = timedelta(0)  # type: ignore[misc]
    try:
        result: list[object] = []
        sender = threading.Thread(target=lambda: result.append(s.submit(validate(prompt=PROMPT))))
        sender.start()
        # In flight: the service holds the request. (Its row alone is not enough: the row is
        # written a moment before the submit counts itself in flight.)
        until(lambda: held.used, "the submit reaches the service")
        assert s.resume() == []
        assert s.store.find()[0].status is JobStatus.SUBMITTING
        sender.join(30)
        (job,) = result
        assert job.wait(60).status is JobStatus.COMPLETED  # type: ignore[attr-defined]
    finally:
        s.runtime.stop()


# -- defect 11: Ctrl-C while waiting out a 429 ---------------------------------------------------


class Retrying(logging.Handler):
    """Set when the client logs that it waits to retry: its next step is that wait."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.event = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("retrying"):
            self.event.set()


# Serial: it signals the process's main thread, which under xdist is not the one running it.
@pytest.mark.serial
def test_ctrl_c_during_a_429_backoff_leaves_nothing_behind(
    session: Session, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.engine.inject("submit", 429, headers={"Retry-After": "20"})
    main = threading.main_thread().ident
    assert main is not None
    caplog.set_level(logging.INFO, logger="ltx_notebook.client")
    retrying, finished = Retrying(), threading.Event()
    logging.getLogger("ltx_notebook.client").addHandler(retrying)

    def press_ctrl_c() -> None:
        # Logged on the runtime's loop just before it awaits the Retry-After, so the
        # interrupt's cancellation can only reach the submit inside that wait.
        if retrying.event.wait(30) and not finished.is_set():
            signal.pthread_kill(main, signal.SIGINT)

    # Ctrl-C as a terminal delivers it, whatever an earlier test of this process (a browser
    # driver, a kernel client) made of SIGINT's handler.
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    presser = threading.Thread(target=press_ctrl_c)
    presser.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            session.submit(validate(prompt=PROMPT))
    finally:
        signal.signal(signal.SIGINT, handler)
        finished.set()
        retrying.event.set()  # a presser still waiting gives up, pressing nothing
        presser.join()
        logging.getLogger("ltx_notebook.client").removeHandler(retrying)
    assert emulator.engine.count("submit") == 1  # only the refused one was ever sent
    assert session.store.find() == []  # nothing was sent: nothing to look for


def test_a_huge_retry_after_raises_at_once_saying_when_to_try(
    session: Session, emulator: Emulator
) -> None:
    from ltx_notebook import RateLimited

    emulator.engine.inject("submit", 429, headers={"Retry-After": "100000"})
    with pytest.raises(RateLimited) as info:
        session.submit(validate(prompt=PROMPT))
    assert info.value.retry_after == pytest.approx(100000)
    assert "100000" in str(info.value) or "27 h" in str(info.value)
    assert emulator.engine.count("submit") == 1 and session.store.count() == 0

"""The re-run guard in Python, against the emulator over loopback; submits counted there.

``generate()`` always submits; ``reuse=True`` hands back a job of the same request
already in flight or COMPLETED instead, and ``sweep(reuse=True)`` sends only the
combinations that have none, so a sweep cut short is finished by running it again.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

import ltx_notebook
from ltx_notebook import (
    ConfirmationRequired,
    InsufficientCredits,
    JobStatus,
    Session,
    SubmitUnknown,
    validate,
)
from ltx_notebook._core import config as _config
from ltx_notebook._jobs.reuse import same_job
from ltx_notebook._jobs.sweeps.sweep import sweep
from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY, make_emulator
from tests.harness.sweeps import FAST, accepted_submits, session_on

PRO_6S_1080P = 0.36  # the emulator's price of one default ltx-2-pro job


@pytest.fixture
def emulator_options() -> dict[str, object]:
    return FAST


@pytest.fixture
def default_session(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Session]:
    """The package's default session, on the emulator, for ``ltx_notebook.generate``."""
    monkeypatch.setattr(_config, "_settings", None)
    # A lone match in the request history is taken once it has settled: quickly here.
    ltx_notebook.configure(
        base_url=emulator.base_url, api_key=API_KEY, media_dir=tmp_path / "m", match_settle=0.2
    )
    session = Session()
    monkeypatch.setattr(ltx_notebook._api, "_default", session)
    yield session
    session.runtime.stop()


def test_generate_always_submits_and_reuse_true_sends_nothing(
    default_session: Session, emulator: Emulator
) -> None:
    first = ltx_notebook.generate("a heron in the reeds").wait(60)
    again = ltx_notebook.generate("a heron in the reeds").wait(60)  # explicit: a second job
    assert accepted_submits(emulator) == 2 and again.id != first.id

    # The same request, its defaults spelled out: the newest job comes back, nothing is sent.
    same = ltx_notebook.generate(
        "a heron in the reeds", duration=6, resolution="1080p", generate_audio=True, reuse=True
    )
    assert accepted_submits(emulator) == 2
    assert same is again and same.video_path is not None and same.video_path.is_file()

    ltx_notebook.generate("a heron in the reeds", duration=8, reuse=True).wait(60)
    assert accepted_submits(emulator) == 3  # another request: sent


def test_a_job_in_flight_is_reused_a_failed_one_is_not(render_cache: Path, tmp_path: Path) -> None:
    with make_emulator(render_cache, speed=1.0) as emu:  # a job takes about a minute
        session = session_on(emu, tmp_path)
        try:
            params = validate(prompt="a slow pan over a harbour")
            running = session.submit(params)
            found = same_job(session, params)
            assert found is running and not found.status.is_terminal
            assert accepted_submits(emu) == 1
        finally:
            session.runtime.stop()

    with make_emulator(render_cache, **FAST) as emu:
        session = session_on(emu, tmp_path / "other")
        try:
            blocked = validate(prompt="an nsfw heron")  # the emulator's safety filter fails it
            failed = session.submit(blocked).wait(60)
            assert failed.status is JobStatus.FAILED
            assert same_job(session, blocked) is None  # a failure is no result to show
        finally:
            session.runtime.stop()


def test_another_services_job_is_not_reused(session: Session, emulator: Emulator) -> None:
    params = validate(prompt="a heron")
    record = session.store.create(params, cost_estimate=0.36, base_url="https://api.segmind.com")
    session.store.update(record.id, request_id="rid-real", status=JobStatus.COMPLETED)
    assert same_job(session, params) is None  # the real service's job is not the emulator's


def test_a_local_image_is_the_same_request_by_its_content(
    session: Session, emulator: Emulator, tmp_path: Path
) -> None:
    frame = tmp_path / "frame.png"
    Image.new("RGB", (64, 36), (200, 40, 40)).save(frame)
    job = session.submit(validate(prompt="the frame comes alive", image=str(frame))).wait(60)
    assert job.status is JobStatus.COMPLETED and emulator.engine.count("upload") == 1

    renamed = tmp_path / "copy" / "renamed.png"
    renamed.parent.mkdir()
    shutil.copy(frame, renamed)
    assert same_job(session, validate(prompt="the frame comes alive", image=str(renamed))) is job

    Image.new("RGB", (64, 36), (40, 40, 200)).save(frame)  # the picture edited in place
    assert same_job(session, validate(prompt="the frame comes alive", image=str(frame))) is None


def test_a_sweep_cut_short_is_finished_by_running_it_again(
    session: Session, emulator: Emulator
) -> None:
    prompts = ["a red fox", "an nsfw fox", "a grey wolf", "a brown bear"]
    # Credits for three jobs: the fourth submit is refused (406) and the sweep stops there.
    # The balance read before the sweep fails, so the sweep starts as a crash-prone run would.
    emulator.engine.set_credits(3 * PRO_6S_1080P + 0.01)
    emulator.engine.inject("credits", status=404)
    first = sweep(prompts, concurrency=1, session=session, reuse=True)
    with pytest.raises(InsufficientCredits):
        first.wait(120)
    assert first.counts() == {"COMPLETED": 2, "FAILED": 1, "REFUSED": 1}
    assert accepted_submits(emulator) == 3

    emulator.engine.set_credits(100.0)
    # The gate counts only what will be sent: two jobs, whatever the sweep's size.
    with pytest.raises(ConfirmationRequired) as refused:
        sweep(prompts, session=session, reuse=True, confirm_jobs=1)
    assert refused.value.jobs == 2
    assert "would run 2 jobs (2 more reused from the store)" in str(refused.value)
    assert refused.value.estimated_cost == pytest.approx(2 * PRO_6S_1080P)

    plan = sweep(prompts, session=session, reuse=True, dry_run=True).plan()
    assert plan["reused"].tolist() == [True, False, True, False]
    assert accepted_submits(emulator) == 3  # refusals and dry runs send nothing

    second = sweep(prompts, session=session, reuse=True, confirm_jobs=2)
    assert (second.reused, second.to_send) == (2, 2)
    second.wait(120)
    assert accepted_submits(emulator) == 5  # the failed one and the refused one, only
    assert len(second) == 4 and second.counts() == {"COMPLETED": 3, "FAILED": 1}
    reused_ids = {first[0].id, first[2].id}
    assert reused_ids <= {job.id for job in second}
    assert len(second.frame()) == 4  # the reused jobs belong to its frame too
    html = second._repr_html_() or ""
    assert "2 reused from the store" in html and html.count(">reused<") == 2

    third = sweep(prompts, session=session, reuse=True).wait(60)
    assert (third.reused, third.to_send) == (3, 1)  # the FAILED one is tried again
    assert accepted_submits(emulator) == 6
    assert "3 reused from the store" in repr(third)


def test_without_reuse_a_sweep_sends_everything(session: Session, emulator: Emulator) -> None:
    sweep(["a kite", "a boat"], session=session).wait(60)
    again = sweep(["a kite", "a boat"], session=session).wait(60)
    assert again.reused == 0 and accepted_submits(emulator) == 4


# -- issue 18, item 1: a re-run whose earlier submit is unclear ----------------------------------


def test_a_rerun_of_a_request_whose_answer_was_lost_is_stopped_until_reconciled(
    default_session: Session, emulator: Emulator
) -> None:
    emulator.engine.inject("submit", 504)  # the gateway gave up: nobody knows yet
    with pytest.raises(SubmitUnknown) as lost:
        ltx_notebook.generate("a heron at dawn")
    unclear = lost.value.job_id
    assert default_session.store.get(unclear or 0).status is JobStatus.UNKNOWN
    sent = emulator.engine.count("submit")

    for again in (
        lambda: ltx_notebook.generate("a heron at dawn"),
        lambda: ltx_notebook.generate("a heron at dawn", duration=6, reuse=True),
        lambda: sweep(["a heron at dawn", "a heron at dusk"], session=default_session, reuse=True),
    ):
        with pytest.raises(SubmitUnknown) as stopped:
            again()
        message = str(stopped.value)
        assert f"job {unclear}" in message and "%ltx reconcile" in message, message
        assert "--again" in message or "again=True" in message, message
        assert "\n" not in message and stopped.value.job_id == unclear
    assert emulator.engine.count("submit") == sent  # nothing sent by any of them

    other = ltx_notebook.generate("a heron at dusk").wait(60)  # another request: sent
    assert other.status is JobStatus.COMPLETED
    forced = ltx_notebook.generate("a heron at dawn", again=True).wait(60)  # asked for: sent
    assert forced.status is JobStatus.COMPLETED and forced.id != unclear
    assert emulator.engine.count("submit") == sent + 2


SUBMITTER = """
import sys
from pathlib import Path
from ltx_notebook import Session, Settings, validate
from ltx_notebook._core.config import Secret

url, store = sys.argv[1], Path(sys.argv[2])
s = Session(Settings(api_key=Secret(sys.argv[3]), base_url=url, media_dir=store.parent,
                     store_path=store))
s.submit(validate(prompt="a heron killed mid-submit"))
"""


def test_a_rerun_after_a_kernel_killed_mid_submit_is_stopped_and_reconcile_finds_the_job(
    default_session: Session, emulator: Emulator
) -> None:
    # The service makes (and bills) the job; its answer is still on the way when the kill comes.
    emulator.engine.inject("submit", 504, handled=True, delay=30)
    store = default_session.store.path
    proc = subprocess.Popen(
        [sys.executable, "-c", SUBMITTER, emulator.base_url, str(store), API_KEY],
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not emulator.engine.jobs:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the submit never reached the service"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)  # the kernel dies mid-submit
        proc.wait(30)
    (made,) = emulator.engine.jobs
    (row,) = default_session.store.find()
    assert row.status is JobStatus.SUBMITTING

    # A new kernel runs the notebook again (Run All): nothing is sent.
    with pytest.raises(SubmitUnknown) as stopped:
        ltx_notebook.generate("a heron killed mid-submit", reuse=True)
    assert f"job {row.id}" in str(stopped.value) and "%ltx reconcile" in str(stopped.value)
    assert len(emulator.engine.jobs) == 1  # billed once

    # What the line says to do finds the job at once, and the re-run then shows it.
    ltx_notebook.reconcile().wait(60)
    assert default_session.store.get(row.id).request_id == made
    job = ltx_notebook.generate("a heron killed mid-submit", reuse=True).wait(60)
    assert job.id == row.id and job.status is JobStatus.COMPLETED
    assert job.video_path is not None and job.video_path.is_file()
    # Nothing sent but the killed submit (logged once its late answer went out, if it has).
    assert len(emulator.engine.jobs) == 1 and emulator.engine.count("submit") <= 1

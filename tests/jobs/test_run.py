"""Sweeps end to end against the emulator over loopback: limits, 429s, unknown submits."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pandas as pd
import pytest

from ltx_notebook import AuthenticationError, JobStatus, Session, WaitTimeout
from ltx_notebook._core.errors import NotSubmitted
from ltx_notebook._jobs.sweeps import scheduler as sweep_module
from ltx_notebook._jobs.sweeps.sweep import Sweep, sweep
from ltx_notebook._view.compare import compare
from ltx_notebook.emulator import Emulator
from tests.conftest import make_emulator
from tests.harness.sweeps import FAST, accepted_submits, impatient_client, session_on


@pytest.fixture
def emulator_options() -> dict[str, object]:
    return FAST  # sweeps run many jobs, so run them faster


def test_twelve_jobs_at_concurrency_4_against_max_concurrent_2_all_complete(
    render_cache: Path, tmp_path: Path
) -> None:
    with make_emulator(render_cache, max_concurrent=2, **FAST) as emu:
        session = session_on(emu, tmp_path)
        try:
            sw = sweep(
                ["a red fox in snow", "a blue bird on a branch"],
                {"duration": [6, 8, 10], "resolution": ["1080p", "4k"]},
                concurrency=4,
                tag="grid-test",
                yes=True,
                session=session,
            )
            assert sw.wait(180) is sw
        finally:
            session.runtime.stop()

        assert sw.counts() == {"COMPLETED": 12}
        assert emu.engine.count("submit", status=429) > 0  # the limit was hit...
        assert accepted_submits(emu) == 12  # ...and absorbed, without one duplicate
        assert len(emu.engine.jobs) == 12
        assert len(sw) == 12 and all(job.video_path and job.video_path.is_file() for job in sw)

        frame = sw.frame()
        assert len(frame) == 12
        assert set(frame["sweep_id"]) == {sw.sweep_id} and set(frame["tag"]) == {"grid-test"}
        assert set(frame["status"]) == {"COMPLETED"}
        assert session.store.count(sweep_id=sw.sweep_id) == 12
        assert sorted(frame["request_id"]) == sorted(emu.engine.jobs)

        summary = compare(sw)
        assert len(summary) == 6 and list(summary["count"]) == [2] * 6
        assert (summary["success_rate"] == 1.0).all()


def test_a_429_that_outlasts_the_client_slows_the_sweep_and_is_resent_safely(
    session: Session, emulator: Emulator
) -> None:
    impatient_client(session)
    # Three 429s: the client's two attempts, then one more after the sweep backs off.
    emulator.engine.inject("submit", 429, times=3, headers={"Retry-After": "0.05"})
    sw = sweep("a fox", {"duration": [6, 8]}, concurrency=3, yes=True, session=session)
    sw.wait(60)
    assert sw.counts() == {"COMPLETED": 2}
    assert sw.rate_limited == 1
    assert sw.effective_concurrency < sw.concurrency  # slowed down for a while
    assert emulator.engine.count("submit", status=429) == 3
    assert accepted_submits(emulator) == 2 and session.store.count() == 2


def test_without_a_hint_the_sweep_backs_off_exponentially(
    session: Session, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sweep_module, "BACKOFF_BASE", 0.02)
    impatient_client(session)
    emulator.engine.inject("submit", 429, times=4)
    sw = sweep("a fox", {"duration": [6]}, yes=True, session=session).wait(60)
    assert sw.rate_limited == 2 and sw.counts() == {"COMPLETED": 1}
    assert accepted_submits(emulator) == 1


def test_an_unknown_submit_is_recorded_never_resent_and_the_sweep_goes_on(
    session: Session, emulator: Emulator
) -> None:
    emulator.engine.inject("submit", 504)  # the gateway gave up, naming no job
    sw = sweep("a fox", {"duration": [6, 8, 10]}, concurrency=1, yes=True, session=session)
    sw.wait(60)
    assert emulator.engine.count("submit") == 3  # one each, the unknown one not resent
    assert sw.counts() == {"COMPLETED": 2, "UNKNOWN": 1}
    assert sw[0].status is JobStatus.UNKNOWN and "may exist" in (sw[0].error or "")
    assert session.store.count(sweep_id=sw.sweep_id) == 3
    assert sw.plan()["state"].tolist() == ["UNKNOWN", "COMPLETED", "COMPLETED"]


def test_stop_submits_nothing_more_and_running_jobs_finish(
    session: Session, emulator: Emulator
) -> None:
    sw = sweep("a fox", {"duration": [6, 8, 10, 6]}, concurrency=1, yes=True, session=session)
    sw.stop()
    # At once, not after a wait: a stopped sweep sends nothing more.
    with pytest.raises(NotSubmitted, match="stopped before it was sent"):
        sw.job(3, timeout=None)
    sw.wait(60)
    sent = sw.jobs
    assert len(sent) <= 1  # at most the submit already in flight
    assert accepted_submits(emulator) == len(sent)
    assert sw.counts()["SKIPPED"] == 4 - len(sent)
    assert all(job.done for job in sent)
    # The plan is still four combinations; the skipped ones have no job, and say so.
    assert len(sw) == 4 and list(sw) == sent
    with pytest.raises(NotSubmitted, match=r"combination 3 of 4 .*stopped before it was sent"):
        sw[-1]


def test_an_index_is_a_combination_of_the_plan_waiting_for_its_submit(
    render_cache: Path, tmp_path: Path
) -> None:
    with make_emulator(render_cache, speed=20.0) as emu:
        session = session_on(emu, tmp_path)
        try:
            sw = sweep("a fox", {"duration": [6, 8, 10]}, concurrency=1, yes=True, session=session)
            # Sent one at a time: the last waits for the two before it to finish.
            with pytest.raises(WaitTimeout, match=r"combination 2 of 3 \(duration=10\) is still"):
                sw.job(2, timeout=0)
            # frame(): the whole plan, the unsent combination a row with no id and its state.
            frame = sw.frame()
            assert frame["combination"].tolist() == [0, 1, 2]
            assert frame["duration"].tolist() == [6, 8, 10] and frame.index[2] is pd.NA
            assert "&lt;NA&gt;" not in frame._repr_html_()
            last = sw[-1]  # waits for its submit
            assert last.params.duration == 10 and last is sw[2] and last is not sw[0]
            assert [job.params.duration for job in sw[:2]] == [6, 8]
            with pytest.raises(IndexError, match="3 combinations"):
                sw[3]
            sw.wait(120)
        finally:
            session.runtime.stop()
        assert [job.params.duration for job in sw] == [6, 8, 10]


def test_wait_timeout_is_a_timeout_error_and_the_sweep_goes_on(
    session: Session, emulator: Emulator
) -> None:
    sw = sweep("a fox", {"duration": [6, 8]}, concurrency=1, yes=True, session=session)
    with pytest.raises(WaitTimeout) as info:
        sw.wait(0.01)
    assert isinstance(info.value, TimeoutError) and sw.sweep_id in str(info.value)
    assert sw.wait(60).counts() == {"COMPLETED": 2}


def test_a_sweep_can_be_awaited_on_another_loop(session: Session, emulator: Emulator) -> None:
    sw = sweep("a fox", {"resolution": ["1080p"]}, yes=True, session=session)

    async def main() -> Sweep:
        return await asyncio.wait_for(sw.wait_async(), 60)

    assert asyncio.run(main()) is sw and sw.done


def test_a_bad_key_stops_the_sweep_and_wait_raises_it(emulator: Emulator, tmp_path: Path) -> None:
    session = session_on(emulator, tmp_path, key="sk-wrong-key-000000")
    try:
        # The credits read before the first submit meets the rejected key: nothing is sent.
        with pytest.raises(AuthenticationError):
            sweep("a fox", {"duration": [6, 8]}, yes=True, session=session)
    finally:
        session.runtime.stop()
    assert emulator.engine.count("submit") == 0 and session.store.count() == 0

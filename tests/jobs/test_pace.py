"""A sweep feels the first 429: the pace learns the rate, and the client stops knocking.

The pace's bookkeeping on a clock moved by hand, then a sweep against the
emulator's submit limit, where the emulator counts the 429s it answered.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ltx_notebook import Session
from ltx_notebook._jobs.sweeps import scheduler as scheduler_module
from ltx_notebook._jobs.sweeps.pace import MARGIN, SubmitPace
from ltx_notebook._jobs.sweeps.sweep import sweep
from ltx_notebook._service.client import Client
from ltx_notebook._service.retry import RetryPolicy
from tests.conftest import make_emulator
from tests.harness.clock import FakeClock
from tests.harness.sweeps import accepted_submits, session_on


def pace_at(clock: FakeClock) -> SubmitPace:
    return SubmitPace(window=60.0, clock=clock)


def test_the_first_429_teaches_the_limit_and_the_next_submit_waits_for_the_window() -> None:
    clock = FakeClock(0.0)
    pace = pace_at(clock)
    for _ in range(3):
        assert pace.wait() == 0
        pace.accepted()
        clock.advance(1.0)
    assert pace.refused(None) is True  # taken over: the client gives up at once
    assert pace.limit == 3 and pace.refusals == 1
    # The first of the three leaves the window at 60 s (plus the margin); it is 3 s now.
    assert pace.wait() == pytest.approx(60.0 * (1 + MARGIN) - 3.0)
    clock.advance(pace.wait())
    assert pace.wait() == 0


def test_a_429_the_sweep_cannot_explain_is_left_to_the_client() -> None:
    pace = pace_at(FakeClock(0.0))
    assert pace.refused(2.0) is False  # nothing of ours in the window: not our rate
    assert pace.limit is None and pace.wait() == 0


def test_the_services_hint_is_kept_when_it_is_later() -> None:
    clock = FakeClock(0.0)
    pace = pace_at(clock)
    pace.accepted()
    assert pace.refused(90.0) is True
    assert pace.wait() == pytest.approx(90.0)


def test_a_probe_accepted_means_a_concurrency_limit_and_the_pace_is_forgotten() -> None:
    clock = FakeClock(0.0)
    pace = pace_at(clock)
    pace.accepted()
    pace.accepted()
    pace.refused(None)
    assert pace.kind == "unknown" and pace.wait() > 0
    assert pace.probe() is True and pace.probe() is False  # one probe at a time
    pace.accepted()
    assert pace.kind == "concurrency" and pace.wait() == 0
    assert pace.refused(None) is False  # concurrency 429s: the client's rules, as before


def test_a_probe_refused_means_a_rate_which_climbs_after_quiet_spells() -> None:
    clock = FakeClock(0.0)
    pace = pace_at(clock)
    for _ in range(3):
        pace.accepted()
    pace.refused(None)
    assert pace.probe() is True
    assert pace.refused(None) is True and pace.kind == "rate" and pace.limit == 3
    clock.advance(61.0)
    pace.accepted()  # a window without a 429: one more is tried
    assert pace.limit == 4
    pace.accepted()
    pace.accepted()
    pace.accepted()
    assert pace.refused(None) is True and pace.limit == 4  # the climb met the limit
    clock.advance(61.0)
    pace.accepted()
    assert pace.limit == 4  # the next climb waits twice as long
    clock.advance(61.0)
    pace.accepted()
    assert pace.limit == 5


def test_a_sweep_under_a_submit_limit_slows_on_the_first_429(
    render_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    speed = 50.0  # a 1.2 s window: on a loaded machine, four submits still fall inside it
    # The emulator's minute is 60/speed s; the sweep is told so, as it knows the real
    # service's minute. The client retries quickly, as it would inside a real window.
    monkeypatch.setattr(scheduler_module, "RATE_WINDOW", 60.0 / speed)
    with make_emulator(render_cache, speed=speed, rate_limit=3) as emu:
        session: Session = session_on(emu, tmp_path)
        session._client = Client(session.settings, retry=RetryPolicy(base=0.01, cap=0.05))
        session._client_settings = session.settings
        try:
            grid = {"duration": [6, 8, 10], "resolution": ["1080p", "2k", "4k"]}
            sw = sweep("a fox", grid, concurrency=4, yes=True, session=session).wait(120)
        finally:
            session.runtime.stop()
    assert sw.counts() == {"COMPLETED": 9}
    assert accepted_submits(emu) == 9  # never a duplicate
    # The sweep learns from its first 429, then waits for the window to have room: a
    # few 429s at most (the first, perhaps a probe of the kind of limit, a climb), where
    # the client alone knocks five times on the first full window, and again later.
    refused = emu.engine.count("submit", status=429)
    assert 1 <= refused <= 3
    assert sw._scheduler.pace.limit in (3, 4)


def test_a_probe_accepted_about_when_the_window_frees_proves_nothing() -> None:
    clock = FakeClock(0.0)
    pace = pace_at(clock)
    pace.accepted()
    pace.accepted()
    pace.refused(None)
    assert pace.probe() is True
    clock.advance(59.0)  # sent early, but answered as the window frees
    pace.accepted()
    assert pace.kind == "unknown" and pace.limit == 2

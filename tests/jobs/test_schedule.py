"""The polling schedule, on a simulated clock."""

from __future__ import annotations

import random

import pytest

from ltx_notebook._jobs.schedule import PollSchedule


def polls_until(schedule: PollSchedule, finish: float) -> tuple[int, float]:
    """How many polls, and how late after *finish*, the schedule sees completion."""
    t, n = 0.0, 0
    while t < finish:
        t += schedule.next_delay(t)
        n += 1
    return n, t - finish


def sdk_polls_until(finish: float, interval: float = 1.0) -> tuple[int, float]:
    n = int(finish // interval) + 1
    return n, n * interval - finish


@pytest.fixture
def learned() -> PollSchedule:
    rng = random.Random(3)
    return PollSchedule.learn([70 * rng.uniform(0.9, 1.1) for _ in range(20)], prior=70)


def test_with_history_completion_is_seen_sooner_with_far_fewer_polls(
    learned: PollSchedule,
) -> None:
    rng = random.Random(4)
    ours = sdk = late_ours = late_sdk = 0.0
    for _ in range(200):
        finish = 70 * rng.uniform(0.9, 1.1)
        n, late = polls_until(learned, finish)
        m, late2 = sdk_polls_until(finish)
        ours, sdk, late_ours, late_sdk = ours + n, sdk + m, late_ours + late, late_sdk + late2
    assert ours < 0.7 * sdk
    assert late_ours <= late_sdk


def test_an_early_finish_is_seen_after_a_bounded_fraction_of_its_runtime(
    learned: PollSchedule,
) -> None:
    for finish in (1.0, 5.0, 20.0, 40.0):
        _, late = polls_until(learned, finish)
        assert late <= 0.5 * finish + 0.5


def test_a_late_job_is_polled_with_a_growing_gap_capped(learned: PollSchedule) -> None:
    gaps = [learned.next_delay(t) for t in (100, 200, 400, 4000)]
    assert gaps == sorted(gaps) and gaps[-1] == learned.cap


def test_without_history_the_window_is_polled_at_the_sdk_pace() -> None:
    s = PollSchedule.learn([], prior=70)
    assert s.expected is None and s.progress(10) is None
    assert s.next_delay(70) == 1.0
    n, late = polls_until(s, 70)
    assert n < 71 and late <= 1.0


def test_progress_never_claims_done(learned: PollSchedule) -> None:
    values = [learned.progress(t) for t in (0, 35, 70, 140, 10_000)]
    assert values == sorted(values) and values[-1] < 1.0

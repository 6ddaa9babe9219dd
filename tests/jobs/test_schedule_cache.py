"""A schedule is planned again only when its history has moved (planning costs CPU)."""

from __future__ import annotations

import statistics

from ltx_notebook._jobs.poll.schedule import (
    RELEARN_AFTER,
    RELEARN_EVERY,
    PollSchedule,
    ScheduleCache,
)

HISTORY = [70.0 + 0.5 * i for i in range(50)]
KIND = ("ltx-2-pro", 6, "1080p", "https://api.segmind.com")


def test_a_few_new_durations_keep_the_schedule_and_more_plan_it_again() -> None:
    now = [0.0]
    cache = ScheduleCache(clock=lambda: now[0])
    first = cache.get(KIND, HISTORY, prior=70.0)
    assert first == PollSchedule.learn(HISTORY, prior=70.0)
    now[0] = (
        10 * RELEARN_EVERY * statistics.median(HISTORY)
    )  # long enough: only the history's change decides
    moved = [200.0 + i for i in range(RELEARN_AFTER - 1)] + HISTORY[: 50 - RELEARN_AFTER + 1]
    assert cache.get(KIND, moved, prior=70.0) is first
    more = [200.0 + i for i in range(RELEARN_AFTER)] + HISTORY[: 50 - RELEARN_AFTER]
    again = cache.get(KIND, more, prior=70.0)
    assert again is not first and again == PollSchedule.learn(more, prior=70.0)


def test_each_kind_of_job_has_its_own_and_a_first_history_is_learned_at_once() -> None:
    cache = ScheduleCache()
    none = cache.get(KIND, [], prior=70.0)
    assert none.expected is None  # nothing learned: the wide window
    assert cache.get(KIND, HISTORY[:3], prior=70.0).expected is not None
    other = ("ltx-2-pro", 10, "4k", "https://api.segmind.com")
    assert cache.get(other, [], prior=70.0) is not cache.get(KIND, HISTORY, prior=70.0)


def test_a_busy_kernel_plans_at_most_once_per_interval() -> None:
    """A hundred jobs ending bring five new durations every few seconds: plan at most
    once per half a typical job's time, so planning costs a bounded share of a core."""
    now = [0.0]
    cache = ScheduleCache(clock=lambda: now[0])
    first = cache.get(KIND, HISTORY, prior=70.0)
    moved = [200.0 + i for i in range(RELEARN_AFTER)] + HISTORY[: 50 - RELEARN_AFTER]
    now[0] = RELEARN_EVERY * statistics.median(HISTORY) - 1
    assert cache.get(KIND, moved, prior=70.0) is first  # moved, but planned too recently
    now[0] = RELEARN_EVERY * statistics.median(HISTORY)
    again = cache.get(KIND, moved, prior=70.0)
    assert again is not first and again == PollSchedule.learn(moved, prior=70.0)


def test_a_first_history_is_learned_at_once_however_recent_the_last_plan() -> None:
    now = [0.0]
    cache = ScheduleCache(clock=lambda: now[0])
    assert cache.get(KIND, [], prior=70.0).expected is None
    assert cache.get(KIND, HISTORY[:3], prior=70.0).expected is not None  # still at t=0

"""One backoff for every retry; each caller keeps the numbers it had."""

from __future__ import annotations

import pytest

from ltx_notebook._core.backoff import EQUAL_JITTER, FULL_JITTER, Backoff
from ltx_notebook._jobs.poll.schedule import DRIVER_BACKOFF
from ltx_notebook._jobs.sweeps.scheduler import SWEEP_BACKOFF
from ltx_notebook._service.retry import RetryPolicy
from ltx_notebook._storage.database import LOCK_BACKOFF


def test_steps_double_up_to_the_cap_and_the_jitter_spans_its_range() -> None:
    low = Backoff(base=0.5, cap=4.0, jitter=(0.25, 1.5), random=lambda: 0.0)
    high = Backoff(base=0.5, cap=4.0, jitter=(0.25, 1.5), random=lambda: 1.0)
    assert [low.step(n) for n in range(0, 7)] == [0.5, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert [low.delay(n) for n in (1, 3, 9)] == [0.125, 0.5, 1.0]
    assert [high.delay(n) for n in (1, 3, 9)] == [0.75, 3.0, 6.0]
    with pytest.raises(ValueError):
        Backoff(base=1.0, cap=2.0, jitter=(1.0, 0.5))


def test_every_caller_keeps_its_numbers() -> None:
    # The driver (polls, results, downloads): from 1 s to a minute, equal jitter, 6 tries.
    assert (DRIVER_BACKOFF.base, DRIVER_BACKOFF.cap, DRIVER_BACKOFF.jitter) == (
        1.0,
        60.0,
        EQUAL_JITTER,
    )
    assert DRIVER_BACKOFF.attempts == 6
    # A sweep after a 429: from 5 s to 2 minutes, equal jitter.
    assert (SWEEP_BACKOFF.base, SWEEP_BACKOFF.cap, SWEEP_BACKOFF.jitter) == (
        5.0,
        120.0,
        EQUAL_JITTER,
    )
    # A locked store file: 10 ms doubling to half a second, half to one and a half a step.
    assert [LOCK_BACKOFF.step(n) for n in (1, 2, 7, 8)] == [0.01, 0.02, 0.5, 0.5]
    assert LOCK_BACKOFF.jitter == (0.5, 1.5)
    # The client: full jitter under min(cap, base * 2**n).
    policy = RetryPolicy(base=0.5, cap=4.0, random=lambda: 1.0)
    assert policy.backoff(4) == Backoff(base=0.5, cap=4.0, jitter=FULL_JITTER).step(4) == 4.0

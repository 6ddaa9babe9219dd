"""When to poll next: sparse early, dense near the expected end.

The service gives no progress, queue position or ETA, so the expected
duration is learned from the store's history of similar jobs (same model,
duration, resolution and service). The schedule has three phases:

* **approach** (before the window): the gap grows with elapsed time, so a job
  that ends far earlier than expected is still seen after a bounded fraction
  of its runtime, and shrinks as the window nears, so the window is not
  overshot.
* **window** (between the 10th and 90th percentile of past durations, with a
  margin): poll every ``dense`` seconds. This is where jobs end.
* **late** (past the window): back off gently, the gap growing with lateness.

The official SDK polls every second. With history, this schedule sees
completion sooner (a denser window) with far fewer requests (few polls
before the window); ``benchmarks/bench_polling.py`` measures both.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Backoff", "PollSchedule"]

MIN_HISTORY = 3


@dataclass(frozen=True)
class PollSchedule:
    """A pure function of elapsed time; see the module docstring."""

    window_start: float
    window_end: float
    dense: float
    expected: float | None
    growth: float = 0.25
    approach: float = 0.3
    cap: float = 10.0

    @classmethod
    def learn(
        cls,
        history: Sequence[float],
        *,
        prior: float,
        dense: float = 0.5,
        fallback: float = 1.0,
        cap: float = 10.0,
    ) -> PollSchedule:
        """Build a schedule from past durations, or from *prior* when there are too few.

        Without history the window is wide and polled every *fallback* seconds
        (the SDK's pace), because the prior is only the service's advertised
        typical time.
        """
        durations = sorted(d for d in history if d > 0)
        if len(durations) >= MIN_HISTORY:
            deciles = statistics.quantiles(durations, n=10, method="inclusive")
            low, high = deciles[0], deciles[-1]
            spread = max(high - low, 0.1 * statistics.median(durations))
            return cls(
                window_start=max(0.0, low - 0.5 * spread),
                window_end=high + 0.5 * spread,
                dense=dense,
                expected=statistics.median(durations),
                cap=cap,
            )
        return cls(
            window_start=0.6 * prior,
            window_end=1.6 * prior,
            dense=fallback,
            expected=None,
            cap=cap,
        )

    def next_delay(self, elapsed: float) -> float:
        """Seconds to wait before the next poll, *elapsed* seconds after submit."""
        if elapsed < self.window_start:
            gap = min(self.growth * elapsed, self.approach * (self.window_start - elapsed))
            delay = self.dense + gap
            # Land on the window's start rather than jump past it.
            delay = min(delay, max(self.window_start - elapsed, self.dense))
        elif elapsed <= self.window_end:
            delay = self.dense
        else:
            delay = self.dense + 0.25 * (elapsed - self.window_end)
        return min(delay, self.cap)

    def progress(self, elapsed: float) -> float | None:
        """A fraction for a progress bar, or None when nothing has been learned yet."""
        if self.expected is None:
            return None
        # Never claim done: creep towards 99 % past the expected end.
        if elapsed <= self.expected:
            return 0.95 * elapsed / self.expected
        return min(0.99, 0.95 + 0.04 * (1 - self.expected / elapsed))


@dataclass(frozen=True)
class Backoff:
    """How long the driver waits before trying again what failed (a poll, a result, a download).

    Exponential with "equal jitter": never less than half the step, so it does
    slow down, and many jobs failing together spread out. The client has
    already retried each call a few times, so these steps start at a second.
    ``attempts`` is how many times a download is tried before the driver gives
    up on it (the row keeps the remote URL, and ``%ltx show`` tries again).
    """

    base: float = 1.0
    cap: float = 60.0
    attempts: int = 6

    def delay(self, failures: int) -> float:
        """Seconds to wait after the *failures*-th failure in a row (1 for the first)."""
        step: float = min(self.cap, self.base * 2 ** max(0, failures - 1))
        return step * (0.5 + random.random() / 2)

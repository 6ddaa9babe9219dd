"""How long to wait before trying again what failed: exponential steps, jittered.

One rule for every retry in the package (the client's, a sweep's after a 429,
the driver's polls and downloads, a locked store file); each caller keeps its
own numbers. The step after the n-th failure in a row is
``min(cap, base * 2**(n - 1))``; the wait is that step times a random draw
from *jitter*: ``(0, 1)`` is "full jitter", ``(0.5, 1)`` "equal jitter" (never
less than half the step, so it does slow down), and any other range works.
Jitter spreads out the many callers that failed together.
"""

from __future__ import annotations

import random as _random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

__all__ = ["EQUAL_JITTER", "FULL_JITTER", "Backoff"]

FULL_JITTER: Final = (0.0, 1.0)
EQUAL_JITTER: Final = (0.5, 1.0)


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter; see the module docstring.

    ``attempts`` is how many failures in a row a caller that counts them
    takes before giving up. ``random`` is injectable so tests never guess.
    """

    base: float
    cap: float
    jitter: tuple[float, float] = EQUAL_JITTER
    attempts: int = 6
    random: Callable[[], float] = field(default=_random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        low, high = self.jitter
        if self.base < 0 or self.cap < 0 or not 0 <= low <= high:
            raise ValueError("base, cap and jitter must not be negative, jitter (low, high)")

    def step(self, failures: int) -> float:
        """The un-jittered wait after the *failures*-th failure in a row (1 for the first)."""
        return float(min(self.cap, self.base * 2 ** max(0, failures - 1)))

    def delay(self, failures: int) -> float:
        """Seconds to wait after the *failures*-th failure in a row (1 for the first)."""
        low, high = self.jitter
        return self.step(failures) * (low + (high - low) * self.random())

"""A clock the test moves by hand, for code that takes ``clock=`` (a ``() -> float``)."""

from __future__ import annotations

from datetime import UTC, datetime


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    @property
    def utc(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)

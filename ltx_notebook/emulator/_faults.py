"""Trouble on purpose and the record of every request: faults and the request log.

A fault is queued by a test (:meth:`Engine.inject`) or rolled per request from
``--fail-rate``; the app asks for one before handling each request and logs
what it did, so a test can assert how many calls a client made and which of
them were refused.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

__all__ = [
    "FAULTABLE",
    "ROUTE_KINDS",
    "TRANSIENT_CODES",
    "Fault",
    "FaultQueue",
    "LogEntry",
    "check_injectable",
]

ROUTE_KINDS: Final = (
    "submit",
    "status",
    "result",
    "sync",
    "credits",
    "upload",
    "asset",
    "media",
    "other",
    "history",
)
# Transient 5xx from --fail-rate hit the API, not the file host: a download
# that fails at random makes every demo flaky. Faults injected by a test may
# target any kind.
FAULTABLE: Final = frozenset({"submit", "status", "result", "sync", "credits", "upload", "history"})
TRANSIENT_CODES: Final = (500, 502, 503, 504)


@dataclass
class Fault:
    """A queued fault: the next *times* requests of kind *route* get it.

    ``status`` answers with that code (``body``: a dict is sent as JSON, a str
    as plain text; default ``{"error": "..."}``). ``drop`` lets the request be
    handled normally (a submit creates its job) and then breaks the connection
    after the headers and the share ``keep`` of the body (half by default; 0
    sends no byte of it, so nothing of the answer, not even a request id, gets
    through). ``handled`` (with a ``status``) lets the request be handled
    normally too (a submit creates and charges its job) and then answers with
    the status page instead, naming no job: a gateway failing after the origin
    accepted. ``delay`` waits before answering (with ``handled``, after the
    request was handled: a job made whose answer is slow to come).
    """

    route: str = "*"
    status: int | None = None
    times: int = 1
    drop: bool = False
    delay: float = 0.0
    body: str | dict[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    model: str | None = None
    source: Literal["injected", "fail_rate"] = "injected"
    used: int = 0
    keep: float = 0.5
    handled: bool = False

    def matches(self, kind: str, model: str | None) -> bool:
        if self.route not in ("*", kind):
            return False
        return self.model is None or self.model == model


@dataclass(frozen=True)
class LogEntry:
    """One request as the service saw it. ``time`` is the engine clock's."""

    time: float
    method: str
    path: str
    kind: str
    status: int
    model: str | None = None
    request_id: str | None = None
    fault: str | None = None


def check_injectable(
    route: str,
    status: int | None,
    *,
    times: int,
    drop: bool,
    delay: float,
    keep: float = 0.5,
    handled: bool = False,
) -> None:
    """Raise ValueError, saying why, for a fault Engine.inject must not queue."""
    if route != "*" and route not in ROUTE_KINDS:
        raise ValueError(f"route must be '*' or one of {', '.join(ROUTE_KINDS)}")
    if status is None and not drop and delay <= 0:
        raise ValueError("a fault needs a status, drop=True or a delay")
    if status is not None and not 100 <= status <= 599:
        raise ValueError("status must be an HTTP status code")
    if times < 1:
        raise ValueError("times must be >= 1")
    if handled and (status is None or drop):
        raise ValueError("handled=True needs a status to answer with, and no drop")
    if not 0.0 <= keep < 1.0:
        raise ValueError("keep (the share of a dropped body sent) must be within [0, 1)")


class FaultQueue:
    """Injected faults, consumed in the order given, then the ``--fail-rate`` roll.

    Holds no lock of its own: the engine calls it under the engine's lock.
    """

    def __init__(self, fail_rate: float, rng: random.Random) -> None:
        self._fail_rate = fail_rate
        self._rng = rng
        self._queued: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._queued.append(fault)

    def clear(self) -> None:
        self._queued.clear()

    def take(self, kind: str, model: str | None) -> Fault | None:
        for fault in self._queued:
            if fault.matches(kind, model):
                fault.used += 1
                if fault.used >= fault.times:
                    self._queued.remove(fault)
                return fault
        rate = self._fail_rate
        if kind in FAULTABLE and rate > 0 and self._rng.random() < rate:
            code = self._rng.choice(TRANSIENT_CODES)
            return Fault(kind, code, source="fail_rate")
        return None

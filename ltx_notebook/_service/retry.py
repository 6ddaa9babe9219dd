"""When to try an HTTP call again, and how long to wait first.

Two kinds of call, two rules:

* a **read** (status, result, credits, upload, media download) changes nothing
  on the service, so any 429, 500, 502, 503, 504 or broken connection is
  worth another attempt;
* a **submit** (v2 ``POST /v2/{model}``, v1 sync run) starts a billed job and
  there is no idempotency key, so it is sent again only when it surely never
  reached the service (the connection was never made) or the service refused
  it outright (429). Any 5xx is not a refusal: a gateway can fail after the
  service behind it made the job, so the caller looks for it in the request
  history instead (see :mod:`.failures`).

Waits are exponential backoff with full jitter (AWS architecture blog,
"Exponential Backoff and Jitter"), unless the service said how long to wait
with ``Retry-After`` or ``x-rate-limit-reset-at-utc``. The waits of one call
add up to at most ``max_wait``: a cell is never blocked for minutes by a
service that asks for a long pause. When the hint (or the next wait) would go
past that, the call gives up at once and its error says how long the service
asked to wait.

A caller that paces its own submits (a sweep's scheduler) may pass a
:data:`RateLimitHook` down with the submit: the client tells it of a 429 at
once, and when the hook takes the refusal over, the client stops retrying and
raises ``RateLimited`` straight away rather than knocking on a window that is
still full (every knock is a wasted request, and counts against the account).

A submit cancelled while waiting between attempts (Ctrl-C during a 429
backoff) raises :class:`NothingSent`: every attempt so far was refused or
never connected, so no job exists and the caller may forget the submit.
"""

from __future__ import annotations

import asyncio
import enum
import random as _random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from .._core.backoff import FULL_JITTER, Backoff

__all__ = [
    "Kind",
    "NothingSent",
    "RateLimitHook",
    "RetryPolicy",
    "delay_hint",
    "parse_reset_at",
    "parse_retry_after",
    "retryable_exception",
    "retryable_status",
    "surely_not_sent",
]

READ_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

RateLimitHook = Callable[[float | None], bool]
"""Told of a submit's 429 as it comes, with the wait the service asked for (None if it
did not say). True: the caller takes it over, so the client gives up at once (raises
``RateLimited``); False: the client retries by its own rules."""


class Kind(enum.Enum):
    """What a failed call may have done on the service, which decides whether to resend it."""

    READ = "read"
    """Changes nothing: safe to repeat."""
    SUBMIT = "submit"
    """v2 submit: starts a billed job; resent only after a refusal that made nothing."""
    SYNC = "sync"
    """v1 sync run: the answer comes after the whole render; resent as a submit is."""


class NothingSent(asyncio.CancelledError):
    """A submit was cancelled while nothing it sent could have made a job.

    Raised instead of a bare ``CancelledError`` when the cancellation came
    while the client waited to retry a refused (429) or never-connected
    attempt, or while it uploaded the image: the service holds nothing, so the
    caller may drop its record of the submit. Still a
    ``CancelledError``, so the cancellation itself goes on as usual.
    """


def surely_not_sent(exc: BaseException) -> bool:
    """True when the request cannot have reached the service: no connection was ever made.

    A pool timeout means no connection was free to send on; a connect error or
    timeout means the TCP/TLS handshake failed. Anything later (write, read,
    protocol error) may come after the service has read the whole request.
    """
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def retryable_exception(kind: Kind, exc: BaseException) -> bool:
    """Whether a call that raised *exc* may be sent again."""
    if surely_not_sent(exc):
        return True
    if kind is not Kind.READ:
        return False
    # Unsupported protocol, local protocol errors and proxy errors are our
    # mistakes or configuration: repeating them cannot help.
    return isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError)


def retryable_status(kind: Kind, status_code: int, *, names_a_job: bool = False) -> bool:
    """Whether an answer with *status_code* may be sent again.

    A submit is resent only after a 429 that names no job (*names_a_job*: the
    error body carried a request id). A 502 or 503 naming no job is not proof
    that none was made: a gateway can fail after the service accepted it.
    """
    if kind is Kind.READ:
        return status_code in READ_RETRY_STATUSES
    return status_code == 429 and not names_a_job


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def parse_reset_at(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from ``x-rate-limit-reset-at-utc``: ISO-8601 or epoch seconds/ms.

    Its format is not documented, so every plausible one is accepted; a naive
    ISO time is taken as UTC, as the header's name says.
    """
    if not value:
        return None
    value = value.strip()
    try:
        stamp = float(value)
    except ValueError:
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        stamp = when.timestamp()
    else:
        if stamp > 1e11:  # milliseconds: seconds would be past the year 5000
            stamp /= 1000.0
    return max(0.0, stamp - now)


def delay_hint(headers: Mapping[str, str] | httpx.Headers, *, now: float) -> float | None:
    """The wait the service asked for, if it asked: ``Retry-After`` first, then the reset time."""
    hint = parse_retry_after(headers.get("retry-after"), now=now)
    if hint is None:
        hint = parse_reset_at(headers.get("x-rate-limit-reset-at-utc"), now=now)
    return hint


async def _asyncio_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts, and how long to wait between them.

    ``max_attempts`` counts every attempt, the first included. The wait before
    attempt ``n + 1`` is ``random() * min(cap, base * 2**n)`` (full jitter),
    or the service's own hint bounded by ``max_wait``. ``sleep``, ``random``
    and ``clock`` are injectable so tests never really wait.
    """

    max_attempts: int = 5
    base: float = 1.0
    cap: float = 30.0
    max_wait: float = 120.0
    sleep: Callable[[float], Awaitable[None]] = field(default=_asyncio_sleep, repr=False)
    random: Callable[[], float] = field(default=_random.random, repr=False)
    clock: Callable[[], float] = field(default=time.time, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base < 0 or self.cap < 0 or self.max_wait < 0:
            raise ValueError("base, cap and max_wait must not be negative")

    def backoff(self, attempt: int) -> float:
        """Jittered wait after failed attempt number *attempt* (1 for the first)."""
        return Backoff(self.base, self.cap, jitter=FULL_JITTER, random=self.random).delay(attempt)

    def delay(
        self, attempt: int, headers: Mapping[str, str] | httpx.Headers | None = None
    ) -> float:
        """The wait before the next attempt: the service's hint if any, else backoff."""
        hint = delay_hint(headers, now=self.clock()) if headers is not None else None
        if hint is not None:
            return min(hint, self.max_wait)
        return min(self.backoff(attempt), self.max_wait)

    def hint(self, headers: Mapping[str, str] | httpx.Headers) -> float | None:
        """The service's requested wait in seconds, unbounded (for error messages)."""
        return delay_hint(headers, now=self.clock())

    def next_wait(
        self,
        attempt: int,
        waited: float,
        headers: Mapping[str, str] | httpx.Headers | None = None,
    ) -> float | None:
        """The wait before the next attempt, or None to give up now.

        None when the service asks for more than ``max_wait``, or when the
        wait would bring the call's total (*waited* so far) past ``max_wait``.
        """
        hint = delay_hint(headers, now=self.clock()) if headers is not None else None
        if hint is not None and hint > self.max_wait:
            return None
        seconds = min(hint if hint is not None else self.backoff(attempt), self.max_wait)
        if waited + seconds > self.max_wait:
            return None
        return seconds

    async def wait(
        self, attempt: int, headers: Mapping[str, str] | httpx.Headers | None = None
    ) -> float:
        """Sleep before the next attempt; return how long."""
        seconds = self.delay(attempt, headers)
        await self.sleep(seconds)
        return seconds

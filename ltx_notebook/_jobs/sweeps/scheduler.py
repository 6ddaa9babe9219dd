"""Submitting a sweep's plan politely: one coroutine on the session's runtime loop.

- at most ``concurrency`` jobs are *active* (submitted and not yet done,
  download included), so a sweep never floods the account;
- a submit refused with 429 is never a failure. The client tells the
  scheduler of the first 429 at once (a hook passed down with the submit),
  and the sweep's pace (:class:`~.pace.SubmitPace`, the account's: see
  :mod:`.account_pace`) learns the rate from it and holds every later submit,
  this kernel's and every other's on the store, until the service's window
  has room, so the client does not knock on a full window again and again.
  A submit whose place another kernel took first is held back before
  anything is written or sent (:class:`~.account_pace.PaceHold`). A 429 the pace
  cannot explain (or a concurrency limit) is retried by the client, and when
  its retries are exhausted (:class:`RateLimited`) the scheduler lowers its
  effective concurrency to what the service is currently accepting, backs off
  (``retry_after`` when the service gave one, else exponential with jitter)
  and sends the *same* combination again. A refused submit created nothing
  and billed nothing, so that is safe;
- a :class:`SubmitUnknown` (the submit was sent, the answer never came) is
  recorded as an ``UNKNOWN`` job and never sent again: a resend could bill
  twice. The sweep goes on with the next combination. (When the broken answer
  named the job, the session follows it by that id and hands back a job as
  for any accepted submit.);
- errors every later submit would hit too (bad key, no credits, service
  unreachable) stop the sweep; the jobs already submitted are still followed
  to the end, and the sweep's ``wait()`` then raises that error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from ..._core.backoff import EQUAL_JITTER, Backoff
from ..._core.errors import (
    AuthenticationError,
    BudgetExceeded,
    InsufficientCredits,
    LtxError,
    RateLimited,
    StoreError,
    SubmitUnknown,
    TransportError,
)
from ..._core.params import Params
from ..._core.status import (
    DOWNLOADING,
    FINAL_SWEEP_STATES,
    PENDING,
    REFUSED,
    SKIPPED,
    SUBMITTING,
    JobStatus,
)
from ..job import Job
from ..session import Session
from .account_pace import AccountPace, PaceHold

__all__ = ["Scheduler", "SweepItem"]

log = logging.getLogger("ltx_notebook")

# Sweep-level backoff after a RateLimited: the client has already waited through its own
# retries, so start from seconds, not fractions of one.
BACKOFF_BASE: Final = 5.0
BACKOFF_CAP: Final = 120.0
# Equal jitter: never less than half the step, so it does slow down.
SWEEP_BACKOFF: Final = Backoff(base=BACKOFF_BASE, cap=BACKOFF_CAP, jitter=EQUAL_JITTER)
# After this long without a 429 the effective concurrency climbs back by one.
RECOVER_AFTER: Final = 60.0
# Consecutive refusals (400, 500...) before the sweep concludes the problem is not per-job.
MAX_REFUSALS: Final = 3
# Seconds: the window of the service's rate limit (per minute), as the pace assumes it.
RATE_WINDOW: Final = 60.0


@dataclass
class SweepItem:
    """One combination of a sweep: its params, estimate, and what became of it."""

    index: int
    params: Params
    estimate: float
    state: str = PENDING
    job: Job | None = None
    error: str | None = None
    # The same request was already in the store: its job stands in, nothing is sent.
    reused: bool = False

    @property
    def final(self) -> bool:
        return self.state in FINAL_SWEEP_STATES and (self.job is None or self.job.done)

    def refresh(self) -> str:
        job = self.job
        if job is not None:
            if job.status is JobStatus.COMPLETED and not job.done:
                self.state = DOWNLOADING
            else:
                self.state = job.status.value
        return self.state


class Scheduler:
    """Sends *items* in order through *session*; tells *on_change* after every step.

    ``note`` says what it is doing (for the panel), ``error`` why it stopped
    early, if it did. Every accepted job is handed to *on_job* as it is made.
    """

    def __init__(
        self,
        session: Session,
        items: Sequence[SweepItem],
        *,
        concurrency: int,
        sweep_id: str,
        tag: str | None,
        on_change: Callable[[], None],
        on_job: Callable[[SweepItem, Job], None],
    ) -> None:
        self._session = session
        self._items = items
        self.concurrency = concurrency
        self.effective_concurrency = concurrency
        self._sweep_id = sweep_id
        self._tag = tag
        self._on_change = on_change
        self._on_job = on_job
        self.rate_limited = 0  # 429s that got past the client's retries to the scheduler
        # The account's pace, shared through the store with every kernel of the account.
        self.pace = AccountPace(
            lambda: session.store, session.settings.base_url, window=RATE_WINDOW
        )
        self.note: str | None = None
        self.error: LtxError | None = None
        self.jobs: list[Job] = []
        self._last_429 = time.monotonic()  # also the start of the current quiet spell
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    # -- control, from any thread ----------------------------------------------------
    def stop(self) -> None:
        self._stop.set()
        self.poke()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def poke(self) -> None:
        """Wake the loop: a job finished (a slot may be free) or stop() was called."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    # -- the loop ----------------------------------------------------------------------
    async def run(self) -> None:
        """Submit everything, then wait for every submitted job; never raises."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        try:
            # Jobs the re-run guard found come first, so a stop() never leaves them out.
            for item in self._items:
                if item.reused and item.job is not None:
                    self._adopt(item, item.job)
            await self._submit_all()
            self.note = None
            self._on_change()
            for job in list(self.jobs):
                await job.wait_async()
        except Exception as exc:  # a scheduler bug must end the sweep visibly, not hang wait()
            log.exception("sweep %s scheduler failed", self._sweep_id)
            if self.error is None:
                self.error = LtxError(
                    f"sweep {self._sweep_id} stopped: {type(exc).__name__}: {exc}"
                )
        finally:
            for item in self._items:
                if item.state in (PENDING, SUBMITTING):
                    item.state = SKIPPED

    def _active(self) -> int:
        return sum(1 for job in self.jobs if not job.done)

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake at once on stop() so stopping never waits out a backoff."""
        assert self._wake is not None
        deadline = time.monotonic() + seconds
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), left)

    def _ended(self) -> int:
        return sum(1 for job in self.jobs if job.status.is_terminal)

    async def _hold(self, seconds: float) -> None:
        """Sleep like :meth:`_sleep`; while the kind of limit is unknown, a job ending
        ends it early, so one submit probes whether the limit was on concurrency."""
        assert self._wake is not None
        deadline = time.monotonic() + seconds
        ended = self._ended()
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0 or (self._ended() > ended and self.pace.probe()):
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), left)

    async def _slot(self) -> None:
        """Wait until fewer than the effective concurrency of jobs are active."""
        assert self._wake is not None
        while not self._stop.is_set():
            calm = time.monotonic() - self._last_429 >= RECOVER_AFTER
            if calm and self.effective_concurrency < self.concurrency:
                # Additive increase: probe one more slot after a quiet spell.
                self.effective_concurrency += 1
                self._last_429 = time.monotonic()
            if self._active() < self.effective_concurrency:
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 1.0)

    def _backoff(self, exc: RateLimited, streak: int) -> float:
        if exc.retry_after is not None:
            return min(max(0.0, exc.retry_after), BACKOFF_CAP)
        return SWEEP_BACKOFF.delay(streak)

    async def _submit_all(self) -> None:
        refusals = 0
        for item in self._items:
            if item.reused:
                continue  # adopted by run(): nothing is sent for it
            await self._slot()
            if (wait := await asyncio.to_thread(self.pace.wait)) > 0:
                await self._hold(wait)
            if self._stop.is_set():
                return
            item.state = SUBMITTING
            self._on_change()
            outcome = await self._submit(item)
            if outcome == "stop":
                return
            refusals = refusals + 1 if outcome == "refused" else 0
            if refusals >= MAX_REFUSALS:
                self.error = LtxError(
                    f"sweep {self._sweep_id} stopped after {refusals} refused submits in a "
                    f"row; last: {item.error}"
                )
                return

    async def _submit(self, item: SweepItem) -> str:
        """Send one combination until accepted; never twice if it may have arrived."""
        streak = 0
        session = self._session
        while True:
            try:
                job = await session.submit_async(
                    item.params,
                    tag=self._tag,
                    sweep_id=self._sweep_id,
                    on_429=self.pace.refused,
                    admit=self.pace.admit,
                )
            except PaceHold as hold:
                # Another kernel of the account took the window's last place: nothing was
                # written or sent; wait for the place the account's pace names.
                await self._hold(hold.wait)
                await self._slot()
                if self._stop.is_set():
                    item.state = SKIPPED
                    return "stop"
                continue
            except RateLimited as exc:
                # Refused outright: nothing exists, nothing billed, the same combination may go
                # again. Slow down: the service accepts no more than what is running now.
                streak += 1
                self.rate_limited += 1
                self._last_429 = time.monotonic()
                paced = await asyncio.to_thread(self.pace.wait)
                if self.pace.kind in (None, "concurrency"):
                    # Not a rate the pace learned: the service takes no more than is running.
                    self.effective_concurrency = max(
                        1, min(self.effective_concurrency - 1, self._active())
                    )
                delay = paced if paced > 0 else self._backoff(exc, streak)
                self.note = (
                    f"rate limited (HTTP 429): next submit in {delay:.0f}s, "
                    f"{self.effective_concurrency} at a time"
                )
                self._on_change()
                await self._hold(delay)
                await self._slot()
                if self._stop.is_set():
                    item.state = SKIPPED
                    return "stop"
                continue
            except SubmitUnknown as exc:
                # The job may exist and be billed: record it, never send it again.
                item.error = str(exc)
                if exc.job_id is not None:
                    self._adopt(item, await asyncio.to_thread(session.get, exc.job_id))
                else:
                    item.state = JobStatus.UNKNOWN.value
                self._on_change()
                return "unknown"
            except (
                AuthenticationError,
                BudgetExceeded,
                InsufficientCredits,
                StoreError,
                TransportError,
            ) as exc:
                # Every later submit would meet the same wall (a store that cannot record
                # them, a budget spent by charges above the estimates): stop, keep what was sent.
                item.state, item.error = REFUSED, str(exc)
                self.error = exc
                self._on_change()
                return "stop"
            except LtxError as exc:
                # 400 / 404 / 500 at submit: the service refused this one; nothing exists.
                item.state, item.error = REFUSED, str(exc)
                self._on_change()
                return "refused"
            await asyncio.to_thread(self.pace.accepted, job.id)
            self.note = None
            self._adopt(item, job)
            return "ok"

    def _adopt(self, item: SweepItem, job: Job) -> None:
        item.job = job
        item.refresh()
        self.jobs.append(job)
        self._on_job(item, job)

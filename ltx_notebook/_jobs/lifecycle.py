"""A job's life, from its submit's answer to its video on disk: poll, fetch, download.

The driver of a job ends only when its row is terminal (and, for COMPLETED,
the video is on disk or its download was given up): every failure on the way
(a poll, the result, the store, the download) is recorded as a note in the
row's ``error`` and tried again after a backoff. A 404 ends a job only when
its record can no longer exist (:func:`~.rules.not_found_is_final`); one that
lasts costs a read of the request history.

Exactly one kernel drives a job (:mod:`.team.lease`): the driver claims the job's
lease first; while another kernel holds it, it follows the row instead (so
``wait()`` still ends), and takes the job over if that lease lapses. A lease
lost midway (a heartbeat finds it taken over, or a write is refused) stops
the polls and the download here, quietly.

It talks to the session only through :class:`~.job.Driver`, and is handed the
two things a session alone knows: how to plan a job's polls, and how long a
request record lives.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from .._core.errors import ApiError, LtxError, NotFound
from .._core.params import Params
from .._core.status import JobStatus
from .._storage.records import clean_base_url
from .._storage.store import LeaseLost
from .download import download
from .job import Driver, Job
from .poll.schedule import PollSchedule
from .recovery.lookup import Recovery
from .rules import (
    MISSING_POLLS,
    MISSING_SECONDS,
    is_note,
    known,
    not_found_is_final,
    request_id_of,
    result_fields,
)
from .upload import upload

__all__ = ["Lifecycle", "paused"]

log = logging.getLogger("ltx_notebook")


async def paused(job: Job) -> None:
    """Idle, sending nothing, until someone follows the job again.

    Stopping pauses rather than ends the driver, so following again is
    only clearing a flag: no second driver, and no race with this one.
    """
    job.notify()
    while job.stop_requested:
        await asyncio.sleep(0.5)


class Lifecycle:
    """Drives jobs for a session: one coroutine per job, on the session's runtime loop."""

    def __init__(
        self,
        driver: Driver,
        recovery: Recovery,
        *,
        plan: Callable[[Params], PollSchedule],
        ttl: Callable[[], timedelta],
    ) -> None:
        self._driver = driver
        self._recovery = recovery
        self._plan = plan
        self._ttl = ttl

    async def drive(self, job: Job) -> None:
        """Follow *job* until its row is terminal and its video on disk. Never loses the record.

        Only a cancellation (the runtime stopping) ends it early, and then the
        job is not marked done: ``wait()`` starts a new driver.
        """
        failures = 0
        try:
            while True:
                try:
                    if not await self._driver.claim(job):
                        # Another kernel drives it: its row is followed here (one read for
                        # every such job), and the job driven again once that lease lapses.
                        self._driver.watch_driven_elsewhere(job)
                        return
                    if not await self._advance(job):
                        await self._driver.release(job)
                        job.notify()
                        return  # paused: resume() under the job's own service follows it
                    await self._driver.release(job)
                    break
                except LeaseLost as exc:
                    # Not a failure: another kernel drives it now; this one follows its row.
                    log.info("job %s: %s; this kernel stops driving it", job.id, exc)
                    continue
                except Exception as exc:  # recorded, and tried again: never the end of a job
                    failures += 1
                    delay = self._driver.backoff.delay(failures)
                    what = f"{type(exc).__name__}: {exc}"
                    unexpected = not isinstance(exc, LtxError | OSError)  # a bug: its traceback
                    log.warning(
                        "job %s: %s; again in %.1f s", job.id, what, delay, exc_info=unexpected
                    )
                    try:
                        await self._driver.note(job, f"{self._step(job)}: {what}; trying again")
                    except Exception:  # the store itself may be what fails
                        log.debug("could not record the note of job %s", job.id, exc_info=True)
                    await self._driver.rest(job, delay)
        except asyncio.CancelledError:
            job.notify()
            raise
        job.finish()

    @staticmethod
    def _step(job: Job) -> str:
        if job.status is JobStatus.COMPLETED:
            return "downloading"
        return "polling"

    async def _advance(self, job: Job) -> bool:
        """One pass at *job*'s end; False when it paused (its service is no longer set)."""
        if job.schedule is None:
            job.schedule = await asyncio.to_thread(self._plan, job.params)
            job.set_record(job.record)
        if not job.status.is_terminal and not await self._poll(job):
            return False
        if job.status is JobStatus.COMPLETED and not job.video_path:
            # Asked of the store, not of the last heartbeat: a kernel frozen past its
            # lease must not download a video another kernel is fetching.
            if not await self._driver.claim(job):
                raise LeaseLost(job.id)
            await download(self._driver, job)
        if job.status is JobStatus.COMPLETED and job.video_path:
            await upload(self._driver, job)  # a bucket's canonical copy; nothing locally
        return True

    def _moved(self, job: Job) -> str | None:
        """Why *job* cannot be polled now: the base URL set is not its service's."""
        mine, now = job.record.base_url, clean_base_url(self._driver.settings.base_url)
        if mine is None or mine == now:
            return None
        return (
            f"polling: paused: the base URL is now {now}, and this job belongs to {mine}: "
            f"configure(base_url={mine!r}), then %ltx resume (ltx_notebook.resume()) "
            "follows it again"
        )

    async def _poll(self, job: Job) -> bool:
        """Poll *job* until it ends (True), or until its service is no longer set (False)."""
        assert job.schedule is not None
        trouble = 0  # failed polls in a row: each waits longer than the last
        missing: list[float] = []  # when each 404 in a row came (within the hour)
        # When a poll last found the job running: its end lies after it (see Store.durations).
        seen_running: float | None = None
        while True:
            if trouble:
                await self._driver.rest(job, self._driver.backoff.delay(trouble))
            else:
                await asyncio.sleep(job.schedule.next_delay(job.elapsed))
            if job.stop_requested:
                await paused(job)
                continue
            if not self._driver.holds(job):  # a heartbeat found it taken over
                raise LeaseLost(job.id)
            if job.status.is_terminal:  # ended meanwhile from the history (reconcile)
                return True
            moved = self._moved(job)
            if moved is not None:
                await self._driver.note(job, moved)
                return False
            # Asked for each poll: a key configured meanwhile is followed at once.
            client = self._driver.client()
            trouble += 1
            asked_at = job.elapsed
            try:
                reply = await client.status(request_id_of(job.record))
            except NotFound as exc:
                if not_found_is_final(job.record, ttl=self._ttl()):
                    # Gone from /v2, not from the request history: ended from there.
                    await self._driver.update(job, **await self._recovery.after_gone(job))
                    return True
                missing.append(time.monotonic())
                if len(missing) >= MISSING_POLLS or missing[-1] - missing[0] >= MISSING_SECONDS:
                    # A 404 that lasts: one history read settles it, or says to poll on.
                    ended = await self._recovery.after_missing(job)
                    if ended is not None:
                        await self._driver.update(job, **ended)
                        return True
                    missing = []  # asked: another stretch of 404s asks again
                    continue
                await self._driver.note(
                    job, f"polling: {exc}; polling on while the record may exist"
                )
                continue
            except LtxError as exc:
                # Retries are exhausted for this poll, but the job is not lost: try later.
                await self._driver.note(job, f"polling: {exc}")
                continue
            missing = []
            status = known(reply.status)
            if status is None:
                # Not an end this version knows; keep polling, less often, and say so.
                await self._driver.note(
                    job,
                    f"polling: the service reports status {reply.status!r}, which this version "
                    "does not know; polling on until it reports an end",
                )
                continue
            trouble = 0
            if not status.is_terminal:
                seen_running = asked_at
            fields: dict[str, Any] = {"status": status, "metrics": reply.metrics or None}
            if is_note(job.record.error):
                fields["error"] = None
            if status is JobStatus.COMPLETED:
                result = await self._fetch_result(job, fields)
                if result is None:
                    continue  # the result route does not say COMPLETED yet: poll on
                # COMPLETED is written together with the result, so a crash in between
                # leaves a job that resume() simply polls again.
                if seen_running is not None:
                    result["seen_running_s"] = round(seen_running, 3)
                await self._driver.update(job, **result)
                return True
            if status is JobStatus.FAILED:
                fields["error"] = reply.error or "the service reported FAILED without a reason"
            # Running metrics tick on every poll (inference so far) and nobody reads them:
            # a poll is written only when its state (or note) changes; final metrics come
            # with the result.
            if status is not job.status or "error" in fields:
                await self._driver.update(job, **fields)
            if status.is_terminal:
                return True

    async def _fetch_result(self, job: Job, fields: dict[str, Any]) -> dict[str, Any] | None:
        """The fields to write for a job the status says is COMPLETED; tried until it answers.

        None when the result route still calls it queued or processing.
        """
        failures = 0
        while True:
            try:
                reply = await self._driver.client().result(request_id_of(job.record))
                status = known(reply.status)
                if status is JobStatus.FAILED:
                    reason = reply.error or "the service reported FAILED without a reason"
                    return {**fields, "status": JobStatus.FAILED, "error": reason}
                if status in (JobStatus.QUEUED, JobStatus.PROCESSING):
                    return None
                if status is not JobStatus.COMPLETED or not reply.output_url:
                    raise ApiError(
                        f"the result of {job.request_id} says {reply.status!r} with "
                        f"{'an' if reply.output_url else 'no'} output URL",
                        status_code=200,
                        request_id=job.request_id,
                    )
                return result_fields(job.record, job.elapsed, fields, reply)
            except NotFound as exc:
                if not_found_is_final(job.record, ttl=self._ttl()):
                    return {**fields, **await self._recovery.after_gone(job)}
                await self._driver.note(job, f"fetching the result: {exc}")
            except LtxError as exc:
                await self._driver.note(job, f"fetching the result: {exc}")
            failures += 1
            await self._driver.rest(job, self._driver.backoff.delay(failures))

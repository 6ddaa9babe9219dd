"""Jobs: the life of one generation, from submit to a verified local video.

A :class:`Job` is a handle: data (read from the store, which is the truth)
plus a private back-reference to the :class:`Session` that drives it. The
driving happens in one coroutine, :meth:`Session._drive`, on the background
runtime; the handle only reads and waits. The order of the steps is what
keeps paid work safe:

1. a store row is written *before* the submit is sent;
2. the request id is written the moment the service answers;
3. every state change is written as it is seen;
4. on COMPLETED the video is streamed to disk at once (results expire after
   an hour), verified, probed, and its path written.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Callable, Generator, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from . import _display, _media
from ._client import Client
from ._config import Settings, get_settings, on_change
from ._errors import (
    JobFailed,
    LtxError,
    MediaError,
    NotFound,
    SubmitUnknown,
    WaitTimeout,
)
from ._observe import Completion, Listeners
from ._params import MODELS, Params, estimate_cost
from ._runtime import Runtime
from ._schedule import PollSchedule
from ._store import JobRecord, JobStatus, Store, clean_base_url

__all__ = ["Job", "Session", "default_session"]

# Records expire an hour after submit on the real service; output files live longer.
RESULT_TTL = timedelta(hours=1)
Listener = Callable[["Job"], None]


class Job:
    """A handle on one generation job.

    Everything it reports comes from its store row, so a Job rebuilt after a
    kernel restart knows as much as the one that submitted. ``request_id`` is
    set as soon as :func:`generate` returns: keep it, it is how a paid result
    is found again.
    """

    def __init__(self, session: Session, record: JobRecord) -> None:
        self._session = session
        self._record = record
        self._done = Completion()
        self._listeners: Listeners[Job] = Listeners()
        self._stop = threading.Event()
        # The driver coroutine's handle: a Task on the runtime loop, or a thread-safe Future.
        self._task: asyncio.Task[None] | concurrent.futures.Future[None] | None = None
        self.schedule: PollSchedule | None = None
        if record.status.is_terminal and (record.video_path or record.status != "COMPLETED"):
            self._done.set()

    # -- what the job is --------------------------------------------------
    @property
    def id(self) -> int:
        """The local id (the store's primary key); exists even before a request id."""
        return self._record.id

    @property
    def record(self) -> JobRecord:
        return self._record

    @property
    def request_id(self) -> str | None:
        return self._record.request_id

    @property
    def status(self) -> JobStatus:
        return self._record.status

    @property
    def error(self) -> str | None:
        return self._record.error

    @property
    def params(self) -> Params:
        return self._record.params

    @property
    def metrics(self) -> dict[str, Any]:
        return dict(self._record.metrics or {})

    @property
    def output_url(self) -> str | None:
        return self._record.output_url

    @property
    def video_path(self) -> Path | None:
        path = self._record.video_path
        return Path(path) if path else None

    @property
    def done(self) -> bool:
        """True once the job is terminal and, if COMPLETED, its video is on disk (or failed to)."""
        return self._done.is_set()

    @property
    def elapsed(self) -> float:
        """Seconds since submit (until completion, once completed)."""
        start = self._record.submitted_at
        if start is None:
            return 0.0
        end = self._record.completed_at or datetime.now(UTC)
        return max(0.0, (end - start).total_seconds())

    def __repr__(self) -> str:
        return (
            f"<Job {self.id} {self.request_id or '(not submitted)'} {self.status.value} "
            f"{self.params.summary()}>"
        )

    def _repr_html_(self) -> str:
        return _display.job_html(self._record)

    # -- waiting ----------------------------------------------------------
    def wait(self, timeout: float | None = None) -> Job:
        """Block until the job is terminal (and its video downloaded); return the job.

        A FAILED job does not raise here: check ``status`` and ``error``. If
        *timeout* runs out, :class:`WaitTimeout` (a ``TimeoutError``) is raised
        and the job keeps going in the background.
        """
        self._follow_again()
        if not self._done.wait(timeout):
            raise WaitTimeout(
                f"job {self.request_id or self.id} still {self.status.value} after "
                f"{timeout:g}s; it keeps running: call .wait() again or check history()",
                request_id=self.request_id,
            )
        return self

    def __await__(self) -> Generator[Any, None, Job]:
        return self.wait_async().__await__()

    async def wait_async(self) -> Job:
        """Wait on *any* event loop (the kernel's, the runtime's) without a thread per job."""
        self._follow_again()
        await self._done.wait_async()
        return self

    def stop_waiting(self) -> None:
        """Stop polling this job. The service has no cancel: the job still runs (and bills).

        The job is not ``done``: ``wait()``, ``await job`` or ``ltx_notebook.resume()``
        follow it again.
        """
        self._stop.set()

    @property
    def stopped(self) -> bool:
        """Polling was stopped by :meth:`stop_waiting` before the job ended."""
        return self._stop.is_set() and not self._done.is_set()

    def _follow_again(self) -> None:
        # Waiting on a job nobody polls would never end: polling is free, so resume it.
        if self.stopped:
            self._session._start(self)

    def result(self) -> Path:
        """The local video file; waits for it. Raises :class:`JobFailed` if there is none."""
        self.wait()
        if self.status is JobStatus.COMPLETED and self.video_path:
            return self.video_path
        raise JobFailed(
            f"job {self.request_id or self.id} ended {self.status.value}: "
            f"{self.error or 'no video was produced'}",
            request_id=self.request_id or "",
            reason=self.error,
        )

    # -- observing --------------------------------------------------------
    def add_listener(self, callback: Listener) -> None:
        """Call *callback(job)* now and after every change (from the runtime thread)."""
        self._listeners.add(callback, self)

    def remove_listener(self, callback: Listener) -> None:
        self._listeners.remove(callback)

    def _set(self, record: JobRecord) -> None:
        self._record = record
        self._notify()

    def _finish(self) -> None:
        self._done.set()
        self._notify()

    def _notify(self) -> None:
        self._listeners.notify(self)

    def expected_seconds(self) -> float | None:
        return self.schedule.expected if self.schedule else None

    def progress(self) -> float | None:
        if self.status is JobStatus.COMPLETED:
            return 1.0
        return self.schedule.progress(self.elapsed) if self.schedule else None


class Session:
    """Settings, client, store and runtime, wired together; drives jobs.

    One default session serves ``ltx_notebook.generate`` and the magics; tests
    and advanced users may make their own.
    """

    def __init__(self, settings: Settings | None = None, *, runtime: Runtime | None = None) -> None:
        self._fixed_settings = settings
        self.runtime = runtime or Runtime()
        self._client: Client | None = None
        self._client_settings: Settings | None = None
        self._store: Store | None = None
        self._jobs: dict[int, Job] = {}
        self._lock = threading.Lock()
        self._closing: set[asyncio.Task[None]] = set()

    @property
    def settings(self) -> Settings:
        return self._fixed_settings or get_settings()

    @property
    def store(self) -> Store:
        path = self.settings.store_path
        if self._store is None or self._store.path != path:
            self._store = Store(path)
        return self._store

    def _get_client(self) -> Client:
        # Called only on the runtime loop: httpx clients belong to one loop.
        settings = self.settings
        if self._client is None or self._client_settings != settings:
            if self._client is not None:
                # Keep the task referenced until it ends: asyncio holds tasks weakly.
                closing = asyncio.get_running_loop().create_task(self._client.aclose())
                self._closing.add(closing)
                closing.add_done_callback(self._closing.discard)
            self._client = Client(settings)
            self._client_settings = settings
        return self._client

    # -- submitting ---------------------------------------------------------
    def submit(self, params: Params, *, tag: str | None = None, sweep_id: str | None = None) -> Job:
        """Send *params* and return the Job once the service has accepted it."""
        return self.runtime.call(self.submit_async(params, tag=tag, sweep_id=sweep_id))

    async def submit_async(
        self, params: Params, *, tag: str | None = None, sweep_id: str | None = None
    ) -> Job:
        """Coroutine form of :meth:`submit`, to be run on the runtime loop."""
        store = self.store
        record = await asyncio.to_thread(
            store.create,
            params,
            cost_estimate=estimate_cost(params),
            base_url=self.settings.base_url,
            tag=tag,
            sweep_id=sweep_id,
        )
        try:
            submission = await self._get_client().submit(params)
        except SubmitUnknown as exc:
            store.update(
                record.id, status=JobStatus.UNKNOWN, error=str(exc), request_id=exc.request_id
            )
            exc.job_id = record.id
            raise
        except LtxError:
            # Refused outright: the service created nothing and billed nothing.
            store.delete(record.id)
            raise
        except BaseException:
            # Interrupted mid-flight: the submit may have reached the service.
            store.update(
                record.id,
                status=JobStatus.UNKNOWN,
                error="interrupted while submitting: the job may exist and may be billed",
            )
            raise
        record = await self._write(
            record.id,
            request_id=submission.request_id,
            status=JobStatus.QUEUED,
            status_url=submission.status_url,
            response_url=submission.response_url,
        )
        job = self._track(record)
        job._task = asyncio.get_running_loop().create_task(self._drive(job))
        return job

    def _track(self, record: JobRecord) -> Job:
        with self._lock:
            job = self._jobs.get(record.id)
            if job is None:
                job = self._jobs[record.id] = Job(self, record)
            return job

    # -- finding and re-attaching --------------------------------------------
    def get(self, key: int | str) -> Job:
        """The Job with local id or request id *key*, rebuilt from the store if need be."""
        record = self.store.get(key) if isinstance(key, int) else self.store.get_by_request_id(key)
        if record is None:
            raise NotFound(
                f"no job {key!r} in the store at {self.settings.store_path}",
                status_code=404,
                request_id=key if isinstance(key, str) else None,
            )
        return self._track(record)

    def resume(self) -> list[Job]:
        """Re-attach to every job left unfinished (e.g. by a kernel restart).

        That is every job still queued or processing on this service, and every
        completed one whose video never reached the disk.
        """
        base_url = self.settings.base_url
        records = self.store.unfinished(base_url=base_url) + [
            r
            for r in self.store.find(status=JobStatus.COMPLETED, video_path=None)
            if r.output_url and r.base_url == clean_base_url(base_url)
        ]
        return [self._start(self._track(record)) for record in records]

    def refetch(self, job: Job) -> Job:
        """Download a completed job's video again (the local copy was deleted)."""
        if job.status is not JobStatus.COMPLETED or not job.output_url:
            raise NotFound(
                f"job {job.request_id or job.id} has no video to fetch ({job.status.value})",
                status_code=404,
                request_id=job.request_id,
            )
        if job.video_path and not job.video_path.is_file():
            job._set(self.store.update(job.id, video_path=None, poster_path=None))
        return self._start(job)

    def _start(self, job: Job) -> Job:
        # One driver per job in this process: a second would race on the same file.
        job._stop.clear()  # a paused driver picks up again on its own
        if job._task is None or job._task.done():
            job._done.clear()
            job._task = self.runtime.submit(self._drive(job))
        return job

    # -- driving --------------------------------------------------------------
    async def _write(self, job_id: int, **fields: Any) -> JobRecord:
        # SQLite may wait on another kernel's write: never block the runtime's loop on it.
        return await asyncio.to_thread(self.store.update, job_id, **fields)

    async def _update(self, job: Job, **fields: Any) -> None:
        job._set(await self._write(job.id, **fields))

    def _schedule_for(self, params: Params) -> PollSchedule:
        history = self.store.durations(
            params.model, params.duration, params.resolution, base_url=self.settings.base_url
        )
        return PollSchedule.learn(history, prior=MODELS[params.model].typical_seconds)

    async def _drive(self, job: Job) -> None:
        """Poll *job* to a terminal state, then fetch its video. Never loses the record."""
        try:
            job.schedule = self._schedule_for(job.params)
            job._set(job.record)
            if job.status is not JobStatus.COMPLETED:
                await self._poll(job)
            if job.status is JobStatus.COMPLETED and not job.video_path:
                await self._download(job)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # recorded, never swallowed silently
            await self._update(job, error=f"{type(exc).__name__}: {exc}")
        finally:
            job._finish()

    async def _poll(self, job: Job) -> None:
        client = self._get_client()
        assert job.schedule is not None
        while True:
            await asyncio.sleep(job.schedule.next_delay(job.elapsed))
            if job._stop.is_set():
                await self._paused(job)
                continue
            try:
                reply = await client.status(job.request_id)
            except NotFound:
                expired = job.elapsed >= RESULT_TTL.total_seconds()
                status = JobStatus.EXPIRED if expired else JobStatus.LOST
                await self._update(
                    job,
                    status=status,
                    error="the service no longer knows this request (results expire after 1 hour)",
                )
                return
            except LtxError as exc:
                # Retries are exhausted for this poll, but the job is not lost: try later.
                await self._update(job, error=f"polling: {exc}")
                await asyncio.sleep(job.schedule.cap)
                continue
            try:
                status = JobStatus.parse(reply.status)
            except ValueError:
                # A state this version does not know: not an end, so keep polling.
                continue
            fields: dict[str, Any] = {"status": status, "metrics": reply.metrics or None}
            if job.record.error and job.record.error.startswith("polling:"):
                fields["error"] = None
            if status is JobStatus.COMPLETED:
                # COMPLETED is written together with the result, so a crash in between
                # leaves a job that resume() simply polls again.
                await self._update(job, **await self._result_fields(job, fields))
                return
            if status is JobStatus.FAILED:
                fields["error"] = reply.error or "the service reported FAILED without a reason"
            if status is not job.status or reply.metrics != (job.record.metrics or {}):
                await self._update(job, **fields)
            if status.is_terminal:
                return

    @staticmethod
    async def _paused(job: Job) -> None:
        """Idle, sending nothing, until someone follows the job again.

        Stopping pauses rather than ends the driver, so following again is
        only clearing a flag: no second driver, and no race with this one.
        """
        job._notify()
        while job._stop.is_set():
            await asyncio.sleep(0.5)

    async def _result_fields(self, job: Job, fields: dict[str, Any]) -> dict[str, Any]:
        reply = await self._get_client().result(job.request_id)
        metrics = {**(job.record.metrics or {}), **(fields.get("metrics") or {})}
        metrics.update(reply.metrics or {})
        fields = {
            **fields,
            "output_url": reply.output_url,
            "metrics": metrics or None,
            "url_expires_at": (job.record.submitted_at or datetime.now(UTC)) + RESULT_TTL,
        }
        if isinstance(metrics.get("cost"), int | float):
            fields["cost"] = float(metrics["cost"])
        queued = metrics.get("queue_time")
        submitted = job.record.submitted_at
        if job.record.started_at is None and submitted and isinstance(queued, int | float):
            # PROCESSING can pass between two polls; the service's own figure says when.
            fields["started_at"] = submitted + timedelta(seconds=float(queued))
        return fields

    async def _download(self, job: Job) -> None:
        url = job.output_url
        if not url:
            raise MediaError(f"job {job.request_id} completed without an output URL")
        dest = _media.media_path(self.settings.media_dir, job.id, job.request_id or "")
        async with self._get_client().stream(url) as (size, _type, chunks):
            await _media.save_stream(chunks, dest, expected_size=size)
        info = await asyncio.to_thread(_media.probe, dest)
        poster = await asyncio.to_thread(_media.poster, dest)
        await self._update(
            job,
            # Absolute: the kernel may %cd, and another kernel may share this store.
            video_path=str(dest.resolve()),
            poster_path=str(poster.resolve()),
            file_bytes=info.file_bytes,
            video_seconds=info.seconds,
            video_width=info.width,
            video_height=info.height,
            video_fps=info.fps,
            has_audio=info.has_audio,
            error=None,
        )

    def wait_all(self, jobs: Iterable[Job], timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        for job in jobs:
            job.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))


_default: Session | None = None


def default_session() -> Session:
    """The process's session (created on first use) used by the module-level API."""
    global _default
    if _default is None:
        _default = Session()
    return _default


def _forget_client() -> None:
    # A new configuration means a new client (and key) on the next request.
    if _default is not None:
        _default._client_settings = None


on_change(_forget_client)

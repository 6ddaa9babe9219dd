"""The session: settings, client, store and runtime wired together; it drives every job.

The order of a job's steps is what keeps paid work safe:

1. a store row is written *before* the submit is sent;
2. the request id is written the moment the service answers;
3. every state change is written as it is seen;
4. on COMPLETED the video is streamed to disk at once (results expire after
   an hour), verified, probed, and its path written.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .._core.config import Settings, get_settings
from .._core.errors import LtxError, MediaError, NotFound, SubmitUnknown
from .._core.params import MODELS, Params, check_timeout, estimate_cost
from .._core.status import JobStatus
from .._service.client import Client
from .._storage import media
from .._storage.records import JobRecord, clean_base_url
from .._storage.store import Store
from .job import Job
from .runtime import Runtime
from .schedule import PollSchedule

__all__ = ["Session"]

# Records expire an hour after submit on the real service; output files live longer.
RESULT_TTL = timedelta(hours=1)


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
        # Local ids restart at 1 in every store, so a job is known by its store's file
        # *and* its id: after configure(media_dir=...) id 1 is another, newly billed job.
        self._jobs: dict[tuple[Path, int], Job] = {}
        self._homes: dict[Job, Store] = {}  # the store each tracked job's row lives in
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
        if self._client is None or not _same_service(self._client_settings, settings):
            if self._client is not None:
                # Keep the task referenced until it ends: asyncio holds tasks weakly.
                closing = asyncio.get_running_loop().create_task(self._client.aclose())
                self._closing.add(closing)
                closing.add_done_callback(self._closing.discard)
            self._client = Client(settings)
            self._client_settings = settings
        return self._client

    def forget_client(self) -> None:
        """Make the next request build a new client (and read the key) from the settings."""
        self._client_settings = None

    def credits(self) -> dict[str, float | None]:
        """The account's credits, as the service reports them."""

        async def read() -> dict[str, float | None]:
            reply = await self._get_client().credits()
            return {"credits": reply.credits, "free_credits": reply.free_credits}

        return self.runtime.call(read())

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
            store,
            request_id=submission.request_id,
            status=JobStatus.QUEUED,
            status_url=submission.status_url,
            response_url=submission.response_url,
        )
        job = self._track(record, store)
        job._task = asyncio.get_running_loop().create_task(self._drive(job))
        return job

    def _track(self, record: JobRecord, store: Store) -> Job:
        # Resolved: a relative store path names another file after a %cd.
        key = (store.path.resolve(), record.id)
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                job = self._jobs[key] = Job(self, record)
                self._homes[job] = store
            return job

    def _home(self, job: Job) -> Store:
        # A job is written where its row is, whatever store the settings name now.
        with self._lock:
            return self._homes.get(job) or self.store

    # -- finding and re-attaching --------------------------------------------
    def get(self, key: int | str) -> Job:
        """The Job with local id or request id *key*, rebuilt from the store if need be."""
        store = self.store
        record = store.get(key) if isinstance(key, int) else store.get_by_request_id(key)
        if record is None:
            raise NotFound(
                f"no job {key!r} in the store at {self.settings.store_path}",
                status_code=404,
                request_id=key if isinstance(key, str) else None,
            )
        return self._track(record, store)

    def resume(self) -> list[Job]:
        """Re-attach to every job left unfinished (e.g. by a kernel restart).

        That is every job still queued or processing on this service, and every
        completed one whose video never reached the disk.
        """
        base_url = self.settings.base_url
        store = self.store
        records = store.unfinished(base_url=base_url) + [
            r
            for r in store.find(status=JobStatus.COMPLETED, video_path=None)
            if r.output_url and r.base_url == clean_base_url(base_url)
        ]
        return [self._start(self._track(record, store)) for record in records]

    def refetch(self, job: Job) -> Job:
        """Download a completed job's video again (the local copy was deleted)."""
        if job.status is not JobStatus.COMPLETED or not job.output_url:
            raise NotFound(
                f"job {job.request_id or job.id} has no video to fetch ({job.status.value})",
                status_code=404,
                request_id=job.request_id,
            )
        if job.video_path and not job.video_path.is_file():
            job._set(self._home(job).update(job.id, video_path=None, poster_path=None))
        return self._start(job)

    def _start(self, job: Job) -> Job:
        # One driver per job in this process: a second would race on the same file.
        job._stop.clear()  # a paused driver picks up again on its own
        if job._task is None or job._task.done():
            job._done.clear()
            job._task = self.runtime.submit(self._drive(job))
        return job

    # -- driving --------------------------------------------------------------
    async def _write(self, job_id: int, store: Store, /, **fields: Any) -> JobRecord:
        # SQLite may wait on another kernel's write: never block the runtime's loop on it.
        return await asyncio.to_thread(store.update, job_id, **fields)

    async def _update(self, job: Job, **fields: Any) -> None:
        job._set(await self._write(job.id, self._home(job), **fields))

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
                reply = await client.status(_request_id(job))
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
        reply = await self._get_client().result(_request_id(job))
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
        dest = media.media_path(self.settings.media_dir, job.id, job.request_id or "")
        async with self._get_client().stream(url) as (size, _type, chunks):
            await media.save_stream(chunks, dest, expected_size=size)
        info = await asyncio.to_thread(media.probe, dest)
        poster = await asyncio.to_thread(media.poster, dest)
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
        timeout = check_timeout(timeout, zero=True)
        deadline = None if timeout is None else time.monotonic() + timeout
        for job in jobs:
            job.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))


def _same_service(built: Settings | None, now: Settings) -> bool:
    # A client uses only the key and the service's URL: a new media folder or store must
    # not close it under the jobs being polled with it.
    return built is not None and (built.api_key, built.base_url) == (now.api_key, now.base_url)


def _request_id(job: Job) -> str:
    # A job is driven only once the service has named it; a row without an id never is.
    if job.request_id is None:
        raise LtxError(f"job {job.id} has no request id to follow")
    return job.request_id

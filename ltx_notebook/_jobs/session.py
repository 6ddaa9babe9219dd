"""The session: settings, client, store and runtime wired together; it drives every job.

The order of a job's steps is what keeps paid work safe:

1. a store row is written *before* the submit is sent;
2. the request id is written the moment the service answers;
3. every state change is written as it is seen;
4. on COMPLETED the video is streamed to disk at once (results expire after
   an hour), verified, probed, and its path written.

A job's life after the answer (poll, fetch the result, download) is
:mod:`.lifecycle`'s; the session writes the row first, submits, and hands the
job over.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._core.config import Settings, get_settings
from .._core.errors import InvalidParams, LtxError, NotFound, StoreError, SubmitUnknown
from .._core.params import MODELS, Params, check_timeout
from .._core.status import JobStatus
from .._service.client import Client
from .._service.retry import NothingSent, RateLimitHook
from .._storage import parts
from .._storage.cache import media_cache, playable
from .._storage.records import JobRecord, clean_base_url, owned_by
from .._storage.store import LeaseLost, Store
from .job import Job
from .lifecycle import Lifecycle, paused
from .money.budget import record_within_budget
from .poll.runtime import Runtime
from .poll.schedule import DRIVER_BACKOFF, PollSchedule, ScheduleCache
from .recovery.lookup import Recovery
from .recovery.reconcile import Reconciliation, reconcile
from .rules import (
    INTERRUPTED_SUBMIT,
    RESULT_TTL,
    SUBMIT_GRACE,
    not_found_is_final,
    same_service,
)
from .team.lease import Leases, driven_elsewhere, kernel_id
from .team.watch import StoreWatch
from .upload import upload_pending

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["Session", "not_found_is_final"]

# Rows whose submit never got its answer written: still SUBMITTING, or UNKNOWN.
_UNANSWERED = (JobStatus.SUBMITTING, JobStatus.UNKNOWN)

log = logging.getLogger("ltx_notebook")

# The rows this process is submitting right now, by store file: resume() leaves them be.
_SUBMITTING: set[tuple[Path | str, int]] = set()
_SUBMITTING_LOCK = threading.Lock()
# Submit answers the store could not take (a full disk), by store file and row: the
# request id its StoreError told the user to keep must find the job, so they are
# written the moment a lookup, adopt, resume or reconcile can (Session._write_owed).
_OWED: dict[tuple[Path | str, int], dict[str, Any]] = {}


class Session:
    """Settings, client, store and runtime, wired together; drives jobs.

    One default session serves ``ltx_notebook.generate`` and the magics; tests
    and advanced users may make their own.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        runtime: Runtime | None = None,
        kernel: str | None = None,
    ) -> None:
        self._fixed_settings = settings
        self.runtime = runtime or Runtime()
        # Who drives this session's jobs: the process's id, unless a test plays two kernels.
        self.kernel = kernel or kernel_id()
        self._leases = Leases(self.kernel, lambda: self.settings)
        self._client: Client | None = None
        self._client_settings: Settings | None = None
        self._store: Store | None = None
        # Local ids restart at 1 in every store, so a job is known by its store's file
        # *and* its id: after configure(media_dir=...) id 1 is another, newly billed job.
        self._jobs: dict[tuple[Path | str, int], Job] = {}
        self._homes: dict[Job, Store] = {}  # the store each tracked job's row lives in
        self._lock = threading.Lock()
        self._closing: set[asyncio.Task[None]] = set()
        self.backoff = DRIVER_BACKOFF
        self.schedules = ScheduleCache()  # planning is costly; history moves slowly
        self.record_ttl = RESULT_TTL
        self.submit_grace = SUBMIT_GRACE
        self._recovery = Recovery(self)
        self._lifecycle = Lifecycle(
            self, self._recovery, plan=self._schedule_for, ttl=lambda: self.record_ttl
        )
        # The retry of uploads that failed, started by resume() (tests wait on it).
        self._retrying: concurrent.futures.Future[list[Path]] | None = None
        # Teammates' jobs a view or a waiter follows here, by their rows (never polled).
        self.watch = StoreWatch(self.runtime)

    @property
    def settings(self) -> Settings:
        return self._fixed_settings or get_settings()

    @property
    def store(self) -> Store:
        path = self.settings.store_path
        if self._store is None or self._store.location != path:
            self._store = Store(path)
        return self._store

    def client(self) -> Client:
        # Called only on the runtime loop: httpx clients belong to one loop.
        settings = self.settings
        if self._client is None or not same_service(self._client_settings, settings):
            if self._client is not None:
                # Keep the task referenced until it ends: asyncio holds tasks weakly.
                closing = asyncio.get_running_loop().create_task(self._client.aclose())
                self._closing.add(closing)
                closing.add_done_callback(self._closing.discard)
            self._client = Client(settings)
            self._client_settings = settings
        return self._client

    def credits(self) -> dict[str, float | None]:
        """The account's credits, as the service reports them."""

        async def read() -> dict[str, float | None]:
            reply = await self.client().credits()
            return {"credits": reply.credits, "free_credits": reply.free_credits}

        return self.runtime.call(read())

    # -- submitting ---------------------------------------------------------
    def submit(self, params: Params, *, tag: str | None = None, sweep_id: str | None = None) -> Job:
        """Send *params* and return the Job once the service has accepted it."""
        return self.runtime.call(self.submit_async(params, tag=tag, sweep_id=sweep_id))

    async def submit_async(
        self, params: Params, *, tag: str | None = None, sweep_id: str | None = None,
        on_429: RateLimitHook | None = None,
        admit: Callable[[sa.Connection], None] | None = None,
    ) -> Job:  # fmt: skip
        """Coroutine form of :meth:`submit`, on the runtime loop; *on_429* goes to the client.

        *admit* is checked with the budget in the transaction that writes the row (a
        sweep's account-wide pace); what it raises leaves with nothing written or sent.
        """
        store = self.store
        settings = self.settings

        def create() -> JobRecord:
            # Priced from past charges, and refused here if it would pass the budget.
            made = record_within_budget(
                store, settings, params, tag=tag, sweep_id=sweep_id, admit=admit
            )
            with _SUBMITTING_LOCK:  # at once, in this thread: resume() must not settle it
                _SUBMITTING.add((store.path, made.id))
            return made

        record = await asyncio.to_thread(create)
        mine = (store.path, record.id)
        try:
            try:
                client = self.client()
                image_url = await client.image_url(params)
                if image_url:  # the row holds the body as sent: the history matches by it
                    record = await self._write(record.id, store, payload=params.payload(image_url))
                submission = await client.submit(params, image_url=image_url, on_429=on_429)
            except SubmitUnknown as exc:
                if exc.request_id:
                    # The answer named the job: follow it by that id, as any other job.
                    record = await self._write_answer(
                        record.id,
                        store,
                        request_id=exc.request_id,
                        status=JobStatus.QUEUED,
                        error=f"submit unclear: {exc}; following request {exc.request_id} "
                        "in case it exists",
                    )
                    return self._follow(record, store)
                # Searched for in the request history: followed if found, else raised.
                return await self._recovery.after_unknown(record, store, exc)
            except NothingSent:
                # Interrupted while waiting to retry a refused submit: nothing exists.
                await asyncio.to_thread(store.delete, record.id)
                raise
            except LtxError:
                # Refused outright: the service created nothing and billed nothing.
                await asyncio.to_thread(store.delete, record.id)
                raise
            except BaseException:
                # Interrupted mid-flight: the submit may have reached the service. Written
                # on the loop on purpose: the interruption may be the runtime shutting
                # down, when no worker thread can start, and this row must not be lost.
                store.update(
                    record.id,
                    status=JobStatus.UNKNOWN,
                    error="interrupted while submitting: the job may exist and may be billed",
                )
                raise
            record = await self._write_answer(
                record.id,
                store,
                request_id=submission.request_id,
                status=JobStatus.QUEUED,
                status_url=submission.status_url,
                response_url=submission.response_url,
                # Stamped again once accepted: the service counted it by then, and the
                # account's pace dates its submits by this (never earlier than the service).
                submitted_at=datetime.now(UTC),
            )
        finally:
            with _SUBMITTING_LOCK:
                _SUBMITTING.discard(mine)
        return self._follow(record, store)

    async def _write_answer(self, job_id: int, store: Store, /, **fields: Any) -> JobRecord:
        """Write a submit's answer; one the store cannot take is owed (see _write_owed)."""
        try:
            return await self._write(job_id, store, **fields)
        except BaseException:
            with _SUBMITTING_LOCK:
                _OWED[(store.path, job_id)] = fields
            raise

    def _write_owed(self, store: Store, *, must: int | str | None = None) -> list[JobRecord]:
        """Write the answers *store* could not take when they came, if it can now.

        Returns the rows written. A write that still fails is raised only for the
        job *must* names (its row id or request id): its StoreError says the
        request id again; for any other lookup it waits for the next one.
        """
        with _SUBMITTING_LOCK:
            owed = [(row, dict(f)) for (path, row), f in _OWED.items() if path == store.path]
        written = []
        for row, fields in owed:
            try:
                now = store.get(row)
                # Only a row still waiting for it: adopted or settled meanwhile, it is not.
                if now is not None and now.request_id is None and now.status in _UNANSWERED:
                    written.append(store.update(row, **fields))
            except StoreError:
                if must is not None and must in (row, fields.get("request_id")):
                    raise
                continue
            with _SUBMITTING_LOCK:
                _OWED.pop((store.path, row), None)
        return written

    def _follow(self, record: JobRecord, store: Store) -> Job:
        job = self.track(record, store)
        loop = asyncio.get_running_loop()
        job.attach_driver(lambda: loop.create_task(self.drive(job)))
        return job

    def track(self, record: JobRecord, store: Store) -> Job:
        # Resolved: a relative store path names another file after a %cd.
        key = (store.identity, record.id)
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                job = self._jobs[key] = Job(self, record)
                self._homes[job] = store
            return job

    def _refresh(self, record: JobRecord, store: Store) -> Job:
        # The Job of a row just written behind its back (a Job may already hold an older copy).
        job = self.track(record, store)
        job.set_record(record)
        return job

    def store_of(self, job: Job) -> Store:
        # A job is written where its row is, whatever store the settings name now.
        with self._lock:
            return self._homes.get(job) or self.store

    # -- finding and re-attaching --------------------------------------------
    def get(self, key: int | str) -> Job:
        """The Job with local id or request id *key*, rebuilt from the store if need be."""
        store = self.store
        self._write_owed(store, must=key)
        record = store.get(key) if isinstance(key, int) else store.get_by_request_id(key)
        if record is None:
            raise NotFound(
                f"no job {key!r} in the store at {self.settings.store_path}",
                status_code=404,
                request_id=key if isinstance(key, str) else None,
            )
        return self.track(record, store)

    def resume(self) -> list[Job]:
        """Re-attach to every job left unfinished (e.g. by a kernel restart).

        That is every job still queued or processing on this service, every
        one marked LOST by an older version while its record may still exist,
        and every completed one whose video never reached the disk. Rows a
        crash left SUBMITTING are settled first: they become UNKNOWN and are
        looked for in the request history; one found is followed like the
        rest, the others are returned first (UNKNOWN, or FAILED if the service
        has no such request). Part files of killed downloads are removed.

        A job whose lease another live kernel holds is left to it (a warning
        names the kernel and how many; :meth:`driven_elsewhere` counts them);
        one whose lease lapsed, or whose kernel ran on this machine and has
        ended, is taken over.
        """
        store = self.store
        self._write_owed(store)  # then followed below, with the other unfinished jobs
        found = self.runtime.call(
            self._recovery.match_all(self._settle_interrupted_submits(store), store)
        )
        settled = [self.track(r, store) for r in found if r.request_id is None]
        self._revive_lost(store)
        records = self._left_unfinished(store)
        elsewhere = driven_elsewhere(store, records, self.kernel)
        for kernel, count in _by_kernel(elsewhere).items():
            log.warning(
                "%d job%s driven by kernel %s; %s taken over if it stops renewing %s lease",
                count,
                "s are" if count > 1 else " is",
                kernel,
                "they will be" if count > 1 else "it will be",
                "their" if count > 1 else "its",
            )
        taken = {r.id for r in elsewhere}
        parts.remove_orphan_parts(self.settings.local_media)
        if media_cache(self.settings) is not None:
            # In the background: a bucket out of reach must not hold up the resume.
            self._retrying = self.runtime.submit(self._upload_pending_quietly())
        return settled + [
            self.start(self.track(record, store)) for record in records if record.id not in taken
        ]

    def _left_unfinished(self, store: Store) -> list[JobRecord]:
        # Still running at the service, or completed with the video not yet on disk.
        base_url = self.settings.base_url
        return store.unfinished(base_url=base_url) + [
            r
            for r in store.find(status=JobStatus.COMPLETED, video_path=None)
            if r.output_url and r.base_url == clean_base_url(base_url)
        ]

    def driven_elsewhere(self) -> dict[str, int]:
        """How many of the jobs :meth:`resume` would follow another kernel drives now, by kernel.

        Their leases are live: :meth:`resume` leaves them to that kernel, and
        takes them over once a lease lapses (the kernel stopped renewing it).
        """
        store = self.store
        return _by_kernel(driven_elsewhere(store, self._left_unfinished(store), self.kernel))

    def _settle_interrupted_submits(self, store: Store, *, grace: bool = True) -> list[JobRecord]:
        """SUBMITTING rows no submit will ever finish: UNKNOWN, with how to check.

        Done here rather than when the store is opened: any process opens the
        store (another kernel mid-submit, a script reading history), while
        resuming is this session asking what was left unfinished, and only the
        session knows which submits this process is still sending. Without
        *grace* (an explicit reconcile) every row not being sent here is settled
        at once: a kernel killed mid-submit is not waited out; a submit another
        kernel is still sending shows UNKNOWN until its answer overwrites it.
        """
        with _SUBMITTING_LOCK:
            ours = {row for path, row in _SUBMITTING if path == store.path}
        before = datetime.now(UTC) - (self.submit_grace if grace else timedelta(0))
        return store.settle_submits(before=before, keep=ours, error=INTERRUPTED_SUBMIT)

    def _revive_lost(self, store: Store) -> None:
        # Older versions marked a job LOST after one 404; until its record expires it may
        # well be running, so it goes back to being polled.
        base_url = clean_base_url(self.settings.base_url)
        for record in store.find(status=JobStatus.LOST, base_url=base_url):
            if record.request_id and not not_found_is_final(record, ttl=self.record_ttl):
                store.reopen(
                    record.id,
                    status=JobStatus.PROCESSING if record.started_at else JobStatus.QUEUED,
                    error="polling: marked LOST after one 404 while its record may still "
                    "exist; polling it again",
                )

    def adopt(self, job_id: int, request_id: str) -> Job:
        """Give UNKNOWN job *job_id* the request *request_id* of the history; follow it.

        For a lost submit that several requests matched: the request must have
        been sent with the job's model and inputs. See docs/recovery.md.
        """
        # Checked here, not at each way in: ltx.adopt() and %ltx adopt both end here.
        if isinstance(job_id, bool) or not isinstance(job_id, int):
            raise InvalidParams(f"job_id must be a job's local id (a whole number), not {job_id!r}")
        if not isinstance(request_id, str) or not request_id.strip():
            raise InvalidParams(f"request_id must be a request id, not {request_id!r}")
        store = self.store
        self._write_owed(store, must=job_id)
        record = store.get(job_id)
        if record is not None and record.request_id == request_id.strip():
            # Its own answer, which a full disk kept from the row: nothing to check.
            return self.start(self._refresh(record, store))
        with _SUBMITTING_LOCK:
            sending = (store.path, job_id) in _SUBMITTING
        if sending:
            raise InvalidParams(
                f"job {job_id} is still being submitted; adopt a request once it is UNKNOWN",
                param="row",
            )
        return self.runtime.call(self._recovery.adopt(job_id, request_id, store))

    def reconcile(self) -> Reconciliation:
        """Look up every UNKNOWN, EXPIRED and LOST job again, fill every real charge.

        Rows left SUBMITTING that this process is not sending are settled UNKNOWN
        first, without waiting out ``submit_grace``: the user asked.
        """
        store = self.store
        for record in self._write_owed(store):  # answers a full disk kept: followed now
            self.start(self._refresh(record, store))

        async def run() -> Reconciliation:
            client = self.client()
            # A submit a killed kernel cut short is looked for now, as a lost answer is.
            await asyncio.to_thread(self._settle_interrupted_submits, store, grace=False)
            return await reconcile(self._recovery, client, store, self.settings.base_url)

        return self.runtime.call(run())

    def local_video(self, job: Job) -> Path | None:
        """A local file that plays *job*'s video; None if there is none to be had now.

        With ``media_dir`` a bucket, a teammate's clip is fetched into the cache.
        """
        return playable(self.settings, job.video_path)

    def upload_pending(self) -> list[Path]:
        """Upload the videos whose upload to the bucket failed earlier; the files uploaded."""
        if media_cache(self.settings) is None:
            return []
        return upload_pending(self, self.store)

    async def _upload_pending_quietly(self) -> list[Path]:
        try:
            return await asyncio.to_thread(self.upload_pending)
        except Exception as exc:  # the store, say: tried again at the next resume
            log.warning("uploads waiting for the bucket not tried: %s", exc)
            return []

    def refetch(self, job: Job) -> Job:
        """Download a completed job's video again (the local copy was deleted)."""
        if job.status is not JobStatus.COMPLETED or not job.output_url:
            raise NotFound(
                f"job {job.request_id or job.id} has no video to fetch ({job.status.value})",
                status_code=404,
                request_id=job.request_id,
            )
        if job.video_path and self.local_video(job) is not None:
            return job  # in the team's bucket: now in the cache again, nothing to download
        if job.video_path and not job.video_path.is_file():
            job.set_record(self.store_of(job).update(job.id, video_path=None, poster_path=None))
        return self.start(job)

    def start(self, job: Job) -> Job:
        job.attach_driver(lambda: self.runtime.submit(self.drive(job)))
        return job

    def teammates(self, record: JobRecord) -> bool:
        """The row is another user's (a row from before owners counts as this user's)."""
        return record.owner not in owned_by(self.settings.user)

    def follow(self, job: Job) -> Job:
        """Follow *job* to its end: drive it if it is ours, else watch its row (no polls).

        A teammate's job is their kernel's to drive; polling it here too would be a
        second driver on one job, so its row is re-read from the store instead, and
        the job is driven here only if their kernel stops renewing its lease (it
        died): a job someone waits on is never left behind.
        """
        if job.done:
            return job
        if self.teammates(job.record):
            self.watch_driven_elsewhere(job)
            return job
        return self.start(job)  # ours: driven here (a view's watch of it then stops)

    def watch_driven_elsewhere(self, job: Job) -> None:
        self.watch.add([job], self.store_of(job), take_over=self.start)

    # -- driving --------------------------------------------------------------
    async def _write(
        self, job_id: int, store: Store, /, holder: str | None = None, **fields: Any
    ) -> JobRecord:
        # SQLite may wait on another kernel's write: never block the runtime's loop on it.
        return await asyncio.to_thread(store.update, job_id, holder=holder, **fields)

    async def update(self, job: Job, **fields: Any) -> None:
        store = self.store_of(job)
        # A driver's write goes only while this kernel holds the lease, checked in the write.
        holder = self.kernel if job.driven else None
        try:
            record = await self._write(job.id, store, holder=holder, **fields)
        except LeaseLost:
            self._leases.drop(store, job.id)
            raise
        job.set_record(record)

    async def claim(self, job: Job) -> bool:
        return await self._leases.claim(self.store_of(job), job.id, holder=job.record.kernel)

    def holds(self, job: Job) -> bool:
        return self._leases.holds(self.store_of(job), job.id)

    async def release(self, job: Job) -> None:
        await self._leases.release(self.store_of(job), job.id)

    def _schedule_for(self, params: Params) -> PollSchedule:
        spec = MODELS.get(params.model)
        prior = spec.typical_for(params.values) if spec is not None else 70.0
        kind = (params.model, params.duration, params.resolution, self.settings.base_url, prior)
        history = self.store.durations(*kind[:3], base_url=self.settings.base_url)
        return self.schedules.get(kind, history, prior=prior)

    async def note(self, job: Job, note: str) -> None:
        """Record what the driver is working around (once: the same note is not rewritten)."""
        if job.record.error != note:
            await self.update(job, error=note)

    async def rest(self, job: Job, seconds: float) -> None:
        """Wait *seconds* before trying again; pause meanwhile if nobody follows the job."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (left := deadline - loop.time()) > 0:
            if job.stop_requested:
                await paused(job)
                return
            await asyncio.sleep(min(left, 0.5))

    async def drive(self, job: Job) -> None:
        """Follow *job* until its row is terminal and its video on disk (:mod:`.lifecycle`)."""
        await self._lifecycle.drive(job)

    def wait_all(self, jobs: Iterable[Job], timeout: float | None = None) -> None:
        timeout = check_timeout(timeout, zero=True)
        deadline = None if timeout is None else time.monotonic() + timeout
        for job in jobs:
            job.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))


def _by_kernel(records: Iterable[JobRecord]) -> dict[str, int]:
    return dict(Counter(record.kernel or "" for record in records))

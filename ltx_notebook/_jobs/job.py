"""A handle on one generation job: data from the store, plus the session that drives it.

Like replicate's ``Prediction`` and fal's ``RequestHandle``: ``request_id`` is
known at once and is all it takes to find a paid result again; ``wait()`` and
``await job`` block until the video is on disk. The handle only reads and
waits; driving happens in :meth:`Session.drive <.session.Session.drive>`.

:class:`Driver` is the other side: what the handle, a download and the recovery
ask of whatever drives jobs (the session). It lives here, beside the handle it
speaks of, so each collaborator is written against one public contract rather
than the session's internals, and the recovery (which the session uses) never
has to import the session back.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Generator, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .._core.backoff import Backoff
from .._core.errors import JobFailed, WaitTimeout
from .._core.params import Params, check_timeout
from .._core.status import JobStatus
from .._storage.records import JobRecord
from .._storage.store import Store
from .observe import Completion, Listeners
from .poll.schedule import PollSchedule
from .presenters import PRESENTERS

if TYPE_CHECKING:
    from .._core.config import Settings
    from .._service.client import Client
    from .poll.runtime import Runtime

__all__ = ["Driver", "Job"]

Listener = Callable[["Job"], None]
# A running driver coroutine: a Task on the runtime loop, or a thread-safe Future of one.
Driving = asyncio.Task[None] | concurrent.futures.Future[None]


class Driver(Protocol):
    """What jobs are driven by: the contract between the session and its collaborators.

    The job handle, a job's download, the recovery and the importer use only
    this. Every write of a job's row goes through :meth:`update`, so the handle
    and its listeners always see what the store holds.
    """

    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> Store: ...

    @property
    def backoff(self) -> Backoff: ...

    @property
    def runtime(self) -> Runtime: ...

    def client(self) -> Client:
        """The HTTP client for the current settings; only on the runtime loop."""
        ...

    def store_of(self, job: Job) -> Store:
        """The store *job*'s row lives in (whatever store the settings name now)."""
        ...

    async def update(self, job: Job, **fields: Any) -> None:
        """Write *fields* to *job*'s row and hand the handle the row as written.

        While a driver follows *job* here, only if this kernel still holds its
        lease: else :class:`~.._storage.store.LeaseLost`, and nothing written.
        """
        ...

    async def note(self, job: Job, note: str) -> None:
        """Record what the driver is working around (the same note is not rewritten)."""
        ...

    async def rest(self, job: Job, seconds: float) -> None:
        """Wait *seconds* before trying again; pause meanwhile if nobody follows the job."""
        ...

    async def claim(self, job: Job) -> bool:
        """Take (or renew) *job*'s lease for this kernel; False while another kernel holds it."""
        ...

    def holds(self, job: Job) -> bool:
        """This kernel still drives *job* (no heartbeat has found its lease taken over)."""
        ...

    async def release(self, job: Job) -> None:
        """This kernel is done driving *job*: its lease ends now."""
        ...

    def track(self, record: JobRecord, store: Store) -> Job:
        """The one handle of *record*'s job in this process, made on first sight."""
        ...

    def start(self, job: Job) -> Job:
        """Follow *job* again unless a driver already does (one per job)."""
        ...

    def follow(self, job: Job) -> Job:
        """Follow *job* to its end: drive it, or watch the row of a job another kernel drives."""
        ...

    def watch_driven_elsewhere(self, job: Job) -> None:
        """Follow *job*'s row while another kernel drives it; drive it once that lease lapses."""
        ...

    def get(self, key: int | str) -> Job: ...

    def refetch(self, job: Job) -> Job: ...

    def local_video(self, job: Job) -> Path | None:
        """A local file that plays *job*'s video (with the media in a bucket, from the cache)."""
        ...

    def wait_all(self, jobs: Iterable[Job], timeout: float | None = None) -> None: ...


class Job:
    """A handle on one generation job.

    Everything it reports comes from its store row, so a Job rebuilt after a
    kernel restart knows as much as the one that submitted. ``request_id`` is
    set as soon as :func:`generate` returns: keep it, it is how a paid result
    is found again.
    """

    def __init__(self, session: Driver, record: JobRecord) -> None:
        self._session = session
        self._record = record
        self._done = Completion()
        self._listeners: Listeners[Job] = Listeners()
        self._stop = threading.Event()
        self._task: Driving | None = None
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
        """The job's store row as last read: every parameter, id, time and cost."""
        return self._record

    @property
    def session(self) -> Driver:
        """The session that follows this job (its store is where the job is recorded)."""
        return self._session

    @property
    def request_id(self) -> str | None:
        """The service's id, known once the submit is answered: it finds a paid result again."""
        return self._record.request_id

    @property
    def status(self) -> JobStatus:
        """Where the job is: QUEUED, PROCESSING, COMPLETED, FAILED, and the client's own states."""
        return self._record.status

    @property
    def error(self) -> str | None:
        """The service's reason when the job FAILED (or why it was given up), else None."""
        return self._record.error

    @property
    def params(self) -> Params:
        """The validated parameters the job was sent with."""
        return self._record.params

    @property
    def metrics(self) -> dict[str, Any]:
        """The service's last metrics: queue and inference seconds, cost, remaining credits."""
        return dict(self._record.metrics or {})

    @property
    def output_url(self) -> str | None:
        """The service's URL of the video; it expires (the local copy does not)."""
        return self._record.output_url

    @property
    def video_path(self) -> Path | None:
        """The local copy of the video (it outlives the service's URL); None until on disk."""
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

    def _repr_html_(self) -> str | None:
        draw = PRESENTERS.job_html
        return draw(self._record) if draw is not None else None

    # -- waiting ----------------------------------------------------------
    def wait(self, timeout: float | None = None) -> Job:
        """Block until the job is terminal (and its video downloaded); return the job.

        A FAILED job does not raise here: check ``status`` and ``error``. If
        *timeout* runs out, :class:`WaitTimeout` (a ``TimeoutError``) is raised
        and the job keeps going in the background; a *timeout* that is not a
        number of seconds from 0 up to a week (``inf``, ``nan``) is
        :class:`InvalidParams`.
        """
        timeout = check_timeout(timeout, zero=True)
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
        # That covers a paused driver, and one that is gone (its runtime stopped) or was
        # never started (a Job rebuilt from the store); a teammate's job is watched instead.
        if self._done.is_set():
            return
        if self.stopped or self._task is None or self._task.done():
            self._session.follow(self)

    def result(self) -> Path:
        """The local video file; waits for it. Raises :class:`JobFailed` if there is none.

        With the videos in a bucket, the copy in this kernel's cache (fetched if need be).
        """
        self.wait()
        if self.status is JobStatus.COMPLETED and self.video_path:
            return self._session.local_video(self) or self.video_path
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

    # -- the driver's side (see Driver) ------------------------------------
    @property
    def driven(self) -> bool:
        """A driver coroutine is following the job in this process right now."""
        return self._task is not None and not self._task.done()

    @property
    def stop_requested(self) -> bool:
        """:meth:`stop_waiting` was called: the driver pauses at its next step."""
        return self._stop.is_set()

    def attach_driver(self, start: Callable[[], Driving]) -> None:
        """Clear a stop, and call *start* for a new driver unless one is running.

        One driver per job in this process: a second would race on the same
        row and file. A paused driver picks up again on its own once the stop
        is cleared.
        """
        self._stop.clear()
        if not self.driven:
            self._done.clear()
            self._task = start()

    def set_record(self, record: JobRecord) -> None:
        """Take *record* as the job's row (as just written) and tell the listeners."""
        self._record = record
        self.notify()

    def finish(self) -> None:
        """The driver is done with the job: wake every waiter and listener."""
        self._done.set()
        self.notify()

    def notify(self) -> None:
        """Tell the listeners the job changed (its row, its schedule, a pause)."""
        self._listeners.notify(self)

    def expected_seconds(self) -> float | None:
        return self.schedule.expected if self.schedule else None

    def progress(self) -> float | None:
        if self.status is JobStatus.COMPLETED:
            return 1.0
        return self.schedule.progress(self.elapsed) if self.schedule else None

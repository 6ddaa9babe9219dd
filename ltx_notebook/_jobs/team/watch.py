"""Jobs another kernel drives, followed here by re-reading their rows: a teammate's, live.

On a team store a view shows jobs this process does not drive (a teammate's
sweep, a job reused from them). Polling the service for them too would be a
second driver on one job; instead their rows are re-read from the store, one
query for all of them every :attr:`StoreWatch.every` seconds, and each change
handed to the job's handle (``Job.set_record``), so every view that listens to
the job (the gallery, a sweep's panel and grid) redraws as for a job of ours. A
job leaves the watch when its row is finished (its waiters are woken), when a
driver of this process takes it, or when no view wants it any more; the watch
ends when nothing is left to watch.

A job of ours that another kernel drives (its lease, :mod:`.lease`) is watched
the same way, with a *take_over*: once that kernel's lease lapses (it stopped
renewing: killed, frozen, its machine gone) or its process is seen to have
ended on this machine, the job is handed back to be driven here.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Final

from ..._core.status import JobStatus
from ..._storage.records import JobRecord
from ..._storage.store import Store
from ..job import Job
from ..poll.runtime import Runtime
from .lease import driven_elsewhere

__all__ = ["WATCH_EVERY", "StoreWatch", "finished"]

log = logging.getLogger("ltx_notebook")
# Seconds between two reads of the watched rows: a teammate's job moves in tens of seconds.
WATCH_EVERY: Final = 2.0


def finished(record: JobRecord) -> bool:
    """The row says the job is over here too: terminal, and COMPLETED with its video."""
    return record.status.is_terminal and (
        record.status is not JobStatus.COMPLETED or record.video_path is not None
    )


def _left(record: JobRecord, store: Store) -> bool:
    """Nobody drives the job any more: sent (its submit is over), and no live lease on it.

    A row still SUBMITTING is its sending kernel's, which claims it once answered.
    """
    if record.request_id is None or record.status is JobStatus.SUBMITTING:
        return False
    return not driven_elsewhere(store, [record], "")


class StoreWatch:
    """The jobs this process follows from the store only, and the one task re-reading them."""

    def __init__(self, runtime: Runtime, *, every: float = WATCH_EVERY) -> None:
        self.runtime = runtime
        self.every = every
        self._lock = threading.Lock()
        # Each watched job, the store its row lives in, and how many views (or waiters) want it.
        self._jobs: dict[Job, tuple[Store, int]] = {}
        # Jobs of ours another kernel drives: how each is driven here once that lease lapses.
        self._take_over: dict[Job, Callable[[Job], object]] = {}
        self._running = False

    def watching(self, job: Job) -> bool:
        with self._lock:
            return job in self._jobs

    def add(
        self,
        jobs: Iterable[Job],
        store: Store,
        *,
        take_over: Callable[[Job], object] | None = None,
    ) -> None:
        """Follow *jobs* from *store* (each once more wanted); the finished are left alone.

        *take_over*: called with a job once the kernel driving it no longer holds its
        lease (the job then leaves the watch, to be driven here).
        """
        start = False
        with self._lock:
            for job in jobs:
                if job.done or finished(job.record):
                    continue
                held = self._jobs.get(job)
                self._jobs[job] = (store, (held[1] if held else 0) + 1)
                if take_over is not None:
                    self._take_over[job] = take_over
            if self._jobs and not self._running:
                self._running = start = True
        if start:
            self.runtime.submit(self._run())

    def drop(self, jobs: Iterable[Job]) -> None:
        """*jobs* are wanted once less (a view closed): unwatched when nobody wants them."""
        with self._lock:
            for job in jobs:
                held = self._jobs.get(job)
                if held is None:
                    continue
                if held[1] <= 1:
                    del self._jobs[job]
                else:
                    self._jobs[job] = (held[0], held[1] - 1)

    async def _run(self) -> None:
        try:
            while True:
                with self._lock:
                    if not self._jobs:
                        return
                    by_store: dict[Store, list[Job]] = {}
                    for job, (store, _) in self._jobs.items():
                        by_store.setdefault(store, []).append(job)
                for store, jobs in by_store.items():
                    try:
                        await self._read(store, jobs)
                    except Exception as exc:  # the store out of reach: read again next time
                        log.warning("could not re-read %d watched jobs: %s", len(jobs), exc)
                await asyncio.sleep(self.every)
        finally:
            # Ended (nothing left, or the runtime stopping): the next add starts it again.
            with self._lock:
                self._running = False

    async def _read(self, store: Store, jobs: list[Job]) -> None:
        # One query for every watched row of this store, in a worker: it may wait on a lock.
        rows = await asyncio.to_thread(store.get_many, [job.id for job in jobs])
        for job in jobs:
            record = rows.get(job.id)
            if job.driven or record is None:
                # Driven here now (taken over), or the row is gone: not ours to watch.
                self._forget(job)
                continue
            if record != job.record:
                job.set_record(record)
            if finished(record):
                self._forget(job)
                job.finish()
            elif (take_over := self._take_over.get(job)) is not None and _left(record, store):
                self._forget(job)
                take_over(job)  # its kernel stopped renewing the lease: driven here now

    def _forget(self, job: Job) -> None:
        with self._lock:
            self._jobs.pop(job, None)
            self._take_over.pop(job, None)

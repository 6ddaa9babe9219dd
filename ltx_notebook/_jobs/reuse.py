"""The re-run guard: a request already in the store is shown again, not sent again.

Running the same cell twice (Run All, a kernel restart, a sweep re-run after a
crash) would bill the same video twice. Here a request is looked up by its key
(:func:`~.._core.request_key.request_key`: model + exact body, a local image by
its content) among this service's jobs that are in flight or COMPLETED, in one
indexed query, and the job found is handed back instead of a new submit.

Opt-in for Python (``reuse=True``): ``generate()`` stays an explicit submit. The
magic turns it on by default (``LtxMagics.reuse``), and ``--again`` sends anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from .._core.params import Params
from .._core.request_key import request_key
from .._core.status import JobStatus
from .._storage.records import JobRecord, clean_base_url
from .._storage.store import Store
from .job import Job
from .session import Session

__all__ = ["REUSABLE", "find_same", "reuse_line", "same_job", "same_jobs"]

# What a re-run may show instead of sending: a job that exists and is running, or is done
# with its video. FAILED, EXPIRED, UNKNOWN and LOST are no result to reuse (an UNKNOWN
# submit is recovery's business), and SUBMITTING has no request id to follow yet.
REUSABLE: Final = (JobStatus.QUEUED, JobStatus.PROCESSING, JobStatus.COMPLETED)
# Under SQLite's oldest limit of 999 bound values, with room for the other filters.
_CHUNK: Final = 500


def find_same(
    store: Store, keys: Iterable[str | None], *, base_url: str | None
) -> dict[str, JobRecord]:
    """The newest reusable job of *base_url*'s service for each of *keys* that has one.

    One indexed query (``jobs_request_key``) per 500 keys. Another service's jobs never
    match: an emulator's video is not the real service's.
    """
    wanted = sorted({key for key in keys if key})
    found: dict[str, JobRecord] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        # Newest first, so the first row seen for a key is the one kept.
        for record in store.find(request_key=chunk, base_url=base_url, status=list(REUSABLE)):
            if record.request_key and record.request_id:
                found.setdefault(record.request_key, record)
    return found


def same_jobs(session: Session, plan: Sequence[Params]) -> list[Job | None]:
    """For each of *plan*'s requests, the job already made for it in the store, or None.

    A job found in flight is followed again (polled and downloaded) if no one follows it
    in this process: a job left by an earlier kernel must not sit in a panel forever.
    """
    keys = [request_key(params.model, params.payload()) for params in plan]
    found = find_same(session.store, keys, base_url=clean_base_url(session.settings.base_url))
    jobs: list[Job | None] = []
    for key in keys:
        record = found.get(key) if key else None
        if record is None:
            jobs.append(None)
            continue
        job = session.get(record.id)
        if not job.done:
            session.start(job)  # the Driver hook Job uses itself; a no-op if it is followed
        jobs.append(job)
    return jobs


def same_job(session: Session, params: Params) -> Job | None:
    """The job already made for *params* in the store (in flight or COMPLETED), or None."""
    return same_jobs(session, [params])[0]


def reuse_line(job: Job, *, again: str = "--again") -> str:
    """The one line that says a request was not sent, and how to send it anyway."""
    doing = "shown again" if job.status.is_terminal else "followed again"
    return (
        f"same request as job {job.id} ({job.status.value}): {doing}, nothing sent; "
        f"{again} sends a new one"
    )

"""The re-run guard: a request already in the store is shown again, not sent again.

Running the same cell twice (Run All, a kernel restart, a sweep re-run after a
crash) would bill the same video twice. Here a request is looked up by its key
(:func:`~.._core.request_key.request_key`: model + exact body, a local image by
its content) among this service's jobs that are in flight or COMPLETED, in one
indexed query, and the job found is handed back instead of a new submit.

Opt-in for Python (``reuse=True``): ``generate()`` stays an explicit submit. The
magic turns it on by default (``LtxMagics.reuse``), and ``--again`` sends anyway.

Whose jobs count (:func:`reuse_scope`): ``"mine"`` (``True``) looks at the rows this
user made (and rows from before owners were recorded); ``"team"`` at every owner's.
A teammate's job found is watched from the store, never driven here: their kernel
polls it, and a second driver would poll and download it twice.

A request whose earlier submit is *unclear* (an UNKNOWN row: its answer was lost;
a SUBMITTING row: still being sent, or its kernel killed mid-submit) may already
be a billed job nobody can follow yet: a re-run of it is stopped, with one line
saying to reconcile first (:func:`refuse_unclear`), unless a reusable job of it
is there to show instead. ``generate()`` is stopped too unless ``again=True``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final, Literal

from .._core.errors import InvalidParams, SubmitUnknown
from .._core.params import Params
from .._core.request_key import request_key
from .._core.status import JobStatus
from .._storage.records import JobRecord, clean_base_url, owned_by
from .._storage.store import Store
from .job import Job
from .session import Session

__all__ = [
    "REUSABLE",
    "UNCLEAR",
    "Reuse",
    "Scope",
    "find_same",
    "refuse_unclear",
    "reuse_line",
    "reuse_scope",
    "same_job",
    "same_jobs",
]

# What a re-run may show instead of sending: a job that exists and is running, or is done
# with its video. FAILED, EXPIRED, UNKNOWN and LOST are no result to reuse (an UNKNOWN
# submit is recovery's business), and SUBMITTING has no request id to follow yet.
REUSABLE: Final = (JobStatus.QUEUED, JobStatus.PROCESSING, JobStatus.COMPLETED)
# What stops a re-run instead: a submit of the same request that may have made a job.
UNCLEAR: Final = (JobStatus.UNKNOWN, JobStatus.SUBMITTING)
# Under SQLite's oldest limit of 999 bound values, with room for the other filters.
_CHUNK: Final = 500

Scope = Literal["mine", "team"]
# What reuse= and LtxMagics.reuse take: False (every run sends), True (== "mine"), a scope.
Reuse = bool | Scope
SCOPES: Final = ("mine", "team")


def reuse_scope(reuse: object, *, name: str = "reuse") -> Scope | None:
    """Whose jobs a re-run may show for *reuse*: None (send), ``"mine"`` or ``"team"``.

    InvalidParams, before anything is sent, for any other value.
    """
    if reuse is True:
        return "mine"
    if reuse is False or reuse is None:
        return None
    if isinstance(reuse, str) and reuse.strip().lower() in SCOPES:
        scope: Scope = "team" if reuse.strip().lower() == "team" else "mine"
        return scope
    raise InvalidParams(f"{name} must be True, False, 'mine' or 'team', not {reuse!r}", param=name)


def _owners(session: Session, scope: Scope) -> list[str | None] | None:
    # "mine": this user's rows (see owned_by); "team": no filter.
    return owned_by(session.settings.user) if scope == "mine" else None


def find_same(
    store: Store,
    keys: Iterable[str | None],
    *,
    base_url: str | None,
    statuses: Sequence[JobStatus] = REUSABLE,
    owners: list[str | None] | None = None,
) -> dict[str, JobRecord]:
    """The newest reusable job of *base_url*'s service for each of *keys* that has one.

    One indexed query (``jobs_request_key``) per 500 keys. Another service's jobs never
    match: an emulator's video is not the real service's. With ``statuses=UNCLEAR``,
    the newest unclear submit of each key instead (it has no request id, or one that
    is no use yet). *owners*: only the rows of these owners (``None`` in it: rows with
    no owner); left out, every owner's.
    """
    wanted = sorted({key for key in keys if key})
    found: dict[str, JobRecord] = {}
    whose: dict[str, Any] = {} if owners is None else {"owner": owners}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        # Newest first, so the first row seen for a key is the one kept.
        rows = store.find(request_key=chunk, base_url=base_url, status=list(statuses), **whose)
        for record in rows:
            if record.request_key and (record.request_id or statuses is UNCLEAR):
                found.setdefault(record.request_key, record)
    return found


def refuse_unclear(
    session: Session,
    plan: Sequence[Params],
    *,
    again: str,
    shown: Iterable[str | None] = (),
    scope: Scope = "mine",
) -> None:
    """Raise SubmitUnknown, before anything is sent, if a request of *plan* has an unclear submit.

    *shown* are the keys a reusable job stands for: a re-run shows that one and sends
    nothing, so an unclear submit beside it bills nothing more. *again* says how to
    send anyway. *scope*: whose unclear submits count (a teammate's is theirs to
    reconcile, unless the team's jobs are reused).
    """
    keys = {request_key(params.model, params.payload()) for params in plan} - set(shown)
    found = find_same(
        session.store,
        keys,
        base_url=clean_base_url(session.settings.base_url),
        statuses=UNCLEAR,
        owners=_owners(session, scope),
    )
    if found:
        raise SubmitUnknown(
            unclear_line(sorted(found.values(), key=lambda r: r.id), again=again),
            job_id=min(r.id for r in found.values()),
        )


def unclear_line(records: Sequence[JobRecord], *, again: str) -> str:
    """The one line that stops a re-run of unclear submits: why, and what to do."""
    what = (
        "UNKNOWN: its answer was lost"
        if records[0].status is JobStatus.UNKNOWN
        else ("SUBMITTING: still being sent, or its kernel stopped mid-submit")
    )
    if len(records) == 1:
        head = f"job {records[0].id} is the same request and its submit is unclear ({what})"
        them, exist = "it", "it may exist"
    else:
        ids = ", ".join(str(r.id) for r in records[:5]) + (", …" if len(records) > 5 else "")
        head = f"jobs {ids} are the same requests and their submits are unclear"
        them, exist = "them", "they may exist"
    return (
        f"not sent: {head}: {exist} and may be billed; %ltx reconcile "
        f"(ltx_notebook.reconcile()) looks for {them} in your request history; "
        f"{again} sends anyway"
    )


def same_jobs(
    session: Session, plan: Sequence[Params], *, again: str = "--again", scope: Scope = "mine"
) -> list[Job | None]:
    """For each of *plan*'s requests, the job already made for it in the store, or None.

    *scope*: ``"mine"`` looks at this user's jobs, ``"team"`` at everyone's. A job of
    ours found in flight is followed again (polled and downloaded) if no one follows it
    in this process: a job left by an earlier kernel must not sit in a panel forever.
    A teammate's is watched from the store instead (:meth:`Session.follow`).
    SubmitUnknown, before anything is sent, if a request with no such job has an
    unclear submit (:func:`refuse_unclear`); *again* says how to send anyway.
    """
    keys = [request_key(params.model, params.payload()) for params in plan]
    found = find_same(
        session.store,
        keys,
        base_url=clean_base_url(session.settings.base_url),
        owners=_owners(session, scope),
    )
    refuse_unclear(session, plan, again=again, shown=found, scope=scope)
    jobs: list[Job | None] = []
    for key in keys:
        record = found.get(key) if key else None
        if record is None:
            jobs.append(None)
            continue
        job = session.get(record.id)
        if not job.done:
            session.follow(job)  # the Driver hook Job uses itself; a no-op if it is followed
        jobs.append(job)
    return jobs


def same_job(
    session: Session, params: Params, *, again: str = "--again", scope: Scope = "mine"
) -> Job | None:
    """The job already made for *params* in the store (in flight or COMPLETED), or None.

    SubmitUnknown if there is none and a submit of it is unclear.
    """
    return same_jobs(session, [params], again=again, scope=scope)[0]


def reuse_line(job: Job, *, again: str = "--again", user: str | None = None) -> str:
    """The one line that says a request was not sent, and how to send it anyway.

    A job another user made (*user* is this one) says whose it is.
    """
    doing = "shown again" if job.status.is_terminal else "followed again"
    owner = job.record.owner
    whose = f"{owner}'s " if owner and user is not None and owner != user else ""
    return (
        f"same request as {whose}job {job.id} ({job.status.value}): {doing}, nothing sent; "
        f"{again} sends a new one"
    )

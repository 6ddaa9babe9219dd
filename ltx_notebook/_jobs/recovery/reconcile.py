"""``reconcile()``: the store set straight against the account's request history.

Every row this service's history can speak for is looked at once:

- an UNKNOWN row with no request id (a submit whose answer was lost) is
  matched by model, time and inputs (:meth:`.recovery.Recovery.match`);
- an UNKNOWN, EXPIRED or LOST row with a request id, or a running one whose
  last note is a 404 from /v2, is looked up by it: a COMPLETED job's video is
  downloaded, a FAILED one gets its reason, a running one is followed;
- every COMPLETED or FAILED job gets its real charge (``credits_deduction``,
  USD) as ``cost``; the estimate stays in ``cost_estimate``.

Charges are read a page of 100 at a time over the rows' days (31 at most a
call, the history's rule), and only the rows no page named are asked for one
by one. What changed comes back as a :class:`Reconciliation`, one line a row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Final

from ..._core.errors import LtxError, NotFound
from ..._core.params import check_timeout
from ..._core.status import JobStatus
from ..._service.client import Client
from ..._service.history import MAX_PER_PAGE, MAX_WINDOW_DAYS
from ..._service.replies import HistoryRecord
from ..._storage.records import JobRecord, clean_base_url
from ..._storage.store import Store
from ..job import Job
from ..rules import MAX_SECONDS, is_not_found_note, plausible
from .lookup import MAX_PAGES, Recovery
from .matching import candidates_text

__all__ = ["Change", "Reconciliation", "reconcile"]

LOOKED_UP: Final = frozenset({JobStatus.UNKNOWN, JobStatus.EXPIRED, JobStatus.LOST})
CHARGED: Final = frozenset({JobStatus.COMPLETED, JobStatus.FAILED})


@dataclass(frozen=True)
class Change:
    """One row as reconcile left it: its state before and after, and what happened."""

    job_id: int
    request_id: str | None
    before: str
    after: str
    what: str
    candidates: tuple[str, ...] = ()  # request ids to choose from with adopt()

    def line(self) -> str:
        rid = f" ({self.request_id})" if self.request_id else ""
        moved = self.after if self.before == self.after else f"{self.before} → {self.after}"
        return f"job {self.job_id}{rid}: {moved}: {self.what}"


@dataclass(frozen=True)
class Reconciliation:
    """What :func:`reconcile` changed (``changes``) and what it could not settle (``left``).

    ``jobs`` are the ones it set going again (a download, a request still
    running): :meth:`wait` waits for them.
    """

    checked: int
    changes: tuple[Change, ...] = ()
    left: tuple[Change, ...] = ()
    jobs: tuple[Job, ...] = field(default=(), repr=False)
    notes: tuple[str, ...] = ()  # what could not be done at all (the history unreachable)

    def summary(self) -> str:
        head = f"reconciled {self.checked} job(s): {len(self.changes)} changed"
        lines = [head + (":" if self.changes else "")]
        lines += [f"  {c.line()}" for c in self.changes]
        if self.left:
            lines.append(f"left as they were ({len(self.left)}):")
            lines += [f"  {c.line()}" for c in self.left]
        lines += self.notes
        return "\n".join(lines)

    __str__ = summary

    def __repr__(self) -> str:
        return self.summary()

    def __len__(self) -> int:
        return len(self.changes)

    def wait(self, timeout: float | None = None) -> Reconciliation:
        """Wait until every job set going again has ended (videos on disk); return self."""
        timeout = check_timeout(timeout, zero=True)
        for job in self.jobs:
            job.wait(timeout)
        return self


async def reconcile(
    recovery: Recovery, client: Client, store: Store, base_url: str
) -> Reconciliation:
    """Resolve every UNKNOWN, EXPIRED and LOST row of this service; fill every real charge."""
    rows = await asyncio.to_thread(store.find, base_url=clean_base_url(base_url))
    rows.sort(key=lambda r: r.id)
    changes: list[Change] = []
    left: list[Change] = []
    jobs: list[Job] = []
    charged: list[JobRecord] = []
    for record in rows:
        if record.status in CHARGED and record.request_id:
            charged.append(record)
        elif record.status is JobStatus.UNKNOWN and not record.request_id:
            await _match(recovery, record, store, changes, left, jobs)
        elif record.request_id and (
            record.status in LOOKED_UP
            or (not record.status.is_terminal and is_not_found_note(record.error))
        ):
            await _settle(recovery, record, store, changes, left, jobs)
    notes: list[str] = []
    try:
        found = await charges(client, charged)
    except LtxError as exc:
        found = {}
        notes.append(f"real charges not read: the request history could not be read: {exc}")
    for record in charged:
        item = found.get(record.request_id or "")
        charge = plausible(item.charge, MAX_SECONDS) if item else None
        if charge is None or (record.cost is not None and abs(record.cost - charge) < 1e-9):
            continue
        await asyncio.to_thread(store.update, record.id, cost=charge)
        was = (
            f"charged ${record.cost:.4f} before"
            if record.cost is not None
            else f"estimated ${record.cost_estimate:.4f}"
            if record.cost_estimate is not None
            else "no figure before"
        )
        changes.append(
            _change(record, record.status, f"real charge ${charge:.4f} filled in ({was})")
        )
    return Reconciliation(len(rows), tuple(changes), tuple(left), tuple(jobs), tuple(notes))


async def _match(
    recovery: Recovery,
    record: JobRecord,
    store: Store,
    changes: list[Change],
    left: list[Change],
    jobs: list[Job],
) -> None:
    try:
        matched = await recovery.match(record, store)
    except LtxError as exc:
        left.append(_change(record, record.status, f"the request history could not be read: {exc}"))
        return
    now = matched.record
    if matched.job is not None:
        jobs.append(matched.job)
        what = f"its lost submit found in your request history as {now.request_id}; followed"
        changes.append(_change(record, now.status, what, request_id=now.request_id))
    elif matched.candidates:
        ids = tuple(c.request_id for c in matched.candidates)
        what = (
            f"{len(ids)} requests match: {candidates_text(matched.candidates)}; "
            f"choose with %ltx adopt {record.id} REQUEST_ID"
        )
        left.append(_change(record, now.status, what, candidates=ids))
    elif now.status is not record.status:
        changes.append(_change(record, now.status, f"not billed: {now.error}"))
    else:
        if matched.settles_at is not None:  # one match so far: taken in the background once settled
            recovery.watch(now, store)
        left.append(_change(record, now.status, now.error or "not found yet"))


async def _settle(
    recovery: Recovery,
    record: JobRecord,
    store: Store,
    changes: list[Change],
    left: list[Change],
    jobs: list[Job],
) -> None:
    try:
        now, job = await recovery.settle(record, store)
    except NotFound:
        left.append(_change(record, record.status, "not in your request history"))
        return
    except LtxError as exc:
        left.append(_change(record, record.status, f"the request history could not be read: {exc}"))
        return
    if job is not None:
        jobs.append(job)
    if now.status is JobStatus.COMPLETED:
        charge = f" (${now.cost:.4f} charged)" if now.cost is not None else ""
        what = f"found COMPLETED in your request history{charge}; downloading its video"
    elif now.status is JobStatus.FAILED:
        what = f"FAILED: {now.error}"
    elif job is not None:
        what = "still running at the service; followed"
    else:
        what = now.error or "looked up again"
    changes.append(_change(record, now.status, what))


def _change(
    record: JobRecord,
    after: JobStatus,
    what: str,
    *,
    request_id: str | None = None,
    candidates: tuple[str, ...] = (),
) -> Change:
    return Change(
        record.id,
        request_id or record.request_id,
        record.status.value,
        after.value,
        what,
        candidates,
    )


async def charges(client: Client, records: Sequence[JobRecord]) -> dict[str, HistoryRecord]:
    """The history's record of each of *records*, read by pages over their days, then by id."""
    wanted = {r.request_id for r in records if r.request_id}
    found: dict[str, HistoryRecord] = {}
    for first, last in windows(r.submitted_at for r in records):
        for page in range(1, MAX_PAGES + 1):
            reply = await client.history_page(
                from_date=first, to_date=last, page=page, per_page=MAX_PER_PAGE
            )
            found.update((r.request_id, r) for r in reply.records if r.request_id in wanted)
            short = len(reply.records) < reply.per_page
            if not reply.records or reply.has_more is False or (reply.has_more is None and short):
                break
            if wanted <= found.keys():
                break
    for rid in sorted(wanted - found.keys()):
        try:
            found[rid] = await client.history_record(rid)
        except NotFound:
            continue
    return found


def windows(times: Iterable[datetime | None]) -> list[tuple[date, date]]:
    """Windows of at most 31 days covering every day given and the day after each."""
    days = sorted({(t or datetime.now(UTC)).astimezone(UTC).date() for t in times})
    out: list[tuple[date, date]] = []
    for day in days:
        if out and day + timedelta(days=1) <= out[-1][1]:
            continue
        end = min(day + timedelta(days=MAX_WINDOW_DAYS - 1), days[-1] + timedelta(days=1))
        out.append((day, end))
    return out

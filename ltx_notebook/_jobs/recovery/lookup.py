"""Jobs found again in the account's request history: recovery, automatic and on demand.

Two things leave the driver without a way to follow a paid job, and the
request history (reference, "Request history"), whose records never expire,
answers both:

- **the job's /v2 record is gone** (the hour passed while no kernel polled):
  it is looked up by id. COMPLETED: its video is downloaded from
  ``generation_url`` by the usual download path; FAILED: the service's
  reason; still pending: followed in the history until it ends.
- **a submit's answer was lost** (``UNKNOWN``, no request id): it is matched by
  model, a window around the submit and a ``request_body`` equal on every
  parameter sent. Ids already in the store are never candidates, so an earlier
  job with the same prompt is not taken for it. The history lists a request a
  little after it is made, so a first look can see another notebook's identical
  request before this submit's own: one match is taken without asking only once
  ``Settings.match_settle`` has passed since the answer was lost, and only if
  nothing of it is missing or in doubt (:func:`.history_rules.doubt`). Otherwise
  the matches are listed on the row, for the user to pick (``adopt``). None once
  ``Settings.match_grace`` has passed since the submit: the row says the service
  has no such request, and records a charge of 0.

The charge written is ``credits_deduction``, in USD as the store's ``cost``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from ..._core.errors import InvalidParams, LtxError, NotFound, SubmitUnknown
from ..._core.status import JobStatus
from ..._service.client import Client
from ..._service.history import MAX_PER_PAGE
from ..._service.replies import HistoryRecord
from ..._storage.records import JobRecord, clean_base_url
from ..._storage.store import Store
from ..job import Driver, Job
from ..rules import gone
from .matching import (
    MATCH_SLACK,
    NOT_BILLED,
    candidates_text,
    doubt,
    history_fields,
    near_submit,
    pending_status,
    reopened,
    request_summary,
    same_request,
)

__all__ = ["MAX_PAGES", "NOT_BILLED", "Matched", "Recovery"]

log = logging.getLogger("ltx_notebook")

# Pages of 100 read per search: a day of an account's requests, many times over.
MAX_PAGES: Final = 50
# A request the history still calls pending a day after its submit is not followed on.
PENDING_LIMIT: Final = timedelta(days=1)


@dataclass(frozen=True)
class Matched:
    """What a search of the history made of an UNKNOWN row (its row as now written)."""

    record: JobRecord
    job: Job | None = None  # the row took its one match's id and is followed
    candidates: tuple[HistoryRecord, ...] = ()
    # One match so far, not taken before then: the history may not list every request yet.
    settles_at: datetime | None = None


# -- the history, read ----------------------------------------------------------------


class Recovery:
    """The session's history lookups: after a 404 for good, after a lost submit, on demand."""

    def __init__(self, driver: Driver) -> None:
        self._driver = driver
        self._watching: set[asyncio.Task[None]] = set()
        # When each submit of this process lost its answer: the history settles from then.
        self._lost_at: dict[tuple[Path | str, int], datetime] = {}

    @property
    def _client(self) -> Client:
        return self._driver.client()

    # -- a job whose /v2 record is gone -----------------------------------------

    async def after_gone(self, job: Job) -> dict[str, Any]:
        """The fields that end *job*, whose /v2 record is gone for good, from its history.

        While the history says it is pending, the job is followed there (its state
        written as it changes); a request the history does not know ends EXPIRED.
        """
        driver = self._driver
        rid = job.request_id
        failures = 0
        while True:
            try:
                found = await self._client.history_record(rid or "")
            except NotFound:
                return {
                    "status": JobStatus.EXPIRED,
                    "error": f"{gone(rid)}; it is not in your request history either",
                }
            except LtxError as exc:
                failures += 1
                if failures >= driver.backoff.attempts:
                    return {
                        "status": JobStatus.EXPIRED,
                        "error": f"{gone(rid)}; the request history could not be read "
                        f"({exc}): ltx_notebook.reconcile() looks again",
                    }
                await driver.note(job, f"polling: the request history: {exc}; trying again")
                await driver.rest(job, driver.backoff.delay(failures))
                continue
            failures = 0
            fields = history_fields(job.record, found)
            if fields is not None:
                return fields
            if job.elapsed > PENDING_LIMIT.total_seconds():
                return {
                    "status": JobStatus.EXPIRED,
                    "error": f"request {rid} is still {found.status} in your request history "
                    "a day after its submit; ltx_notebook.reconcile() looks again",
                }
            status = pending_status(job.record, found)
            note = f"polling: followed in the request history (its /v2 record expired): {rid}"
            if status is not job.status or job.record.error != note:
                await driver.update(job, status=status, error=note)
            delay = job.schedule.next_delay(job.elapsed) if job.schedule else 1.0
            await driver.rest(job, max(delay, 0.2))

    async def after_missing(self, job: Job) -> dict[str, Any] | None:
        """The fields that end *job*, whose /v2 record has answered 404 for a while within
        its hour, from its history record; None to poll /v2 on.

        Ended there: its end as the history has it. Running there: followed in the
        history until it ends (/v2 no longer helps). Not there (yet: the history lists
        a request a little late) or unreadable: polled on.
        """
        rid = job.request_id
        try:
            found = await self._client.history_record(rid or "")
        except LtxError as exc:
            await self._driver.note(
                job,
                f"polling: not found (HTTP 404) on /v2 for a while, nor in your request history "
                f"({exc}); polling on while the record may exist",
            )
            return None
        fields = history_fields(job.record, found)
        if fields is not None:
            return fields
        return await self.after_gone(job)

    async def settle(self, record: JobRecord, store: Store) -> tuple[JobRecord, Job | None]:
        """An EXPIRED, LOST or UNKNOWN row with a request id, looked up again (reconcile).

        Returns the row as now written and the Job followed, if any (a download
        or a request still running). NotFound when the history does not know it.
        """
        found = await self._client.history_record(record.request_id or "")
        fields = history_fields(record, found)
        if fields is None:
            record = await _write(
                store,
                record.id,
                **reopened(pending_status(record, found)),
                error="polling: found running in your request history; following it",
            )
            return record, self._follow(record, store)
        record = await _write(store, record.id, **fields)
        follow = record.status is JobStatus.COMPLETED and not record.video_path
        return record, self._follow(record, store) if follow else None

    def _follow(self, record: JobRecord, store: Store) -> Job:
        job = self._driver.track(record, store)
        job.set_record(record)
        return self._driver.start(job)

    # -- a submit whose answer was lost -----------------------------------------

    async def after_unknown(self, record: JobRecord, store: Store, exc: SubmitUnknown) -> Job:
        """A submit that may have reached the service: followed if found, else raised.

        The row is UNKNOWN first (a crash now leaves it so). One match in the
        history: the Job is returned as if the answer had come. Otherwise the
        SubmitUnknown is raised, saying what became of the row; with no match
        yet, the history is searched again until the grace period ends.
        """
        record = await _write(store, record.id, status=JobStatus.UNKNOWN, error=str(exc))
        self._lost_at[(store.path, record.id)] = datetime.now(UTC)
        matched = await self._decide(record, store)
        if matched.job is not None:
            return matched.job
        if matched.record.status is JobStatus.UNKNOWN and not matched.candidates:
            self.watch(matched.record, store)
        # What became of the row first: the message is cut at 300 characters.
        cause = str(exc).split(": the job", 1)[0]
        raise SubmitUnknown(
            f"job {record.id}: {matched.record.error} ({cause})", job_id=record.id
        ) from exc

    async def _decide(self, record: JobRecord, store: Store) -> Matched:
        """Search for *record*'s submit, and with one match so far, again once settled."""
        matched = await self._look(record, store)
        while matched.settles_at is not None:
            wait = (matched.settles_at - datetime.now(UTC)).total_seconds()
            try:
                await asyncio.sleep(max(0.0, wait))
            except asyncio.CancelledError:
                self.watch(matched.record, store)  # the background decides instead
                raise
            matched = await self._look(matched.record, store)
        return matched

    async def _look(self, record: JobRecord, store: Store) -> Matched:
        try:
            return await self.match(record, store)
        except LtxError as trouble:
            log.warning("job %s: could not search the request history: %s", record.id, trouble)
            record = await _write(
                store,
                record.id,
                error=f"the submit's answer was lost: the job may exist and may be billed; the "
                f"request history could not be searched ({trouble}) and is searched again in "
                "the background (and by ltx_notebook.reconcile()): do not submit it again yet",
            )
            return Matched(record)

    def settles_at(self, record: JobRecord, store: Store) -> datetime:
        """When the history will list every request *record*'s submit may have made."""
        settle = timedelta(seconds=self._driver.settings.match_settle)
        lost = self._lost_at.get((store.path, record.id))
        if lost is None:  # a crash's or another process's: settled long since, mostly
            lost = record.submitted_at or datetime.now(UTC)
        return lost + settle

    async def match(self, record: JobRecord, store: Store) -> Matched:
        """Search the history for *record*'s lost submit and write what was found."""
        found = await self.search(record, store)
        now = await asyncio.to_thread(store.get, record.id)
        if now is None or now.request_id or now.status is not record.status:
            return Matched(now or record)  # adopted or settled meanwhile (another search)
        settles_at = self.settles_at(record, store)
        settled = datetime.now(UTC) >= settles_at
        if len(found) == 1 and not settled:
            record = await _write(
                store,
                record.id,
                error="the submit's answer was lost: the job may exist and may be billed; one "
                f"request in your request history matches it so far ({found[0].request_id}), "
                f"taken for this job at {settles_at:%H:%M:%S} UTC if no other shows up by then: "
                "do not submit it again",
            )
            return Matched(record, settles_at=settles_at)
        unsure = doubt(record, found[0]) if len(found) == 1 else None
        if len(found) == 1 and unsure is None:
            return Matched(*await self._take(record, found[0], store))
        if found:
            what = (
                f"{len(found)} requests in your request history match this submit"
                if unsure is None
                else f"1 request in your request history may be this submit's, but {unsure}"
            )
            record = await _write(
                store,
                record.id,
                error=f"{what}: {candidates_text(found)}; pick this job's with %ltx adopt "
                f"{record.id} REQUEST_ID (ltx_notebook.adopt({record.id}, request_id))",
            )
            return Matched(record, candidates=tuple(found))
        grace = timedelta(seconds=self._driver.settings.match_grace)
        submitted = record.submitted_at or datetime.now(UTC)
        if datetime.now(UTC) >= submitted + grace:
            record = await _write(
                store, record.id, status=JobStatus.FAILED, cost=0.0, error=NOT_BILLED
            )
            return Matched(record)
        until = submitted + grace
        record = await _write(
            store,
            record.id,
            error="the submit's answer was lost: the job may exist and may be billed; not in "
            f"your request history yet, looked for until {until:%H:%M:%S} UTC (then "
            "ltx_notebook.reconcile(), or your Segmind console): do not submit it again before "
            "then",
        )
        return Matched(record)

    async def match_all(self, records: list[JobRecord], store: Store) -> list[JobRecord]:
        """Rows a crash left UNKNOWN, each looked for (this service's only); as now written."""
        service = clean_base_url(self._driver.settings.base_url)
        out = []
        for record in records:
            if record.base_url == service and not record.request_id:
                matched = await self._decide(record, store)  # the row says how to look again
                record = matched.record
                if record.status is JobStatus.UNKNOWN and not matched.candidates:
                    self.watch(record, store)
            out.append(record)
        return out

    async def search(self, record: JobRecord, store: Store) -> list[HistoryRecord]:
        """The history's requests that may be *record*'s submit, not already another row's."""
        submitted = record.submitted_at or datetime.now(UTC)
        first = (submitted - MATCH_SLACK).date()
        last = submitted.date() + timedelta(days=1)  # the submit's day and the next
        found: dict[str, HistoryRecord] = {}
        for page in range(1, MAX_PAGES + 1):
            reply = await self._client.history_page(
                from_date=first, to_date=last, model=record.model, page=page, per_page=MAX_PER_PAGE
            )
            for candidate in reply.records:
                if (
                    candidate.request_id not in found
                    and same_request(record, candidate)
                    and near_submit(record, candidate)
                ):
                    found[candidate.request_id] = candidate
            short = len(reply.records) < reply.per_page
            if not reply.records or reply.has_more is False or (reply.has_more is None and short):
                break
        ours = await asyncio.to_thread(_taken, store, list(found))
        return [r for rid, r in found.items() if rid not in ours]

    def watch(self, record: JobRecord, store: Store) -> None:
        """Search again in the background until a match or the end of the grace period."""
        task = asyncio.get_running_loop().create_task(self._watch(record.id, store))
        self._watching.add(task)  # asyncio holds tasks weakly
        task.add_done_callback(self._watching.discard)

    async def _watch(self, job_id: int, store: Store) -> None:
        failures = 0
        settles_at: datetime | None = None
        while True:
            grace = self._driver.settings.match_grace
            pause = min(30.0, max(0.5, grace / 10))
            if settles_at is not None:  # look again as soon as the history has settled
                pause = min(pause, max(0.0, (settles_at - datetime.now(UTC)).total_seconds()))
            await asyncio.sleep(pause)
            record = await asyncio.to_thread(store.get, job_id)
            if record is None or record.status is not JobStatus.UNKNOWN or record.request_id:
                return  # adopted, or settled by reconcile, meanwhile
            try:
                matched = await self.match(record, store)
            except LtxError as exc:
                failures += 1
                log.warning("job %s: searching the request history: %s", job_id, exc)
                if failures >= self._driver.backoff.attempts * 4:
                    return  # the row says how to look again (reconcile)
                continue
            if matched.job is not None or matched.candidates:
                return
            if matched.record.status is not JobStatus.UNKNOWN:
                return
            settles_at = matched.settles_at

    # -- the user's choice ------------------------------------------------------

    async def adopt(self, job_id: int, request_id: str, store: Store) -> Job:
        """Give UNKNOWN row *job_id* the request *request_id* from the history, and follow it."""
        record = await asyncio.to_thread(store.get, job_id)
        if record is None:
            raise NotFound(f"no job {job_id} in the store at {store.path}", status_code=404)
        if record.request_id:
            raise InvalidParams(
                f"job {job_id} already has request id {record.request_id}: only a job whose "
                "submit answer was lost (UNKNOWN, no request id) can adopt one",
                param="row",
            )
        request_id = request_id.strip()
        other = await asyncio.to_thread(store.get_by_request_id, request_id)
        if other is not None:
            raise InvalidParams(
                f"request {request_id} is already job {other.id}; pick another", param="request_id"
            )
        found = await self._client.history_record(request_id)
        if not same_request(record, found):
            raise InvalidParams(
                f"request {request_id} ({found.model}: {request_summary(found)}) was not sent with "
                f"job {job_id}'s model and inputs; nothing was changed",
                param="request_id",
            )
        return (await self._take(record, found, store))[1]

    async def _take(
        self, record: JobRecord, found: HistoryRecord, store: Store
    ) -> tuple[JobRecord, Job]:
        """*record* becomes the job *found* names, written, and followed to its end."""
        fields = history_fields(record, found)
        note = (
            f"submit unclear: its answer was lost; found in your request history as "
            f"request {found.request_id}"
        )
        if fields is None:
            fields = {**reopened(pending_status(record, found)), "error": note}
        elif fields["status"] is JobStatus.COMPLETED:
            fields["error"] = note  # cleared once the video is on disk
        fields.setdefault("cost", None)  # a row once said "not billed" (0) knows no charge yet
        record = await _write(store, record.id, request_id=found.request_id, **fields)
        return record, self._follow(record, store)


def _taken(store: Store, request_ids: list[str]) -> set[str]:
    return {rid for rid in request_ids if store.get_by_request_id(rid) is not None}


async def _write(store: Store, job_id: int, /, **fields: Any) -> JobRecord:
    # SQLite may wait on another kernel's write: never block the runtime's loop on it.
    return await asyncio.to_thread(store.update, job_id, **fields)

"""Jobs the account ran elsewhere (the web console, another machine) brought into the store.

The request history lists every request with its inputs as sent, its state,
its real charge and its output URL. Each one not yet in the store becomes a
row marked ``origin = "history"``, in one insert, so an interrupted import
leaves no half-made row; a request id already in the store is left alone
(checked by the insert itself, so two processes importing at once add it
once), which makes importing twice the same as importing once, and its video,
if not on disk yet, is waited for too. A completed job's
video is downloaded by the session's own driver (claims, resumable parts,
verification, poster) while the service still serves it, 7 days after the
run; an older one is recorded without its video and says why. Jobs still
running are recorded as queued: ``resume()`` follows them like local ones.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from ..._core.errors import InvalidParams, WaitTimeout
from ..._core.params import MODELS, PARAM_NAMES, Params, check_timeout, validate
from ..._core.status import JobStatus
from ..._service.history import MAX_PER_PAGE, MAX_WINDOW_DAYS
from ..._service.replies import HistoryRecord
from ..._storage.records import JobRecord
from ..job import Driver, Job
from ..money.budget import since_time
from ..money.costs import learn

__all__ = ["ORIGIN", "ImportReport", "import_history"]

ORIGIN: Final = "history"
OUTPUT_LIFE: Final = timedelta(days=7)  # how long the service serves a generation_url
DEFAULT_SINCE: Final = timedelta(days=7)
MAX_SPAN: Final = timedelta(days=366)  # 12 windows of 31 days: a year's requests at most
ORPHAN_WINDOW: Final = timedelta(hours=1)  # a lost answer's row and its request, this near
MAX_PAGES: Final = 1000  # a service that always says "more" must not keep us here for ever
_STATES: Final = {
    "COMPLETED": JobStatus.COMPLETED,
    "FAILED": JobStatus.FAILED,
    "PENDING": JobStatus.QUEUED,
    "QUEUED": JobStatus.QUEUED,
    "PROCESSING": JobStatus.PROCESSING,
}


@dataclass(frozen=True)
class ImportReport:
    """What an import did: rows added, requests left out, and why."""

    added: tuple[Job, ...] = ()
    already: int = 0  # request ids already in the store: nothing added for them
    other_models: int = 0  # requests of models ltx-notebook does not drive
    without_video: tuple[tuple[str, str], ...] = ()  # (request id, why)
    unreadable: tuple[tuple[str, str], ...] = ()  # (request id, why): not imported
    running: int = 0  # recorded as queued: resume() follows them
    # (request id, local row): the answer to a submit from here that was lost; not imported
    unclaimed: tuple[tuple[str, int], ...] = ()

    @property
    def videos(self) -> int:
        return sum(1 for job in self.added if job.video_path is not None)

    def __str__(self) -> str:
        lines = [
            f"imported {len(self.added)} job{'s' * (len(self.added) != 1)} "
            f"({self.videos} with video); {self.already} already in the store"
            + (f"; {self.other_models} of other models skipped" if self.other_models else "")
        ]
        lines += [f"  {rid}: no video: {why}" for rid, why in self.without_video]
        lines += [f"  {rid}: not imported: {why}" for rid, why in self.unreadable]
        lines += [
            f"  {rid}: not imported: it looks like job {row}, sent from here with its answer "
            "lost; reconcile() (or %ltx adopt) gives that row this id"
            for rid, row in self.unclaimed
        ]
        if self.running:
            lines.append(f"  {self.running} still running: %ltx resume (ltx.resume()) follows them")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<ImportReport {str(self).splitlines()[0]}>"


def windows(start: date, end: date) -> Iterator[tuple[date, date]]:
    """*start* to *end* (both included) in windows the service accepts, oldest first."""
    while start <= end:
        last = min(end, start + timedelta(days=MAX_WINDOW_DAYS - 1))
        yield start, last
        start = last + timedelta(days=1)


async def _records(
    session: Driver, start: datetime, end: datetime, model: str | None
) -> list[HistoryRecord]:
    client = session.client()
    found: dict[str, HistoryRecord] = {}
    # The service's day boundaries may not be UTC's: ask a day wider, keep the exact span.
    first, last = (start - timedelta(days=1)).date(), (end + timedelta(days=1)).date()
    for lo, hi in windows(first, last):
        for page in range(1, MAX_PAGES + 1):
            reply = await client.history_page(
                from_date=lo, to_date=hi, model=model, page=page, per_page=MAX_PER_PAGE
            )
            for record in reply.records:
                found.setdefault(record.request_id, record)
            short = len(reply.records) < (reply.per_page or MAX_PER_PAGE)
            if not reply.records or reply.has_more is False or (reply.has_more is None and short):
                break
    inside = [r for r in found.values() if r.created is None or start <= r.created <= end]
    return sorted(inside, key=lambda r: r.created or datetime.min.replace(tzinfo=UTC))


def _lost_answer(record: HistoryRecord, slug: str, orphans: list[JobRecord]) -> int | None:
    """The local row *record* may be the lost answer of: same model and body, sent near then.

    A submit whose answer was lost has a row without a request id (UNKNOWN); importing
    the request as well would show one paid job twice. Matching is recovery's job.
    """
    for row in orphans:
        near = (
            row.submitted_at is None
            or record.created is None
            or abs(row.submitted_at - record.created) <= ORPHAN_WINDOW
        )
        if row.model == slug and row.payload == dict(record.request_body) and near:
            return row.id
    return None


def _unfetched(session: Driver, row: JobRecord) -> list[Job]:
    """An imported row whose video is not on disk yet (another process may be fetching
    it): followed, so this import too ends with it there; its claim keeps it one download."""
    if row.origin != ORIGIN or row.status is not JobStatus.COMPLETED or not row.output_url:
        return []
    if row.video_path is not None:
        return []
    return [session.refetch(session.get(row.id))]


def _params(record: HistoryRecord, model: str) -> Params:
    body = record.request_body
    given = {k: body[k] for k in PARAM_NAMES if k != "model" and k in body}
    return validate(model, **given)


def _fields(record: HistoryRecord, now: datetime) -> tuple[dict[str, Any], str | None]:
    """The row's columns from *record*, and why it has no video (None: it will get one)."""
    status = _STATES.get(record.status or "", JobStatus.UNKNOWN)
    fields: dict[str, Any] = {
        "request_id": record.request_id,
        "status": status,
        "origin": ORIGIN,
        "cost": record.charge,
        "submitted_at": record.created,
        "error": record.error,
    }
    if status is JobStatus.UNKNOWN:
        fields["error"] = f"the request history reports status {record.status!r}"
    if status.is_terminal:
        fields["completed_at"] = record.updated or record.created
        if record.latency_ms is not None:
            fields["total_s"] = round(record.latency_ms / 1000, 3)
    if status is not JobStatus.COMPLETED:
        return fields, None
    made = record.created or record.updated
    if not record.generation_url:
        why = "the request history gives no output URL"
    elif made is not None and now - made >= OUTPUT_LIFE:
        why = f"made {made:%Y-%m-%d}, more than 7 days ago: the service no longer serves its output"
    else:
        fields["output_url"] = record.generation_url
        fields["url_expires_at"] = (made or now) + OUTPUT_LIFE
        return fields, None
    fields["error"] = f"imported without its video: {why}"
    return fields, why


def import_history(
    session: Driver,
    *,
    since: Any = None,
    until: Any = None,
    model: str | None = None,
    wait: bool = True,
    timeout: float | None = None,
) -> ImportReport:
    """Bring the account's requests since *since* (default: 7 days ago) into the store.

    *model* keeps one model's requests (default: every model ltx-notebook
    knows). With *wait*, returns once the videos are downloaded (or given up,
    or *timeout* seconds passed: the downloads go on). Bad arguments raise
    :class:`InvalidParams` before anything is sent.
    """
    if model is not None and model not in MODELS:
        raise InvalidParams(
            f"unknown model {model!r}; known models: {', '.join(MODELS)}", param="model"
        )
    timeout = check_timeout(timeout, zero=True)
    now = datetime.now(UTC)
    start = since_time(since, now)
    if start is None:  # since="all": as far back as one import reaches
        start = now - (DEFAULT_SINCE if since is None else MAX_SPAN)
    end = since_time(until, now) or now
    if end < start:
        raise InvalidParams(f"until ({end:%Y-%m-%d}) is before since ({start:%Y-%m-%d})")
    if end - start > MAX_SPAN:
        raise InvalidParams(
            f"import at most {MAX_SPAN.days} days at a time (the history is read 31 days a "
            f"request); got {start:%Y-%m-%d} to {end:%Y-%m-%d}: split it with since= and until=",
            param="since",
        )
    records = session.runtime.call(_records(session, start, end, model))
    store, settings = session.store, session.settings
    prices = learn(store, base_url=settings.base_url)
    added: list[Job] = []
    fetching: list[Job] = []
    already = others = running = 0
    orphans = store.find(request_id=None)
    unclaimed: list[tuple[str, int]] = []
    without: list[tuple[str, str]] = []
    unreadable: list[tuple[str, str]] = []
    for record in records:
        slug = record.model or model
        if slug is None or slug not in MODELS or (model is not None and slug != model):
            others += 1
            continue
        known = store.get_by_request_id(record.request_id)
        if known is not None:
            already += 1
            fetching += _unfetched(session, known)
            continue
        try:
            params = _params(record, slug)
        except InvalidParams as exc:
            unreadable.append((record.request_id, f"its inputs do not read as {slug}'s: {exc}"))
            continue
        orphan = _lost_answer(record, slug, orphans)
        if orphan is not None:
            unclaimed.append((record.request_id, orphan))
            continue
        fields, why = _fields(record, now)
        # The history does not say who sent it (one account, one key): the importer owns it.
        fields["owner"] = settings.user
        row = store.create_if_new(
            params,
            cost_estimate=prices.estimate(params),
            base_url=settings.base_url,
            payload=dict(record.request_body) or None,
            fields=fields,
        )
        if row is None:  # another process imported it just now: its video is ours to wait on
            already += 1
            known = store.get_by_request_id(record.request_id)
            fetching += _unfetched(session, known) if known is not None else []
            continue
        job = session.get(row.id)
        added.append(job)
        if why is not None:
            without.append((record.request_id, why))
        elif job.status is JobStatus.COMPLETED:
            fetching.append(session.refetch(job))
        elif not job.status.is_terminal:
            running += 1
    if wait and fetching:
        # Past the timeout the downloads go on; the report tells what has arrived so far.
        with contextlib.suppress(WaitTimeout):
            session.wait_all(fetching, timeout)
    for job in fetching:
        if job.done and job.video_path is None:
            without.append((job.request_id or str(job.id), job.error or "the download failed"))
    return ImportReport(
        added=tuple(added),
        already=already,
        other_models=others,
        without_video=tuple(without),
        unreadable=tuple(unreadable),
        running=running,
        unclaimed=tuple(unclaimed),
    )

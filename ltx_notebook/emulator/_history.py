"""The emulated request history: every request's record, kept for good, and its queries.

The real service keeps the account's requests on a host of its own
(``/inference-request/...``, read by the official SDK's ``generations.py``):
unlike the ``/v2`` records, which expire after an hour, they do not expire, so
a lost answer or an expired job can be found again with its output URL and its
charge. The row's field names are known; the page envelope and the
timestamps' names and format are not, so the emulator serves one of three
plausible shapes (``history_envelope``) for clients to be tested against each.
This is the service's own copy of the schema: nothing here comes from the
client side.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from ._config import HistoryEnvelope
from ._timeline import COMPLETED, FAILED, PROCESSING, Job
from ._validation import Refusal

__all__ = [
    "Entry",
    "HistoryQuery",
    "generations_body",
    "history_body",
    "owner_of",
    "parse_query",
    "record_body",
]

PENDING: Final = "PENDING"
FILTER_STATUSES: Final = (COMPLETED, FAILED, PENDING)
SORT_BY: Final = ("model_created", "model_name", "credits_deduction")
MAX_PER_PAGE: Final = 100
DEFAULT_PER_PAGE: Final = 20
MAX_WINDOW_DAYS: Final = 31  # both ends included
DEFAULT_WINDOW_DAYS: Final = 7

# Where each envelope puts a row's two times, and how it writes them.
_TIME_KEYS: Final = {
    "data": ("created_at", "updated_at"),
    "nested": ("createdAt", "updatedAt"),
    "list": ("model_created", "model_updated"),
}

MediaUrl = Callable[[Job], str | None]


@dataclass(frozen=True)
class Entry:
    """What the history adds to a job: whose it is, what was sent, when (Unix seconds).

    ``omit`` names row fields the service leaves out of this record (``created`` and
    ``updated`` stand for the envelope's own names of the two times);
    ``generation_url`` replaces the output URL it gives once the job is COMPLETED.
    """

    owner: str | None
    body: Any
    created: float
    omit: frozenset[str] = frozenset()
    generation_url: str | None = None


@dataclass(frozen=True)
class HistoryQuery:
    page: int
    per_page: int
    start: date
    end: date
    model: str | None
    status: str | None
    sort_by: str
    descending: bool


def owner_of(key: str | None) -> str | None:
    """Whose requests these are: a digest of the key, so the key itself is never kept."""
    return hashlib.sha256(key.encode()).hexdigest() if key else None


def parse_query(
    params: Mapping[str, str],
    today: date,
    *,
    start_key: str = "from_date",
    end_key: str = "to_date",
) -> HistoryQuery | Refusal:
    """The listing's query as the service reads it, or the 400 it answers instead."""
    page = _whole(params.get("page"), 1)
    if page is None or page < 1:
        return Refusal(400, "Query parameter 'page' must be an integer of at least 1")
    per_page = _whole(params.get("per_page"), DEFAULT_PER_PAGE)
    if per_page is None or not 1 <= per_page <= MAX_PER_PAGE:
        return Refusal(400, f"Query parameter 'per_page' must be between 1 and {MAX_PER_PAGE}")
    try:
        end = _day(params.get(end_key)) or today
        start = _day(params.get(start_key)) or end - timedelta(days=DEFAULT_WINDOW_DAYS)
    except ValueError:
        return Refusal(400, f"'{start_key}' and '{end_key}' must be dates in YYYY-MM-DD format")
    if start > end:
        return Refusal(400, f"'{start_key}' must not be after '{end_key}'")
    if (end - start).days + 1 > MAX_WINDOW_DAYS:
        return Refusal(400, f"The date range may span at most {MAX_WINDOW_DAYS} days")
    status = params.get("status")
    if status is not None and status.upper() not in FILTER_STATUSES:
        return Refusal(400, f"'status' must be one of {', '.join(FILTER_STATUSES)}")
    sort_by = params.get("sort_by") or "model_created"
    if sort_by not in SORT_BY:
        return Refusal(400, f"'sort_by' must be one of {', '.join(SORT_BY)}")
    order = (params.get("sort_order") or "desc").lower()
    if order not in ("asc", "desc"):
        return Refusal(400, "'sort_order' must be asc or desc")
    return HistoryQuery(
        page=page,
        per_page=per_page,
        start=start,
        end=end,
        model=params.get("model_name") or None,
        status=status.upper() if status else None,
        sort_by=sort_by,
        descending=order == "desc",
    )


def _whole(value: str | None, default: int) -> int | None:
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        return None


def _day(value: str | None) -> date | None:
    if not value:
        return None
    if len(value) != 10:  # YYYY-MM-DD exactly, as the service documents it
        raise ValueError(value)
    return date.fromisoformat(value)


def history_status(job: Job, now: float) -> str:
    """The row's ``model_status``: the filter's own words, PENDING for queued or processing."""
    state = job.status(now)
    return state if state in (COMPLETED, FAILED) else PENDING


def _row(
    job: Job, entry: Entry, now: float, media_url: MediaUrl, shape: HistoryEnvelope
) -> dict[str, Any]:
    state = job.status(now)
    ended = job.completed_at if state == COMPLETED else job.failed_at
    finished = state in (COMPLETED, FAILED) and ended is not None
    changed = ended if finished else job.started_at if state == PROCESSING else job.submitted_at
    assert changed is not None
    created_key, updated_key = _TIME_KEYS[shape]
    row = {
        "request_id": job.request_id,
        "model_name": job.model,
        "model_status": history_status(job, now),
        "credits_deduction": job.cost,
        "request_body": entry.body,
        "generation_url": (entry.generation_url or media_url(job)) if state == COMPLETED else None,
        "latency_ms": round((changed - job.submitted_at) * 1000) if finished else None,
        created_key: _stamp(entry.created, shape),
        updated_key: _stamp(entry.created + (changed - job.submitted_at), shape),
        "error": job.error if state == FAILED else None,
    }
    names = {"created": created_key, "updated": updated_key}
    for name in entry.omit:
        row.pop(names.get(name, name), None)
    return row


def _stamp(unix: float, shape: HistoryEnvelope) -> Any:
    when = datetime.fromtimestamp(unix, UTC)
    if shape == "nested":
        return round(unix * 1000)  # epoch milliseconds
    if shape == "list":
        return when.replace(tzinfo=None).isoformat(sep=" ")  # naive, meaning UTC
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record_body(
    job: Job, entry: Entry, now: float, media_url: MediaUrl, shape: HistoryEnvelope
) -> Any:
    """The record route's answer: the row itself, or under ``data`` for the nested shape."""
    row = _row(job, entry, now, media_url, shape)
    return {"data": row} if shape == "nested" else row


def history_body(
    items: Sequence[tuple[Job, Entry]],
    query: HistoryQuery,
    now: float,
    media_url: MediaUrl,
    shape: HistoryEnvelope,
) -> Any:
    """One page of the listing: the caller's requests in the window, filtered and sorted."""
    chosen = [
        (job, entry)
        for job, entry in _in_window(items, query)
        if query.status is None or history_status(job, now) == query.status
    ]

    def key(item: tuple[Job, Entry]) -> tuple[Any, ...]:
        job, entry = item
        first: Any = {"model_name": job.model, "credits_deduction": job.cost}.get(
            query.sort_by, entry.created
        )
        return (first, entry.created, job.request_id)

    chosen.sort(key=key, reverse=query.descending)
    rows = [_row(job, entry, now, media_url, shape) for job, entry in _page(chosen, query)]
    return _envelope(rows, query, len(chosen), shape)


def generations_body(
    items: Sequence[tuple[Job, Entry]],
    query: HistoryQuery,
    now: float,
    media_url: MediaUrl,
    shape: HistoryEnvelope,
) -> Any:
    """``/generations``: only the requests that produced an output, newest first."""
    done = [(j, e) for j, e in _in_window(items, query) if j.status(now) == COMPLETED]
    done.sort(key=lambda item: (item[1].created, item[0].request_id), reverse=True)
    rows = []
    for job, entry in _page(done, query):
        row = _row(job, entry, now, media_url, shape)
        body = entry.body if isinstance(entry.body, dict) else {}
        created_key = _TIME_KEYS[shape][0]
        rows.append(
            {
                "request_id": row["request_id"],
                "model_name": row.get("model_name"),
                "generation_url": row["generation_url"],
                "status": row["model_status"],
                "credits_deduction": row["credits_deduction"],
                "latency_ms": row["latency_ms"],
                "prompt": body.get("prompt"),
                "parameters": body,
                **({created_key: row[created_key]} if created_key in row else {}),
            }
        )
    return _envelope(rows, query, len(done), shape)


def _in_window(items: Sequence[tuple[Job, Entry]], query: HistoryQuery) -> list[tuple[Job, Entry]]:
    needle = (query.model or "").lower()
    return [
        (job, entry)
        for job, entry in items
        if query.start <= datetime.fromtimestamp(entry.created, UTC).date() <= query.end
        and needle in job.model.lower()
    ]


def _page(items: list[tuple[Job, Entry]], query: HistoryQuery) -> list[tuple[Job, Entry]]:
    first = (query.page - 1) * query.per_page
    return items[first : first + query.per_page]


def _envelope(
    rows: list[dict[str, Any]], query: HistoryQuery, total: int, shape: HistoryEnvelope
) -> Any:
    if shape == "list":
        return rows
    if shape == "nested":
        meta = {
            "page": query.page,
            "perPage": query.per_page,
            "totalCount": total,
            "hasMore": query.page * query.per_page < total,
        }
        return {"data": {"items": rows, "meta": meta}}
    return {"data": rows, "page": query.page, "per_page": query.per_page, "total": total}

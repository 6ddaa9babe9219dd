"""The account's request history: its queries checked before sending, its answers read.

The official SDK (1.3.0, ``segmind/generations.py``) reads request records
from a host of their own; unlike ``/v2/requests/{id}`` they never expire, so a
job whose v2 record is gone, or a submit whose answer was lost, can be found
again with its output URL and its true charge. Only the routes and the row's
field names are known: the page envelope and the timestamps' names and formats
are not (reference, "Request history"). So every plausible shape is accepted:
rows under ``data``/``items``/``results``/``records``/``rows``, one level of
nesting, or a bare list; times as ISO-8601 (``Z``, an offset, or naive = UTC)
or epoch seconds, milliseconds, microseconds or nanoseconds.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Final, TypedDict
from urllib.parse import quote, urlencode

import httpx

from .._core.errors import ApiError, InvalidParams, NotFound
from .replies import HistoryPage, HistoryRecord, count, error_text, number, output_url, text

__all__ = [
    "MAX_PER_PAGE",
    "MAX_WINDOW_DAYS",
    "HistoryQuery",
    "normalise_status",
    "not_in_history",
    "page_query",
    "page_url",
    "parse_timestamp",
    "read_page",
    "read_record",
    "read_row",
    "record_url",
]

MAX_WINDOW_DAYS: Final = 31  # both ends included
MAX_PER_PAGE: Final = 100
DEFAULT_PER_PAGE: Final = 20
DEFAULT_WINDOW_DAYS: Final = 7
FILTER_STATUSES: Final = ("COMPLETED", "FAILED", "PENDING")
SORT_BY: Final = ("model_created", "model_name", "credits_deduction")
SORT_ORDER: Final = ("asc", "desc")

ROW_KEYS: Final = ("data", "items", "results", "records", "rows")
META_KEYS: Final = ("meta", "pagination", "page_info", "pageInfo", "paging")
PAGE_KEYS: Final = ("page", "current_page", "currentPage", "page_number", "pageNumber")
PER_PAGE_KEYS: Final = ("per_page", "perPage", "page_size", "pageSize", "limit")
TOTAL_KEYS: Final = ("total", "total_count", "totalCount", "total_items", "totalItems", "count")
PAGES_KEYS: Final = ("total_pages", "totalPages", "pages", "last_page", "lastPage")
MORE_KEYS: Final = ("has_more", "hasMore", "has_next", "hasNext", "has_next_page", "hasNextPage")
NEXT_KEYS: Final = ("next", "next_page", "nextPage", "next_page_url", "nextPageUrl")
RECORD_KEYS: Final = ("data", "record", "item", "result", "request")

CREATED_KEYS: Final = (
    "created_at",
    "createdAt",
    "model_created",
    "modelCreated",
    "timestamp",
    "created",
    "created_on",
)
UPDATED_KEYS: Final = (
    "updated_at",
    "updatedAt",
    "model_updated",
    "modelUpdated",
    "updated",
    "completed_at",
    "completedAt",
)

# The service's spellings of a state, in ours. PENDING, QUEUED and PROCESSING
# are kept apart as given: the filter says PENDING for both of the others.
_STATUS_SYNONYMS: Final = {
    "SUCCESS": "COMPLETED",
    "SUCCEEDED": "COMPLETED",
    "SUCCESSFUL": "COMPLETED",
    "COMPLETE": "COMPLETED",
    "DONE": "COMPLETED",
    "FINISHED": "COMPLETED",
    "FAILURE": "FAILED",
    "ERROR": "FAILED",
    "ERRORED": "FAILED",
    "IN_QUEUE": "QUEUED",
    "IN_PROGRESS": "PROCESSING",
    "RUNNING": "PROCESSING",
    "STARTED": "PROCESSING",
}


# -- the query --------------------------------------------------------------------


def record_url(history_url: str, request_id: str) -> str:
    if not request_id:
        raise ValueError("a request id is required")
    return f"{history_url}/request-history/{quote(request_id, safe='')}"


def page_url(history_url: str, query: Mapping[str, str]) -> str:
    return f"{history_url}/request-history?{urlencode(query)}"


class HistoryQuery(TypedDict, total=False):
    """The keywords of ``Client.history_page``; every one may be left out."""

    from_date: date | None
    to_date: date | None
    model: str | None
    status: str | None
    page: int
    per_page: int
    sort_by: str | None
    sort_order: str | None


def page_query(
    *,
    from_date: date | None = None,
    to_date: date | None = None,
    model: str | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    sort_by: str | None = None,
    sort_order: str | None = None,
    today: date | None = None,
) -> dict[str, str]:
    """The query of one history page, or :class:`InvalidParams` before anything is sent.

    With either date given both are sent (the end defaulting to today, UTC;
    the start to 7 days before the end), so the window checked here is the
    one the service applies.
    """
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise InvalidParams(f"page must be a whole number from 1, not {page!r}", param="page")
    if isinstance(per_page, bool) or not isinstance(per_page, int):
        raise InvalidParams(f"per_page must be a whole number, not {per_page!r}", param="per_page")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidParams(
            f"per_page must be between 1 and {MAX_PER_PAGE}, not {per_page}", param="per_page"
        )
    query = {"page": str(page), "per_page": str(per_page)}
    if from_date is not None or to_date is not None:
        end = _day(to_date, "to_date") or today or datetime.now(UTC).date()
        start = _day(from_date, "from_date") or end - timedelta(days=DEFAULT_WINDOW_DAYS)
        if end < start:
            raise InvalidParams(
                f"the history window ends ({end}) before it starts ({start}); swap the dates",
                param="to_date",
            )
        days = (end - start).days + 1
        if days > MAX_WINDOW_DAYS:
            raise InvalidParams(
                f"the history window {start} to {end} spans {days} days; the service allows "
                f"at most {MAX_WINDOW_DAYS} a call: split it",
                param="from_date",
            )
        query.update(from_date=start.isoformat(), to_date=end.isoformat())
    if model:
        query["model_name"] = model
    if status is not None:
        query["status"] = _choice(status.upper(), FILTER_STATUSES, "status")
    if sort_by is not None:
        query["sort_by"] = _choice(sort_by, SORT_BY, "sort_by")
    if sort_order is not None:
        query["sort_order"] = _choice(sort_order.lower(), SORT_ORDER, "sort_order")
    return query


def _day(value: date | None, name: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if not isinstance(value, date):
        raise InvalidParams(f"{name} must be a datetime.date, not {value!r}", param=name)
    return value


def _choice(value: str, allowed: Sequence[str], name: str) -> str:
    if value not in allowed:
        raise InvalidParams(
            f"{name} must be one of {', '.join(allowed)}, not {value!r}", param=name
        )
    return value


# -- the answers ------------------------------------------------------------------


def not_in_history(exc: NotFound, request_id: str) -> NotFound:
    """A 404 on the record route, told in the history's terms (its records never expire)."""
    return NotFound(
        f"request {request_id} is not in your request history (HTTP 404); check the id: "
        "only the key's own account's requests are listed",
        status_code=exc.status_code,
        detail=exc.detail,
        request_id=request_id,
    )


def read_record(response: httpx.Response, request_id: str) -> HistoryRecord:
    """The record route's answer: the row itself, or under ``data`` and the like, or in a list.

    The row naming the id asked for is preferred; else the first row read.
    """
    body = _json(response)
    candidates: list[Any] = [body]
    if isinstance(body, Mapping):
        candidates += [body.get(key) for key in RECORD_KEYS]
    rows = [r for c in candidates for r in (c if isinstance(c, list) else [c])]
    records = [r for r in map(read_row, rows) if r is not None]
    record = next((r for r in records if r.request_id == request_id), None)
    record = record or next(iter(records), None)
    if record is None:
        raise ApiError(
            f"the history answer for {request_id} (HTTP {response.status_code}) holds no "
            "request record; try again later",
            status_code=response.status_code,
            request_id=request_id,
        )
    return record


def read_page(response: httpx.Response, *, page: int, per_page: int) -> HistoryPage:
    """A page of rows in any envelope the reference allows; repeated request ids once."""
    body = _json(response)
    found = _rows(body)
    if found is None:
        raise ApiError(
            f"the history page answer (HTTP {response.status_code}) holds no list of "
            "records; try again later",
            status_code=response.status_code,
        )
    rows, metas = found
    records: dict[str, HistoryRecord] = {}
    for row in rows:
        record = read_row(row)
        # A request with several outputs comes once per output, each with the whole charge.
        if record is not None and record.request_id not in records:
            records[record.request_id] = record
    page_no = count(_first(metas, PAGE_KEYS)) or page
    size = count(_first(metas, PER_PAGE_KEYS)) or per_page
    total = count(_first(metas, TOTAL_KEYS))
    return HistoryPage(
        records=tuple(records.values()),
        page=page_no,
        per_page=size,
        total=total,
        has_more=_has_more(metas, page_no, size, total),
        raw=body,
    )


def _json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


def _rows(body: Any) -> tuple[list[Any], list[Mapping[str, Any]]] | None:
    """The list of rows and the mappings that may carry the page's figures, nearest first."""
    if isinstance(body, list):
        return body, []
    if not isinstance(body, Mapping):
        return None
    for key in ROW_KEYS:
        value = body.get(key)
        if isinstance(value, list):
            return value, _metas(body)
        if isinstance(value, Mapping):
            for inner in ROW_KEYS:
                rows = value.get(inner)
                if isinstance(rows, list):
                    return rows, [*_metas(value), *_metas(body)]
    if any(key in body and body[key] is None for key in ROW_KEYS):
        return [], _metas(body)  # an empty page written as null
    return None


def _metas(container: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = [container]
    found += [container[k] for k in META_KEYS if isinstance(container.get(k), Mapping)]
    return found


def _first(metas: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> Any:
    for meta in metas:
        for key in keys:
            if meta.get(key) is not None:
                return meta[key]
    return None


def _has_more(
    metas: Sequence[Mapping[str, Any]], page: int, per_page: int | None, total: int | None
) -> bool | None:
    flag = _first(metas, MORE_KEYS)
    if isinstance(flag, bool):
        return flag
    for meta in metas:
        for key in NEXT_KEYS:
            if key in meta:
                return bool(meta[key])
    pages = count(_first(metas, PAGES_KEYS))
    if pages is not None:
        return page < pages
    if total is not None and per_page:
        return page * per_page < total
    return None


def read_row(row: Any) -> HistoryRecord | None:
    """One history (or generations) row; None when it names no request id."""
    if not isinstance(row, Mapping):
        return None
    request_id = text(_get(row, "request_id", "requestId"))
    if not request_id:
        return None
    body = _body(_get(row, "request_body", "requestBody", "parameters", "params", "input"))
    prompt = text(row.get("prompt"))
    if prompt and "prompt" not in body:
        body = {"prompt": prompt, **body}
    error = error_text({"error": _get(row, "error", "error_message", "errorMessage")})
    return HistoryRecord(
        request_id=request_id,
        model=text(_get(row, "model_name", "modelName", "model", "slug")),
        status=normalise_status(_get(row, "model_status", "modelStatus", "status")),
        charge=number(_get(row, "credits_deduction", "creditsDeduction", "cost")),
        request_body=body,
        generation_url=output_url(
            _get(row, "generation_url", "generationUrl", "output_url", "output")
        ),
        latency_ms=number(_get(row, "latency_ms", "latencyMs", "latency")),
        created=parse_timestamp(_get(row, *CREATED_KEYS)),
        updated=parse_timestamp(_get(row, *UPDATED_KEYS)),
        error=error,
        raw=row,
    )


def _get(row: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        value = row.get(key)
        if value is not None:
            return value
    return None


def _body(value: Any) -> Mapping[str, Any]:
    """The inputs as sent: an object, or an object written as a JSON string."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def normalise_status(value: Any) -> str | None:
    """Upper case, in our spelling: ``success`` is COMPLETED, ``error`` FAILED, and so on."""
    name = text(value)
    if not name:
        return None
    key = "_".join(name.strip().upper().replace("-", " ").split())
    return _STATUS_SYNONYMS.get(key, key)


def parse_timestamp(value: Any) -> datetime | None:
    """An aware UTC datetime from ISO-8601 (naive = UTC), RFC 2822, or an epoch number.

    An epoch is taken as seconds, or milli-, micro- or nanoseconds when its
    size says so (seconds that large would be past the year 5000).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    if not isinstance(value, str) or not value.strip():
        return None
    stamp = value.strip()
    try:
        return _from_epoch(float(stamp))
    except ValueError:
        pass
    when: datetime | None
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        try:
            when = parsedate_to_datetime(stamp)
        except (TypeError, ValueError, IndexError):
            return None
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _from_epoch(stamp: float) -> datetime | None:
    if not math.isfinite(stamp) or stamp < 0:
        return None
    for above, scale in ((1e17, 1e9), (1e14, 1e6), (1e11, 1e3)):
        if stamp > above:
            stamp /= scale
            break
    try:
        return datetime.fromtimestamp(stamp, UTC)
    except (OverflowError, OSError, ValueError):
        return None

"""What the job driver concludes from what the service says, in one place.

Pure functions and constants: is a 404 final, is a state one of the
service's four, is a metric a plausible figure, is an ``error`` a passing
note or a job's outcome. Kept apart from :mod:`.session` so each rule can be
read, tested and changed (a request-history lookup for a 404 past the hour)
on its own.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from .._core.config import Settings
from .._core.errors import LtxError
from .._core.status import JobStatus
from .._service.replies import ResultReply
from .._storage.records import JobRecord

__all__ = [
    "INTERRUPTED_SUBMIT",
    "MAX_SECONDS",
    "RESULT_TTL",
    "SUBMIT_GRACE",
    "gone",
    "is_not_found_note",
    "is_note",
    "known",
    "not_found_is_final",
    "plausible",
    "request_id_of",
    "result_fields",
    "same_service",
]

# Records expire an hour after submit on the real service; output files live longer.
RESULT_TTL = timedelta(hours=1)
# A row still SUBMITTING this long after it was written is a crash's leftover: no submit
# takes so long (the client's waits within one call add up to two minutes at most).
SUBMIT_GRACE = timedelta(minutes=10)
# A 404 on /v2 within the hour that lasts this many polls, or this long, is asked of the
# request history once: the record may be gone early, and polling it for the hour helps no one.
MISSING_POLLS: Final = 3
MISSING_SECONDS: Final = 30.0
# Notes the driver writes in ``error`` while it works around trouble; cleared once past it.
NOTES: Final = (
    "polling:",
    "fetching the result:",
    "downloading:",
    "uploading:",
    "submit unclear:",
)
KNOWN_STATES: Final = frozenset(
    {JobStatus.QUEUED, JobStatus.PROCESSING, JobStatus.COMPLETED, JobStatus.FAILED}
)
INTERRUPTED_SUBMIT: Final = (
    "the submit was interrupted before the service answered (the kernel stopped): the job "
    "may exist and may be billed; %ltx reconcile (ltx_notebook.reconcile()) looks for it in "
    "your request history, or check your Segmind console, before submitting again"
)
# A week: no metric of one video job is longer; anything else is garbage, not a time.
MAX_SECONDS: Final = 7 * 24 * 3600.0


def not_found_is_final(
    record: JobRecord, *, now: datetime | None = None, ttl: timedelta = RESULT_TTL
) -> bool:
    """Whether a 404 for *record*'s request means it is gone for good.

    The one place that decides. The service keeps a request's record for an
    hour after submit; before that a 404 is momentary (a record not yet
    visible, a load balancer's hiccup), so the job is polled on. Past it, the
    job is looked up in the request history (:mod:`.recovery`).
    """
    submitted = record.submitted_at
    if submitted is None:
        return True
    return (now or datetime.now(UTC)) - submitted >= ttl


def is_note(error: str | None) -> bool:
    """Whether *error* is the driver's note about passing trouble, not a job's outcome."""
    return bool(error) and str(error).startswith(NOTES)


def is_not_found_note(error: str | None) -> bool:
    """Whether *error* is the driver's note that /v2 answered 404 (reconcile takes the row)."""
    return bool(error) and str(error).startswith("polling: not found")


def known(status: str) -> JobStatus | None:
    """One of the service's four states, or None for anything else it might say."""
    try:
        parsed = JobStatus.parse(status)
    except ValueError:
        return None
    return parsed if parsed in KNOWN_STATES else None


def plausible(value: Any, limit: float) -> float | None:
    """*value* as a plausible non-negative figure (at most *limit*), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and 0 <= number <= limit else None


def result_fields(
    record: JobRecord, elapsed: float, fields: dict[str, Any], reply: ResultReply
) -> dict[str, Any]:
    """What to write for a COMPLETED job from its *reply*, with *fields* from the status.

    Metrics are stored as sent, but a figure is used (cost, queue time) only
    when plausible: ``queue_time: 1e308`` is no date to compute.
    """
    metrics = {**(record.metrics or {}), **(fields.get("metrics") or {})}
    metrics.update(reply.metrics or {})
    submitted = record.submitted_at
    fields = {
        **fields,
        "output_url": reply.output_url,
        "metrics": metrics or None,
        "url_expires_at": (submitted or datetime.now(UTC)) + RESULT_TTL,
    }
    cost = plausible(metrics.get("cost"), MAX_SECONDS)  # a dollar bound as loose as a week
    if cost is not None:
        fields["cost"] = cost
    queued = plausible(metrics.get("queue_time"), elapsed)
    if record.started_at is None and submitted and queued is not None:
        # PROCESSING can pass between two polls; the service's own figure says when.
        fields["started_at"] = submitted + timedelta(seconds=queued)
    return fields


def gone(request_id: str | None) -> str:
    """Why a job whose record is gone for good ended EXPIRED."""
    return (
        f"the service no longer knows request {request_id} (records expire 1 hour "
        "after submit); if it ran, its cost shows in your Segmind console"
    )


def same_service(built: Settings | None, now: Settings) -> bool:
    # A client uses only the key and the service's URLs: a new media folder or store must
    # not close it under the jobs being polled with it.
    if built is None:
        return False
    return (built.api_key, built.base_url, built.history_url) == (
        now.api_key,
        now.base_url,
        now.history_url,
    )


def request_id_of(record: JobRecord) -> str:
    # A job is driven only once the service has named it; a row without an id never is.
    if record.request_id is None:
        raise LtxError(f"job {record.id} has no request id to follow")
    return record.request_id

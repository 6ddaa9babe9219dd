"""What a request-history record says about a job's row: pure judgements, no I/O.

The fields to write for a row from its history record, the state of a request
still running there, whether a record is a lost submit's (its model and every
input as sent, made near the submit's time), and how candidates are listed.
Kept apart from :mod:`.recovery`, which reads the history and writes the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from ..._core.status import JobStatus
from ..._service.replies import HistoryRecord
from ..._storage.records import JobRecord
from ..rules import MAX_SECONDS, plausible

__all__ = [
    "GENERATION_TTL",
    "MATCH_SLACK",
    "NOT_BILLED",
    "PENDING",
    "candidates_text",
    "doubt",
    "history_fields",
    "near_submit",
    "pending_status",
    "reopened",
    "request_summary",
    "same_request",
]

# The service keeps an output file 7 days after the run (reference).
GENERATION_TTL: Final = timedelta(days=7)
# How far a history record's creation may lie from the row's submit time and still be
# that submit: the submit's own retries last at most two minutes; clocks disagree a little.
MATCH_SLACK: Final = timedelta(minutes=15)
# The span a record taken without asking must have been made in: from a little before the
# row's submit time (clocks disagree) to the end of the submit's own retries (two minutes).
SURE_BEFORE: Final = timedelta(seconds=30)
SURE_AFTER: Final = timedelta(minutes=2, seconds=30)
PENDING: Final = frozenset({"PENDING", "QUEUED", "PROCESSING"})
NOT_BILLED: Final = (
    "the service has no such request: the submit never became a job and was not billed "
    "(none in your request history matches its model, time and inputs); submit it again "
    "if you want it"
)


def history_fields(record: JobRecord, found: HistoryRecord) -> dict[str, Any] | None:
    """What to write for *record* from its history row; None while the service is on it."""
    charge = plausible(found.charge, MAX_SECONDS)  # a dollar bound as loose as a week
    fields: dict[str, Any] = {} if charge is None else {"cost": charge}
    ended = _ended(record, found)
    if ended is not None:
        fields["completed_at"] = ended
    if found.status == "COMPLETED":
        if not found.generation_url:
            return {
                **fields,
                "status": JobStatus.EXPIRED,
                "error": f"request {found.request_id} COMPLETED, but the request history "
                "names no output URL; its video is in your Segmind console",
            }
        made = found.created or record.submitted_at or datetime.now(UTC)
        return {
            **fields,
            "status": JobStatus.COMPLETED,
            "output_url": found.generation_url,
            "url_expires_at": made + GENERATION_TTL,
            "error": None,
        }
    if found.status == "FAILED":
        reason = found.error or "the service reported FAILED without a reason"
        return {**fields, "status": JobStatus.FAILED, "error": reason}
    if found.status in PENDING or found.status is None:
        return None
    return {
        **fields,
        "status": JobStatus.EXPIRED,
        "error": f"the request history reports status {found.status!r} for request "
        f"{found.request_id}, which this version does not know; ltx_notebook.reconcile() "
        "looks again",
    }


def _ended(record: JobRecord, found: HistoryRecord) -> datetime | None:
    # The service's own end time, so a job found hours later does not teach the ETA
    # that it took hours; None (the store then says "now") when it gives none.
    if found.status not in ("COMPLETED", "FAILED"):
        return None
    start = record.submitted_at
    if found.updated is not None and (start is None or found.updated >= start - MATCH_SLACK):
        return found.updated
    latency = plausible(found.latency_ms, MAX_SECONDS * 1000)
    if start is not None and latency is not None:
        return start + timedelta(milliseconds=latency)
    return None


def pending_status(record: JobRecord, found: HistoryRecord) -> JobStatus:
    """The row's state while the history says the request is not done."""
    if found.status == "PROCESSING":
        return JobStatus.PROCESSING
    if found.status == "QUEUED":
        return JobStatus.QUEUED
    # PENDING covers both: keep what the row knew, or say queued.
    return record.status if record.status is JobStatus.PROCESSING else JobStatus.QUEUED


def same_request(record: JobRecord, found: HistoryRecord) -> bool:
    """Whether *found* is the request *record* sent: its model and every input as sent."""
    if found.model and found.model.strip().lower() != record.model.lower():
        return False
    body = found.request_body
    return all(key in body and _same(body[key], value) for key, value in record.payload.items())


def _same(got: Any, sent: Any) -> bool:
    if isinstance(sent, bool) or isinstance(got, bool):
        return got is sent
    if isinstance(sent, int | float) and isinstance(got, int | float):
        return float(got) == float(sent)
    return bool(got == sent)


def doubt(record: JobRecord, found: HistoryRecord) -> str | None:
    """Why *found*, the one match of *record*'s lost submit, may still be another request.

    None when nothing is missing and everything agrees: its model, its body key for key
    (a ``seed`` or ``fps`` this row never sent is another request), and a creation time
    within the submit's own span. Only then is it taken without asking.
    """
    if not found.model:
        return "its record names no model"
    if found.created is None or record.submitted_at is None:
        return "its record gives no time it was made"
    extra = sorted(set(found.request_body) - set(record.payload))
    if extra:
        return f"it was sent with {', '.join(extra)}, which this job was not"
    made = found.created - record.submitted_at
    if not -SURE_BEFORE <= made <= SURE_AFTER:
        side = "after" if made > timedelta(0) else "before"
        return f"it was made {abs(made.total_seconds()):.0f} s {side} this submit"
    return None


def near_submit(record: JobRecord, found: HistoryRecord) -> bool:
    """Whether *found* was made while *record*'s submit was being sent (give or take)."""
    if found.created is None or record.submitted_at is None:
        return True  # no time to judge by: the model and inputs decide
    return abs(found.created - record.submitted_at) <= MATCH_SLACK


def candidates_text(found: Sequence[HistoryRecord]) -> str:
    return ", ".join(
        f"{r.request_id} ({r.status or '?'}"
        + (f", {r.created:%H:%M:%S} UTC" if r.created else "")
        + ")"
        for r in found
    )


def request_summary(found: HistoryRecord) -> str:
    body = found.request_body
    prompt = str(body.get("prompt", ""))
    shown = prompt if len(prompt) <= 40 else prompt[:39] + "…"
    rest = ", ".join(f"{k}={v}" for k, v in body.items() if k != "prompt")
    return f"{shown!r}" + (f", {rest}" if rest else "")


def reopened(status: JobStatus) -> dict[str, Any]:
    # A row once written as ended goes back to running: its end times no longer hold.
    return {"status": status, "completed_at": None, "queue_s": None, "run_s": None, "total_s": None}

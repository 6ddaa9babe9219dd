"""What the store works out from a row when it changes, so every writer records it alike.

The times a state was first seen and the queue/run/total spans follow from the
status a write sets; the service's own seconds come from its metrics blob,
where it gives them. What a finished job's length is known to be (``known_length``)
is decided here too, once: ``Store.durations`` hands it to the poll schedule, and
``benchmarks/bench_polling.py`` builds its history with it, so the bench learns
what the session would.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from .._core.status import JobStatus
from .records import to_datetime

__all__ = ["CLOCK_SLACK_S", "derive", "known_length", "service_times"]

# Seconds the service's total may stray outside the interval the polls place a job's end
# in and still be taken: the client's clock starts when the submit is sent, the service's
# when it arrives, and a poll's answer is from somewhere within its round trip.
CLOCK_SLACK_S: Final = 0.5


def _seconds(value: datetime | str | float | None) -> float | None:
    return None if value is None else to_datetime(value).timestamp()


def _span(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else round(end - start, 6)


def service_times(
    metrics_json: str | Mapping[str, Any] | None,
) -> tuple[float | None, float | None]:
    """The service's own seconds in a metrics blob (JSON text, or already parsed): its
    total (``total_time``, else ``queue_time + inference_time``) and how long the job
    ran at least (``inference_time``).

    Only ``inference_time`` is promised by the service; either may be None.
    """
    if isinstance(metrics_json, Mapping):
        metrics: Any = metrics_json
    else:
        try:
            metrics = json.loads(metrics_json) if metrics_json else {}
        except ValueError:
            return None, None
    if not isinstance(metrics, dict):
        return None, None

    def number(key: str) -> float | None:
        value = metrics.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value) if math.isfinite(value) and value >= 0 else None

    total, queue, inference = number("total_time"), number("queue_time"), number("inference_time")
    if not total and queue is not None and inference:
        total = queue + inference
    return total or None, inference


def known_length(
    seen_running_s: float | None,
    seen_done_s: float | None,
    metrics: str | Mapping[str, Any] | None,
) -> tuple[float, float] | None:
    """What a finished job's length is known to be, in seconds: ``(lo, hi)``, or None.

    *seen_running_s* is when a poll last saw the job running and *seen_done_s* when one
    first saw it done, both in seconds after the submit (None: no such poll); *metrics*
    the service's blob. The job ended after the first (and ran at least its
    ``inference_time``) and by the second. The service's own total is not promised, so
    it is taken as the exact length (``lo == hi``) only where it falls inside that
    interval, give or take ``CLOCK_SLACK_S``, or where it is all there is. None when
    nothing is known, or the polls and the service contradict each other.
    """
    total, ran = service_times(metrics)
    lo = max(seen_running_s or 0.0, ran or 0.0)
    if seen_done_s is None or (
        total is not None and lo - CLOCK_SLACK_S <= total <= seen_done_s + CLOCK_SLACK_S
    ):
        return None if total is None else (total, total)
    return (lo, float(seen_done_s)) if lo < seen_done_s else None


def derive(row: dict[str, Any], changes: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """*changes* to *row*, with what follows from them: ``updated_at``, the first
    PROCESSING time, the completion time and the queue/run/total spans."""
    changes["updated_at"] = now
    status = changes.get("status")
    if status is None:
        return changes
    merged = {**row, **changes}
    if status is JobStatus.PROCESSING and merged["started_at"] is None:
        changes["started_at"] = merged["started_at"] = now
    if status.is_terminal:
        if merged["completed_at"] is None:
            changes["completed_at"] = merged["completed_at"] = now
        submitted, started, done = (
            _seconds(merged[name]) for name in ("submitted_at", "started_at", "completed_at")
        )
        derived = {
            "queue_s": _span(submitted, started),
            "run_s": _span(started, done),
            "total_s": _span(submitted, done),
        }
        for name, value in derived.items():
            if name not in changes and value is not None:
                changes[name] = max(0.0, value)
    return changes

"""What the store works out from a row when it changes, so every writer records it alike.

The times a state was first seen and the queue/run/total spans follow from the
status a write sets; the service's own seconds come from its metrics blob,
where it gives them (the client's lateness would inflate the ETA history).
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from .._core.status import JobStatus
from .records import to_datetime

__all__ = ["derive", "service_times"]


def _seconds(value: datetime | str | float | None) -> float | None:
    return None if value is None else to_datetime(value).timestamp()


def _span(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else round(end - start, 6)


def service_times(metrics_json: str | None) -> tuple[float | None, float | None]:
    """The service's own seconds in a metrics blob: its total (``total_time``, else
    ``queue_time + inference_time``) and how long the job ran at least (``inference_time``).

    Only ``inference_time`` is promised by the service; either may be None.
    """
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

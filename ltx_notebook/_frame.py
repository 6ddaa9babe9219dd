"""DataFrames over the job store: ``history()`` now, comparisons later.

Columns are typed so that filtering and grouping behave: timestamps are
timezone-aware datetimes, counts are nullable integers (a job still running
has no width yet), and enumerations are categoricals.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ._params import MODELS, RESOLUTIONS
from ._store import JobStatus, Store

__all__ = ["history_frame"]

# The columns every history frame starts with, in order; any others follow.
LEADING = [
    "request_id",
    "model",
    "prompt",
    "duration",
    "resolution",
    "generate_audio",
    "image",
    "status",
    "error",
    "submitted_at",
    "completed_at",
    "total_s",
    "cost",
    "output_url",
    "video_path",
]
HIDDEN = {"params_json", "metrics_json", "status_url", "response_url"}
DATETIMES = ("submitted_at", "started_at", "completed_at", "url_expires_at", "updated_at")
INTS = ("id", "duration", "file_bytes", "video_width", "video_height", "rating")
FLOATS = ("queue_s", "run_s", "total_s", "cost", "cost_estimate", "video_seconds", "video_fps")
BOOLS = ("generate_audio", "has_audio")


def history_frame(store: Store, **filters: Any) -> pd.DataFrame:
    """One row per job (newest first), filtered by equality on any column."""
    frame = pd.DataFrame.from_records(store.rows(**filters), columns=list(store.columns))
    columns = LEADING + [c for c in frame.columns if c not in LEADING and c not in HIDDEN]
    frame = frame.reindex(columns=columns)
    for name in DATETIMES:
        if name in frame:
            frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
    for name in INTS:
        if name in frame:
            frame[name] = pd.array(frame[name], dtype="Int64")
    for name in FLOATS:
        if name in frame:
            frame[name] = pd.array(frame[name], dtype="Float64")
    for name in BOOLS:
        if name in frame:
            frame[name] = pd.array(frame[name].map(_to_bool), dtype="boolean")
    frame["status"] = pd.Categorical(frame["status"], categories=[s.value for s in JobStatus])
    frame["model"] = pd.Categorical(frame["model"], categories=list(MODELS))
    frame["resolution"] = pd.Categorical(frame["resolution"], categories=list(RESOLUTIONS))
    if "id" in frame:
        frame = frame.set_index("id")
    return frame


def _to_bool(value: Any) -> Any:
    return pd.NA if value is None or value is pd.NA else bool(value)

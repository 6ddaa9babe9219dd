"""The job store as a typed pandas DataFrame: what ``history()`` returns.

Columns are typed so that filtering and grouping behave: timestamps are
timezone-aware datetimes, counts are nullable integers (a job still running
has no width yet), and enumerations are categoricals.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from .._core.catalog import CATALOG
from .._core.params import PARAM_NAMES, RESOLUTIONS
from .._core.status import JobStatus
from .store import Store

__all__ = ["frame_of_rows", "history_frame", "typed"]

# The columns every history frame starts with, in order; any others follow.
LEADING = [
    "request_id",
    *PARAM_NAMES,
    "seed",
    "status",
    "error",
    "submitted_at",
    "completed_at",
    "total_s",
    "cost",
    "cost_estimate",
    "tag",
    "owner",
    "rating",
    "notes",
    "output_url",
    "video_path",
]
HIDDEN = {"params_json", "metrics_json", "status_url", "response_url"}
DATETIMES = ("submitted_at", "started_at", "completed_at", "url_expires_at", "updated_at")
INTS = (
    "id",
    "job_id",
    "duration",
    "file_bytes",
    "video_width",
    "video_height",
    "rating",
    "seed",
)
FLOATS = ("queue_s", "run_s", "total_s", "cost", "cost_estimate", "video_seconds", "video_fps")
BOOLS = ("generate_audio", "has_audio")
# Known values first, in catalog order; a value outside them (an older or newer
# catalog's) is appended rather than turned into NaN.
CATEGORIES = {
    "status": [s.value for s in JobStatus],
    "model": list(CATALOG),
    "resolution": list(
        dict.fromkeys(
            [
                *RESOLUTIONS,
                *(
                    str(c)
                    for m in CATALOG.values()
                    for p in m.params
                    if p.name == "resolution"
                    for c in p.choices or ()
                ),
            ]
        )
    ),
}


def history_frame(store: Store, **filters: Any) -> pd.DataFrame:
    """One row per job (newest first), filtered by equality on any column."""
    return frame_of_rows(store.rows(**filters), store.columns)


def frame_of_rows(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    """The typed frame of rows *already read* from the store (``Store.rows``).

    Split from :func:`history_frame` so a caller that needs more of the rows
    than the frame keeps (the sent payload, for one) reads the store once.
    """
    frame = _with_model_params(pd.DataFrame.from_records(list(rows), columns=list(columns)))
    order = LEADING + [c for c in frame.columns if c not in LEADING and c not in HIDDEN]
    frame = typed(frame.reindex(columns=order))
    if "id" in frame:
        frame = frame.set_index("id")
    return frame


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Give *frame*'s job columns, whichever it has, the types ``history()`` promises.

    Nullable ints, floats and booleans, UTC datetimes, and categoricals for the
    enums; shared by every frame of jobs so they compare and concatenate alike.
    """
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
    for name, categories in CATEGORIES.items():
        if name in frame:
            seen = [v for v in dict.fromkeys(frame[name].dropna()) if v not in categories]
            frame[name] = pd.Categorical(frame[name], categories=[*categories, *seen])
    return frame


def _with_model_params(frame: pd.DataFrame) -> pd.DataFrame:
    """Each job's own params beside the common columns, from the body that was sent.

    ``params`` holds them whole (a dict: ``frame[frame.params.map(lambda p: p.get("fps")
    == 24)]``); ``seed`` and one ``param_<name>`` column per name make them filterable.
    """
    bodies = [_body(text) for text in frame.get("params_json", pd.Series([], dtype=object))]
    frame["params"] = pd.Series(bodies, index=frame.index, dtype=object)
    frame["seed"] = [b.get("seed") if _whole(b.get("seed")) else None for b in bodies]
    for name in sorted({k for b in bodies for k in b} - {"seed", *PARAM_NAMES}):
        values = [b.get(name) for b in bodies]
        frame[f"param_{name}"] = pd.Series(values, index=frame.index, dtype=object)
    return frame


def _body(text: Any) -> dict[str, Any]:
    try:
        body = json.loads(text) if isinstance(text, str) and text else {}
    except ValueError:
        return {}
    return {k: v for k, v in body.items() if k != "prompt"} if isinstance(body, dict) else {}


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _to_bool(value: Any) -> Any:
    return pd.NA if value is None or value is pd.NA else bool(value)

"""One job as the store holds it: :class:`JobRecord`, and the conversions of its values.

Timestamps are stored as ISO-8601 UTC text of one fixed shape and held here as
timezone-aware ``datetime``; paths as :class:`~pathlib.Path`; flags as bool.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from .._core.errors import redact
from .._core.params import Params
from .._core.status import JobStatus

__all__ = [
    "BOOL_COLUMNS",
    "FIELD_NAMES",
    "PATH_COLUMNS",
    "TIME_COLUMNS",
    "JobRecord",
    "clean_base_url",
    "owned_by",
    "to_datetime",
    "to_iso",
]


@dataclass(frozen=True)
class JobRecord:
    """One row of the ``jobs`` table. Times are timezone-aware UTC datetimes."""

    id: int
    request_id: str | None
    model: str
    prompt: str
    duration: int
    resolution: str
    generate_audio: bool
    image: str | None
    params_json: str
    status: JobStatus
    error: str | None = None
    submitted_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    queue_s: float | None = None
    run_s: float | None = None
    total_s: float | None = None
    metrics_json: str | None = None
    cost: float | None = None
    cost_estimate: float | None = None
    output_url: str | None = None
    url_expires_at: datetime | None = None
    status_url: str | None = None
    response_url: str | None = None
    video_path: Path | None = None
    file_bytes: int | None = None
    video_seconds: float | None = None
    video_width: int | None = None
    video_height: int | None = None
    video_fps: float | None = None
    has_audio: bool | None = None
    poster_path: Path | None = None
    sweep_id: str | None = None
    tag: str | None = None
    rating: int | None = None
    notes: str | None = None
    base_url: str | None = None
    updated_at: datetime | None = None
    # Model + exact body hashed (see _core.request_key): what the re-run guard matches on.
    request_key: str | None = None
    origin: str | None = None  # None: submitted from here; "history": imported
    # Seconds after submit when a poll last saw the job running (its end lies after it).
    seen_running_s: float | None = None
    owner: str | None = None  # who made the row (configure(user=...)); None before 0006
    kernel: str | None = None  # the kernel driving it now (its polls and download)
    lease_until: datetime | None = None  # when that kernel's claim lapses unless renewed

    @property
    def imported(self) -> bool:
        """Whether the job ran elsewhere and came in from the request history."""
        return self.origin is not None

    @property
    def params(self) -> Params:
        """The job's parameters. Not re-validated: a local image may have moved since."""
        return Params.from_payload(
            self.model, {**self.payload, "prompt": self.prompt}, image=self.image
        )

    @property
    def payload(self) -> dict[str, Any]:
        """The JSON body that was (or is about to be) sent."""
        body: dict[str, Any] = json.loads(self.params_json)
        return body

    @property
    def metrics(self) -> dict[str, Any]:
        return json.loads(self.metrics_json) if self.metrics_json else {}

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> JobRecord:
        # Columns this version does not know (a newer schema) are ignored, so an
        # older ltx-notebook can still read a store a newer one has migrated.
        row = dict(row)
        values = {name: row[name] for name in FIELD_NAMES if name in row}
        values["status"] = JobStatus.parse(values["status"])
        for name in BOOL_COLUMNS:
            if values.get(name) is not None:
                values[name] = bool(values[name])
        for name in PATH_COLUMNS:
            if values.get(name) is not None:
                values[name] = Path(values[name])
        for name in TIME_COLUMNS:
            if values.get(name) is not None:
                values[name] = to_datetime(values[name])
        return cls(**values)


FIELD_NAMES: Final = tuple(f.name for f in fields(JobRecord))
BOOL_COLUMNS: Final = ("generate_audio", "has_audio")
PATH_COLUMNS: Final = ("video_path", "poster_path")
TIME_COLUMNS: Final = (
    "submitted_at",
    "started_at",
    "completed_at",
    "url_expires_at",
    "updated_at",
    "lease_until",
)


def owned_by(user: str) -> list[str | None]:
    """The ``owner`` values of *user*'s rows: theirs, and rows made before owners were
    recorded (a personal store upgraded in place stays its owner's)."""
    return [user, None]


def clean_base_url(url: str | None) -> str | None:
    """*url* without credentials, query or fragment: which service, never how we logged in."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return redact(urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", "")))


def to_datetime(value: datetime | str | float) -> datetime:
    """A UTC-aware datetime from what callers hand us (naive means local, as in Python)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, str):
        return datetime.fromisoformat(value).astimezone(UTC)
    return datetime.fromtimestamp(float(value), UTC)


def to_iso(value: datetime | str | float) -> str:
    # One fixed shape (always microseconds, always +00:00) so text order is time order.
    return to_datetime(value).isoformat(timespec="microseconds")

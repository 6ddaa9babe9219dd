"""Which jobs a review shows, and how they are laid out in rows and columns.

The gallery widget and the static pages share what is here: which records a
source names (:func:`collect`), how they are grouped by two parameters
(:func:`layout`), and where each record's files are, or why they are not.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Final

from .._core.config import get_settings
from .._core.params import RESOLUTIONS
from .._core.status import PENDING, REFUSED, SKIPPED, SUBMITTING, JobStatus
from .._jobs.job import Job
from .._jobs.session import Session
from .._jobs.sweeps.scheduler import SweepItem
from .._jobs.sweeps.sweep import Sweep
from .._storage.cache import playable
from .._storage.records import JobRecord
from .._storage.store import Store
from . import frontend as _frontend

__all__ = [
    "Grid",
    "collect",
    "layout",
    "missing_reason",
    "plan_records",
    "playable_file",
    "poster_file",
    "relative_src",
    "session_of",
    "video_file",
]

_FIELDS: Final = frozenset(f.name for f in fields(JobRecord))


def collect(
    source: Any, *, session: Session | None = None, store: Store | None = None
) -> tuple[Store, list[JobRecord]]:
    """The store and the freshly read records a *source* names, in its order.

    *source*: a history DataFrame (rows by local id, as ``history()`` returns),
    a Job, a Sweep or any iterable of Jobs, JobRecords or local ids. Records are
    re-read from the store (in one query) so ratings and notes are current.
    The store is *store*, else *session*'s, else that of the first Job's session, else the one the
    settings name (the default session's).
    """
    # A DataFrame can only exist once pandas is imported: no need to import it to ask.
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(source, pandas.DataFrame):
        ids = source["id"] if "id" in source.columns else source.index
        # A sweep's frame() has rows with no id: combinations not sent (yet), no job to show.
        items: list[Any] = [int(i) for i in ids if not pandas.isna(i)]
    elif isinstance(source, Sweep):
        # Its jobs so far, in plan order: iterating a Sweep waits for submits, a view must not.
        items = [item.job for item in source.items if item.job is not None]
        session = session or source.session
    elif isinstance(source, Job | JobRecord | int):
        items = [source]
    elif isinstance(source, Iterable) and not isinstance(source, str | bytes):
        items = list(source)
    else:
        raise TypeError(
            f"expected Jobs, a Sweep, a history DataFrame or job ids, not {type(source).__name__}"
        )
    owner = next((i for i in items if isinstance(i, Job)), None)
    if store is not None:
        pass
    elif session is not None:
        store = session.store
    elif owner is not None:
        store = owner.session.store
    else:
        store = Store(get_settings().store_path)
    for item in items:
        if isinstance(item, bool) or not isinstance(item, Job | JobRecord | int):
            raise TypeError(f"cannot show {type(item).__name__} {item!r}: expected a Job or an id")
    # One query for every record, however many: a gallery of 5,000 clips must not
    # open 5,000 connections to the store.
    fresh = store.get_many(item if isinstance(item, int) else item.id for item in items)
    records: list[JobRecord] = []
    missing: list[int] = []
    for item in items:
        if isinstance(item, Job):
            records.append(fresh.get(item.id) or item.record)
        elif isinstance(item, JobRecord):
            records.append(fresh.get(item.id) or item)
        elif item in fresh:
            records.append(fresh[item])
        else:
            missing.append(item)
    if missing:
        raise KeyError(f"no job with id {', '.join(map(str, missing))} in {store.path}")
    return store, records


def session_of(source: Any) -> Session | None:
    """The session a *source* of :func:`collect` names: a Sweep's, its first Job's, else None."""
    if isinstance(source, Sweep):
        return source.session
    items = [source] if isinstance(source, Job) else source
    if isinstance(items, list | tuple):
        job = next((i for i in items if isinstance(i, Job)), None)
        if job is not None and isinstance(job.session, Session):
            return job.session
    return None


# Why a combination of a sweep has no job, by its state (see plan_records).
_NO_JOB: Final = {
    PENDING: "waiting to be sent",
    SUBMITTING: "being sent",
    REFUSED: "refused by the service, nothing was created or billed",
    SKIPPED: "never sent: the sweep was stopped first",
}


def plan_records(sweep: Sweep, store: Store) -> tuple[list[JobRecord], dict[int, str]]:
    """One record per combination of *sweep*'s plan, in plan order, and the sweep state of each.

    A combination with a job is its record, freshly read; one without a job
    (not sent yet, or never) is a stand-in made from its params, with id
    ``-(index + 1)`` and no request id, whose ``error`` says why it has no
    video, so a view of the sweep has a place for every combination from the start.
    """
    fresh = store.get_many(item.job.id for item in sweep.items if item.job is not None)
    records: list[JobRecord] = []
    states: dict[int, str] = {}
    for item in sweep.items:
        state = item.refresh()
        if item.job is not None:
            record = fresh.get(item.job.id) or item.job.record
        else:
            record = _stand_in(item, state, sweep)
        states[record.id] = state
        records.append(record)
    return records, states


def _stand_in(item: SweepItem, state: str, sweep: Sweep) -> JobRecord:
    why = _NO_JOB.get(state, f"no job ({state})")
    params = item.params
    return JobRecord(
        id=-(item.index + 1),
        request_id=None,
        model=params.model,
        prompt=params.prompt,
        duration=params.duration,
        resolution=params.resolution,
        generate_audio=params.generate_audio,
        image=params.image,
        params_json=json.dumps(params.payload(), default=str),
        status=JobStatus.SUBMITTING,
        error=f"{why}: {item.error}" if item.error else why,
        cost_estimate=item.estimate,
        sweep_id=sweep.sweep_id,
        tag=sweep.tag,
    )


@dataclass(frozen=True)
class Grid:
    """Records laid out by two parameters. A ``None`` parameter has the single value ``None``."""

    row: str | None
    col: str | None
    rows: tuple[Any, ...]
    cols: tuple[Any, ...]
    cells: Mapping[tuple[int, int], tuple[JobRecord, ...]]
    records: tuple[JobRecord, ...]

    def cell(self, r: int, c: int) -> tuple[JobRecord, ...]:
        return self.cells.get((r, c), ())

    def position(self, job_id: int) -> tuple[int, int]:
        for key, records in self.cells.items():
            if any(rec.id == job_id for rec in records):
                return key
        raise KeyError(job_id)

    @property
    def flat(self) -> bool:
        return self.row is None and self.col is None


def _check_param(name: str | None) -> None:
    if name is not None and name not in _FIELDS:
        raise ValueError(f"cannot group by {name!r}; known fields: {', '.join(sorted(_FIELDS))}")


def _ordered(param: str | None, values: Iterable[Any]) -> tuple[Any, ...]:
    distinct = list(dict.fromkeys(values))
    known = [v for v in distinct if v is not None]
    tail = [None] if None in distinct else []
    if param == "resolution":
        rank = {r: i for i, r in enumerate(RESOLUTIONS)}
        known.sort(key=lambda v: (rank.get(v, len(rank)), str(v)))
    elif all(isinstance(v, bool) for v in known) or all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in known
    ):
        known.sort()
    elif param == "status":
        order = list(JobStatus)
        known.sort(key=lambda v: order.index(JobStatus(v)) if v in order else len(order))
    return tuple(known + tail)


def _value(record: JobRecord, param: str | None) -> Any:
    if param is None:
        return None
    value = getattr(record, param)
    return value.value if isinstance(value, JobStatus) else value


def layout(records: Iterable[JobRecord], row: str | None, col: str | None) -> Grid:
    """Group *records* into a grid: rows by *row*'s values, columns by *col*'s.

    Values are ordered naturally (resolutions 1080p < 2k < 4k, numbers and
    booleans ascending, anything else in order of first appearance); records
    sharing a cell keep their order.
    """
    _check_param(row)
    _check_param(col)
    records = tuple(records)
    rows = _ordered(row, (_value(r, row) for r in records)) or (None,)
    cols = _ordered(col, (_value(r, col) for r in records)) or (None,)
    cells: dict[tuple[int, int], list[JobRecord]] = {}
    for record in records:
        key = (rows.index(_value(record, row)), cols.index(_value(record, col)))
        cells.setdefault(key, []).append(record)
    return Grid(
        row=row,
        col=col,
        rows=rows,
        cols=cols,
        cells={k: tuple(v) for k, v in cells.items()},
        records=records,
    )


def video_file(record: JobRecord) -> Path | None:
    """The record's video as a local file to play, or None.

    With the videos in a bucket (``media_dir`` a URL), a clip this kernel has
    not got (a teammate's, or one evicted) is fetched into the cache.
    """
    return playable(get_settings(), record.video_path)


def playable_file(record: JobRecord) -> Path | None:
    """The file a ``<video>`` here plays for *record* (see :func:`.frontend.playable`).

    A clip known to have no sound needs no copy: its file as it is.
    """
    video = video_file(record)
    if video is None or record.has_audio is False:
        return video
    return _frontend.playable(video)


def poster_file(record: JobRecord) -> Path | None:
    """The record's poster as a local file, fetched into the cache like :func:`video_file`."""
    return playable(get_settings(), record.poster_path)


def missing_reason(record: JobRecord) -> str | None:
    """Why a tile has no video (``None`` when it has one)."""
    if video_file(record) is not None:
        return None
    if record.id <= 0:  # a sweep's combination with no job (plan_records): error says why
        return record.error or "not sent yet"
    if record.status is JobStatus.COMPLETED:
        if record.video_path:
            return f"video file {Path(record.video_path).name} is missing"
        return "video not downloaded (%ltx show ID fetches it while the service keeps it)"
    if record.status.is_terminal:
        why = f"job ended {record.status.value}"
        return f"{why}: {record.error}" if record.error else why
    return f"job is {record.status.value}"


def relative_src(path: Path, base_dir: Path | None = None) -> str:
    """*path* relative to *base_dir* (default: the working directory), POSIX style."""
    base = Path(base_dir or Path.cwd())
    try:
        rel = os.path.relpath(path.resolve(), base.resolve())
    except ValueError:  # another drive on Windows
        rel = str(path.resolve())
    return Path(rel).as_posix()

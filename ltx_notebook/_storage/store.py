"""Every job, in one SQLite file that survives kernel restarts.

A row is written *before* the submit is sent (status ``SUBMITTING``), so a
crash mid-submit is still on record, and updated at each change of state. The
store knows nothing of HTTP: callers hand it plain values.

Concurrency. The file is shared by the runtime thread, the main thread and
other kernels: the journal is WAL (readers never block the writer, nor the
writer readers), and :mod:`.sqlite` opens a short connection per operation,
takes the write lock up front, and bounds every wait. Writes about work already
sent wait :data:`BUSY_TIMEOUT_S`; everything else the shorter
:data:`~.sqlite.QUICK_TIMEOUT_S`. Every failure of the file itself leaves as one
:class:`~ltx_notebook._core.errors.StoreError` naming the file and what to do.

Timestamps are stored as **ISO-8601 UTC text with a fixed shape**
(``2025-01-31T09:05:00.123456+00:00``): readable with any SQLite tool, sorted
chronologically by plain text order, and parsed by
``pandas.to_datetime(col, utc=True, format="ISO8601")``. :class:`JobRecord`
holds them as timezone-aware ``datetime``; ``update`` accepts a ``datetime``,
an ISO string or epoch seconds.

Schema changes are migrations: :data:`MIGRATIONS` is an ordered list, the file
records how many were applied in ``PRAGMA user_version``, and opening a store
applies the rest inside one write transaction. Adding a column means appending
a migration *and* a field (defaulting to ``None``) to :class:`JobRecord`; a
test checks the two agree.

No API key is ever written: the store is never given one, ``base_url`` is
stripped of credentials and query strings, and every text value passes through
:func:`ltx_notebook._core.errors.redact` on the way in.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, Final, TypeVar

from .._core.errors import StoreError, redact
from .._core.params import Params
from .._core.request_key import request_key
from .._core.status import JobStatus
from . import sqlite
from .derive import derive, service_times
from .keys import fill_keys
from .records import (
    BOOL_COLUMNS,
    TIME_COLUMNS,
    JobRecord,
    clean_base_url,
    to_datetime,
    to_iso,
)
from .schema import MIGRATIONS, SCHEMA_VERSION
from .sqlite import QUICK_TIMEOUT_S

__all__ = ["Store"]

T = TypeVar("T")

# How long a write that records work already sent (a request id, a state) waits for
# another process's lock: long, because giving up would lose track of a paid job.
BUSY_TIMEOUT_S: Final = 30.0
# Seconds the service's total may stray outside the interval the polls place a job's end
# in and still be taken: the client's clock starts when the submit is sent, the service's
# when it arrives, and a poll's answer is from somewhere within its round trip.
CLOCK_SLACK_S: Final = 0.5
SQLITE_INT_MIN: Final = -(2**63)
SQLITE_INT_MAX: Final = 2**63 - 1


def _fetch(conn: sqlite3.Connection, id: int | None) -> JobRecord:
    # Re-read inside the same transaction rather than RETURNING, which needs
    # SQLite 3.35 and some Python builds still link an older one.
    return JobRecord.from_row(conn.execute("SELECT * FROM jobs WHERE id = ?", (id,)).fetchone())


_JSON_COLUMNS: Final = ("params_json", "metrics_json")
# Friendlier names update() also takes: the dict, stored as its JSON column.
_ALIASES: Final = {"metrics": "metrics_json", "payload": "params_json"}
# Set by the store itself; update() refuses them.
_READ_ONLY: Final = frozenset({"id", "updated_at"})


def _marks(n: int) -> str:
    return ", ".join(["?"] * n)


class Store:
    """The job table in one SQLite file (created with its parent folders).

    Safe to use from several threads and several processes at once. ``clock``
    returns epoch seconds (``time.time``); tests inject a fake one.
    """

    def __init__(self, path: str | os.PathLike[str], *, clock: Callable[[], float] = time.time):
        self.path = Path(path).expanduser()
        self._clock = clock
        self._columns: tuple[str, ...] = ()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
            raise sqlite.fault(exc, self.path, "making its folder", 0) from None
        sqlite.read_only(self.path, None)  # writable again, maybe: a new store tries
        try:
            self._retry(self._open, doing="opening it")
        except StoreError:
            if not self._open_read_only():
                raise

    def _open_read_only(self) -> bool:
        """On a disk it cannot write (a read-only mount, a folder not its own): read it.

        ``mode=ro`` sees a WAL left beside it; ``immutable`` reads a file whose WAL
        index cannot be made there. Writes then fail as read-only, one line.
        """
        if not self.path.is_file() or os.access(self.path.parent, os.W_OK):
            return False
        for query in ("mode=ro", "immutable=1"):
            sqlite.read_only(self.path, query)
            try:
                self._retry(self._read_columns, doing="opening it read-only")
            except StoreError:
                continue
            return True
        sqlite.read_only(self.path, None)
        return False

    def _read_columns(self, wait: float) -> None:
        with self._connect(wait) as conn:
            conn.execute("SELECT count(*) FROM jobs").fetchone()
            self._columns = tuple(r["name"] for r in conn.execute("PRAGMA table_info(jobs)"))

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # -- plumbing -------------------------------------------------------------

    # The file's plumbing lives in .sqlite; these bind it to this store's path.
    def _connect(self, wait: float = QUICK_TIMEOUT_S) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite.connect(self.path, wait)

    def _write(self, wait: float) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite.write(self.path, wait)

    def _retry(
        self, operation: Callable[[float], T], *, doing: str, wait: float = QUICK_TIMEOUT_S
    ) -> T:
        return sqlite.retry(self.path, operation, doing=doing, wait=wait)

    def _open(self, wait: float) -> None:
        with self._connect(wait) as conn:
            # Persistent in the file; outside any transaction, as SQLite requires.
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":  # e.g. a filesystem without shared memory
                raise sqlite3.OperationalError(f"cannot use WAL journal on {self.path}: {mode}")
            if conn.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
                # Up to date: no write lock needed, so a store another process is
                # writing opens at once.
                self._columns = tuple(r["name"] for r in conn.execute("PRAGMA table_info(jobs)"))
                return
        with self._write(wait) as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for statements in MIGRATIONS[version:]:
                for sql in statements:
                    conn.execute(sql)
            if version < SCHEMA_VERSION:
                fill_keys(conn)  # rows older than the re-run guard's key
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._columns = tuple(r["name"] for r in conn.execute("PRAGMA table_info(jobs)"))

    @property
    def schema_version(self) -> int:
        def run(wait: float) -> int:
            with self._connect(wait) as conn:
                return int(conn.execute("PRAGMA user_version").fetchone()[0])

        return self._retry(run, doing="reading its version")

    @property
    def columns(self) -> tuple[str, ...]:
        return self._columns

    def _check_columns(self, names: Iterable[str], *, writing: bool) -> None:
        for name in names:
            if name not in self._columns or (writing and name in _READ_ONLY):
                allowed = sorted(set(self._columns) - (_READ_ONLY if writing else set()))
                raise ValueError(f"unknown job field {name!r}; known: {', '.join(allowed)}")

    def _to_sql(self, name: str, value: Any) -> Any:
        if value is None:
            return None
        if name == "status":
            return JobStatus.parse(value).value
        if name in TIME_COLUMNS:
            return to_iso(value)
        if name in _JSON_COLUMNS and not isinstance(value, str):
            value = json.dumps(value, sort_keys=True, default=str)
        if isinstance(value, Enum):
            value = value.value
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if name == "base_url":
            return clean_base_url(str(value))
        if isinstance(value, str):
            return redact(value)
        return value

    def _where(self, filters: Mapping[str, Any]) -> tuple[str, list[Any]]:
        self._check_columns(filters, writing=False)
        clauses: list[str] = []
        args: list[Any] = []
        for name, value in filters.items():
            if value is None:
                clauses.append(f"{name} IS NULL")
            elif isinstance(value, list | tuple | set | frozenset):
                values = [self._to_sql(name, v) for v in value]
                if not values:
                    clauses.append("0")
                else:
                    clauses.append(f"{name} IN ({_marks(len(values))})")
                    args.extend(values)
            else:
                clauses.append(f"{name} = ?")
                args.append(self._to_sql(name, value))
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), args

    def _select(self, sql: str, args: Iterable[Any] = ()) -> list[sqlite3.Row]:
        def run(wait: float) -> list[sqlite3.Row]:
            with self._connect(wait) as conn:
                return conn.execute(sql, list(args)).fetchall()

        return self._retry(run, doing="reading it")

    # -- writes ---------------------------------------------------------------

    def create(
        self,
        params: Params,
        *,
        cost_estimate: float | None,
        base_url: str | None,
        tag: str | None = None,
        sweep_id: str | None = None,
        payload: Mapping[str, Any] | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> JobRecord:
        """Record a job about to be submitted (status ``SUBMITTING``) and return it.

        *payload* is the exact body to be sent when it differs from
        ``params.payload()`` (a local image replaced by its uploaded URL);
        *fields* are more columns written with the row (an imported job's state).
        """
        created = self._insert(params, cost_estimate, base_url, tag, sweep_id, payload, fields)
        assert created is not None  # a row without a request id conflicts with none
        return created

    def create_if_new(
        self,
        params: Params,
        *,
        cost_estimate: float | None,
        base_url: str | None,
        payload: Mapping[str, Any] | None = None,
        fields: Mapping[str, Any],
    ) -> JobRecord | None:
        """Like :meth:`create` for a row naming its request id (an import); None, and
        nothing written, when another row (another process's import) has that id."""
        return self._insert(
            params, cost_estimate, base_url, None, None, payload, fields, if_new=True
        )

    def _insert(
        self,
        params: Params,
        cost_estimate: float | None,
        base_url: str | None,
        tag: str | None,
        sweep_id: str | None,
        payload: Mapping[str, Any] | None,
        fields: Mapping[str, Any] | None,
        *,
        if_new: bool = False,
    ) -> JobRecord | None:
        now = to_datetime(self._clock())
        body = dict(payload) if payload is not None else params.payload()
        values: dict[str, Any] = {
            **params.as_dict(),
            "params_json": body,
            "request_key": request_key(params.model, params.payload()),
            "status": JobStatus.SUBMITTING,
            "submitted_at": now,
            "cost_estimate": cost_estimate,
            "base_url": base_url,
            "tag": tag,
            "sweep_id": sweep_id,
            "updated_at": now,
        }
        self._check_columns(fields or {}, writing=True)
        values.update(fields or {})
        names = list(values)
        sql = f"INSERT INTO jobs ({', '.join(names)}) VALUES ({_marks(len(names))})"
        if if_new:  # one check-and-insert, so two processes cannot both add the request
            sql += " ON CONFLICT(request_id) DO NOTHING"
        args = [self._to_sql(n, values[n]) for n in names]

        def run(wait: float) -> JobRecord | None:
            with self._write(wait) as conn:
                cursor = conn.execute(sql, args)
                return _fetch(conn, cursor.lastrowid) if cursor.rowcount else None

        # Quick: nothing has been sent yet, so failing here costs nothing.
        return self._retry(run, doing="recording a new job; nothing was sent")

    def update(self, id: int, /, **changes: Any) -> JobRecord:
        """Change some fields of job *id*; return the row as it now is.

        Field names are checked against the schema (``ValueError``); dicts
        given for ``*_json`` fields are serialised (``metrics=`` and
        ``payload=`` are accepted for ``metrics_json`` and ``params_json``);
        times may be ``datetime``, ISO text or epoch seconds. A move to ``PROCESSING``
        sets ``started_at`` (first time only); a move to a terminal status sets
        ``completed_at`` and fills ``queue_s``/``run_s``/``total_s`` from the
        timestamps, unless they are given. ``KeyError`` if there is no such job.
        """
        for alias, column in _ALIASES.items():
            if alias in changes and alias not in self._columns:
                if column in changes:
                    raise ValueError(f"give {alias!r} or {column!r}, not both")
                changes[column] = changes.pop(alias)
        self._check_columns(changes, writing=True)
        if "status" in changes:
            changes["status"] = JobStatus.parse(changes["status"])

        def run(wait: float) -> JobRecord:
            with self._write(wait) as conn:
                row = conn.execute("SELECT * FROM jobs WHERE id = ?", (id,)).fetchone()
                if row is None:
                    raise KeyError(f"no job with id {id} in {self.path}")
                values = derive(dict(row), dict(changes), now=to_datetime(self._clock()))
                names = list(values)
                sql = f"UPDATE jobs SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?"
                conn.execute(sql, [*(self._to_sql(n, values[n]) for n in names), id])
                return _fetch(conn, id)

        doing = f"recording job {id}"
        if changes.get("request_id"):
            # If this fails the error is all that names the paid job: say its id.
            rid = changes["request_id"]
            doing += f" (request id {rid}: keep it, it finds the job: get_job({rid!r}))"
        return self._retry(run, doing=doing, wait=BUSY_TIMEOUT_S)

    def delete(self, id: int, /) -> bool:
        """Remove job *id*'s row; ``True`` if there was one.

        Only for a submit the service surely refused (nothing exists, nothing
        billed): a job that may exist must stay on record.
        """

        def run(wait: float) -> bool:
            with self._write(wait) as conn:
                return conn.execute("DELETE FROM jobs WHERE id = ?", (id,)).rowcount > 0

        return self._retry(run, doing=f"deleting job {id}", wait=BUSY_TIMEOUT_S)

    def reopen(self, id: int, /, *, status: JobStatus, error: str | None) -> JobRecord:
        """Move a job wrongly marked terminal back to *status*, its end times cleared."""
        return self.update(
            id,
            status=status,
            error=error,
            completed_at=None,
            queue_s=None,
            run_s=None,
            total_s=None,
        )

    def settle_submits(
        self, *, before: datetime, keep: Collection[int], error: str
    ) -> list[JobRecord]:
        """Mark UNKNOWN every row still SUBMITTING that was written before *before*.

        Rows whose id is in *keep* (submits still being sent) are left alone.
        One transaction: a submit that answers meanwhile is never overwritten.
        """
        cutoff = to_iso(before)

        def run(wait: float) -> list[JobRecord]:
            with self._write(wait) as conn:
                rows = conn.execute(
                    "SELECT * FROM jobs WHERE status = ? AND submitted_at < ? ORDER BY id",
                    (JobStatus.SUBMITTING.value, cutoff),
                ).fetchall()
                settled = []
                for row in rows:
                    if row["id"] in keep:
                        continue
                    values = derive(
                        dict(row),
                        {"status": JobStatus.UNKNOWN, "error": error},
                        now=to_datetime(self._clock()),
                    )
                    names = list(values)
                    sql = f"UPDATE jobs SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?"
                    conn.execute(sql, [*(self._to_sql(n, values[n]) for n in names), row["id"]])
                    settled.append(_fetch(conn, row["id"]))
                return settled

        return self._retry(run, doing="settling submits a crash cut short", wait=BUSY_TIMEOUT_S)

    # -- reads ----------------------------------------------------------------

    def get(self, id: int) -> JobRecord | None:
        if not SQLITE_INT_MIN <= id <= SQLITE_INT_MAX:
            return None  # no row can have it, and SQLite would refuse to bind it
        rows = self._select("SELECT * FROM jobs WHERE id = ?", (id,))
        return JobRecord.from_row(rows[0]) if rows else None

    def get_many(self, ids: Iterable[int]) -> dict[int, JobRecord]:
        """The records of *ids* that exist, by id, in one query whatever their number.

        The ids travel as one JSON array (``json_each``), not one bound
        variable each: old SQLite builds allow only 999 of those.
        """
        wanted = [int(i) for i in ids if SQLITE_INT_MIN <= int(i) <= SQLITE_INT_MAX]
        if not wanted:
            return {}
        rows = self._select(
            "SELECT * FROM jobs WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(wanted),),
        )
        return {int(r["id"]): JobRecord.from_row(r) for r in rows}

    def get_by_request_id(self, request_id: str) -> JobRecord | None:
        rows = self._select("SELECT * FROM jobs WHERE request_id = ?", (request_id,))
        return JobRecord.from_row(rows[0]) if rows else None

    def find(self, *, limit: int | None = None, **filters: Any) -> list[JobRecord]:
        """Jobs whose columns equal *filters*, newest first.

        ``None`` matches NULL; a list, tuple or set matches any of its values.
        """
        where, args = self._where(filters)
        sql = f"SELECT * FROM jobs{where} ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [JobRecord.from_row(r) for r in self._select(sql, args)]

    def count(self, **filters: Any) -> int:
        where, args = self._where(filters)
        return int(self._select(f"SELECT COUNT(*) FROM jobs{where}", args)[0][0])

    def unfinished(self, *, base_url: str | None = None) -> list[JobRecord]:
        """Jobs the service knows (a request id) that have not ended, oldest first.

        What ``%ltx resume`` re-attaches. Give *base_url* to keep only the jobs
        of one service (the emulator's jobs mean nothing to the real API).
        """
        terminal = sorted(s.value for s in JobStatus.terminal())
        sql = (
            "SELECT * FROM jobs WHERE request_id IS NOT NULL "
            f"AND status NOT IN ({_marks(len(terminal))})"
        )
        args: list[Any] = list(terminal)
        if base_url is not None:
            sql += " AND base_url = ?"
            args.append(clean_base_url(base_url))
        return [JobRecord.from_row(r) for r in self._select(sql + " ORDER BY id", args)]

    def durations(
        self,
        model: str,
        duration: int,
        resolution: str,
        limit: int = 50,
        *,
        base_url: str | None = None,
    ) -> list[tuple[float, float]]:
        """How long the most recent completed jobs with these params took, newest first.

        Each as ``(lo, hi)`` seconds, the interval its end is known to lie in:
        after the last poll that saw it running (and its ``inference_time``, a
        run at least that long), by the first that saw it done (``total_s``).
        ``lo == hi`` when the service's own total fell inside that interval (or
        is all there is): the service does not promise one, and a total the
        polls contradict is not taken. With *base_url*, only jobs of that
        service count: an emulator's timings say nothing about the real service's.
        """
        service = " AND base_url = ?" if base_url is not None else ""
        args: list[Any] = [model, duration, resolution, JobStatus.COMPLETED.value]
        if base_url is not None:
            args.append(clean_base_url(base_url))
        rows = self._select(
            "SELECT seen_running_s, total_s, metrics_json FROM jobs WHERE model = ? "
            f"AND duration = ? AND resolution = ? AND status = ?{service} "
            "AND (total_s IS NOT NULL OR metrics_json IS NOT NULL) "
            "ORDER BY completed_at DESC, id DESC LIMIT ?",
            (*args, int(limit)),
        )
        out: list[tuple[float, float]] = []
        for seen_running, seen_done, metrics_json in rows:
            total, ran = service_times(metrics_json)
            lo = max(seen_running or 0.0, ran or 0.0)
            if seen_done is None or (
                total is not None and lo - CLOCK_SLACK_S <= total <= seen_done + CLOCK_SLACK_S
            ):
                if total is not None:
                    out.append((total, total))
                continue
            if lo < seen_done:
                out.append((lo, float(seen_done)))
        return out

    def rows(self, **filters: Any) -> list[dict[str, Any]]:
        """Every matching row as a plain dict of column values, newest first (for DataFrames).

        Times stay ISO-8601 text; booleans are ``bool``; JSON stays text.
        """
        where, args = self._where(filters)
        out = []
        for row in self._select(f"SELECT * FROM jobs{where} ORDER BY id DESC", args):
            item = dict(row)
            for name in BOOL_COLUMNS:
                if item.get(name) is not None:
                    item[name] = bool(item[name])
            out.append(item)
        return out

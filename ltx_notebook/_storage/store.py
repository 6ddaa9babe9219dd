"""Every job, in one database that survives kernel restarts: a SQLite file, or PostgreSQL.

A row is written *before* the submit is sent (status ``SUBMITTING``), so a
crash mid-submit is still on record, and updated at each change of state. The
store knows nothing of HTTP: callers hand it plain values.

Where. ``Store(path)`` opens a SQLite file (made with its folders), as it
always has; ``Store("postgresql+psycopg://user@host/db")`` a team's server. One
code path serves both: the statements are SQLAlchemy Core (:mod:`.jobs_sql`),
and what differs between the two lives in :mod:`.database`. SQLAlchemy is
imported when a store is first opened, not before.

Concurrency. The store is shared by the runtime thread, the main thread and
other kernels (on other machines, with PostgreSQL). Every write takes its lock
up front (SQLite's ``BEGIN IMMEDIATE``; the row's ``FOR UPDATE`` on
PostgreSQL), so a read-modify-write is never interleaved with another
writer's, and every wait is bounded: writes about work already sent wait
:data:`BUSY_TIMEOUT_S`; everything else the shorter
:data:`~.database.QUICK_TIMEOUT_S`. Every failure of the database leaves as
one :class:`~ltx_notebook._core.errors.StoreError` naming the store and what
to do.

Timestamps are stored as **ISO-8601 UTC text with a fixed shape**
(``2025-01-31T09:05:00.123456+00:00``) on every backend: readable with any
tool, sorted chronologically by plain text order, and parsed by
``pandas.to_datetime(col, utc=True, format="ISO8601")``. :class:`JobRecord`
holds them as timezone-aware ``datetime``; ``update`` accepts a ``datetime``,
an ISO string or epoch seconds.

Schema changes are Alembic migrations shipped in the package (:mod:`.schema`,
``migrations/``), applied when a store is opened. Adding a column means adding
a revision *and* a field (defaulting to ``None``) to :class:`JobRecord`; a test
checks the two agree.

No API key is ever written: the store is never given one, ``base_url`` is
stripped of credentials and query strings, and every text value passes through
:func:`ltx_notebook._core.errors.redact` on the way in. A database URL's
password is registered as a secret, so no message shows it either.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

from .._core.errors import StoreError, redact
from .._core.params import Params
from .._core.request_key import request_key
from .._core.status import JobStatus
from .._core.store_url import shown_location
from .derive import derive, known_length
from .records import (
    BOOL_COLUMNS,
    TIME_COLUMNS,
    JobRecord,
    clean_base_url,
    to_datetime,
    to_iso,
)

if TYPE_CHECKING:
    import sqlalchemy as sa

    from .database import Database

__all__ = ["ADMIT_LOCK", "LeaseLost", "Store"]

T = TypeVar("T")

# Opening, reading and recording a job before it is sent: giving up costs nothing there,
# and a cell must not hang (the same figure as database.QUICK_TIMEOUT_S, which is
# not imported before a store is opened).
QUICK_TIMEOUT_S: Final = 5.0
# How long a write that records work already sent (a request id, a state) waits for
# another process's lock: long, because giving up would lose track of a paid job.
BUSY_TIMEOUT_S: Final = 30.0
SQLITE_INT_MIN: Final = -(2**63)
SQLITE_INT_MAX: Final = 2**63 - 1

# The lock every admitted create takes (Store.create's admit): the budget's and the
# shared pace's checks and the row they let in, one at a time across processes.
ADMIT_LOCK: Final = "submit"

_JSON_COLUMNS: Final = ("params_json", "metrics_json")
# Friendlier names update() also takes: the dict, stored as its JSON column.
_ALIASES: Final = {"metrics": "metrics_json", "payload": "params_json"}
# Set by the store itself; update() refuses them.
_READ_ONLY: Final = frozenset({"id", "updated_at"})


class LeaseLost(Exception):  # a signal between the store and the driver, not an error
    """Another kernel took the job's lease over: this kernel no longer drives it.

    Raised by ``Store.update(..., holder=...)`` instead of writing; not a failure of
    the job, so it is no :class:`~ltx_notebook._core.errors.LtxError`.
    """

    def __init__(self, id: int, kernel: str | None = None) -> None:
        super().__init__(
            f"job {id} is driven by {f'kernel {kernel}' if kernel else 'another kernel'}"
        )
        self.id = id
        self.kernel = kernel


class Store:
    """The job table in a SQLite file (created with its parent folders) or a database URL.

    Safe to use from several threads and several processes at once. ``clock``
    returns epoch seconds (``time.time``); tests inject a fake one. ``path`` is
    the file's ``Path``, or the database URL (its password masked).
    """

    def __init__(
        self, path: str | os.PathLike[str], *, clock: Callable[[], float] = time.time
    ) -> None:
        from .._core.store_url import store_location
        from .database import Database

        try:
            given = store_location(path)
        except ValueError as exc:
            raise StoreError(str(exc), path=str(path)) from None
        self.location = given  # as given: what the session compares its settings with
        self._db: Database = Database(given.expanduser() if isinstance(given, Path) else given)
        self.path: Path | str = self._db.name
        self._clock = clock
        self._table: sa.Table
        try:
            self._retry(self._open, doing="opening it")
        except StoreError:
            if not self._open_read_only():
                raise

    def __repr__(self) -> str:
        return f"Store({shown_location(self.path)!r})"

    @property
    def identity(self) -> Path | str:
        """What names this store wherever the kernel's folder is: a resolved path, or the URL."""
        return self.path.resolve() if isinstance(self.path, Path) else self.path

    # -- plumbing -------------------------------------------------------------

    def _retry(
        self, operation: Callable[[float], T], *, doing: str, wait: float = QUICK_TIMEOUT_S
    ) -> T:
        from .database import retry

        return retry(self._db, operation, doing=doing, wait=wait)

    def reading(self, operation: Callable[[sa.Connection], T], *, doing: str = "reading it") -> T:
        """Run *operation* in one read transaction, retried while the store is locked.

        What the store's other tables (the arena's votes) read through; *doing*
        names the work in the ``StoreError`` a failure becomes.
        """

        def run(wait: float) -> T:
            with self._db.transaction(wait, write=False) as conn:
                return operation(conn)

        return self._retry(run, doing=doing)

    def writing(
        self,
        operation: Callable[[sa.Connection], T],
        *,
        doing: str,
        wait: float = QUICK_TIMEOUT_S,
        lock: str | None = None,
    ) -> T:
        """Run *operation* in one write transaction, its lock taken up front, retried on locks.

        Rows it reads with ``FOR UPDATE`` stay locked until it commits; *lock* also
        serialises it with every other writer naming the same lock (an advisory lock
        on PostgreSQL; SQLite's write lock already covers the whole file).
        """

        def run(left: float) -> T:
            with self._db.transaction(left, write=True) as conn:
                if lock is not None:
                    self._db.lock(conn, lock)
                return operation(conn)

        return self._retry(run, doing=doing, wait=wait)

    def _open(self, wait: float) -> None:
        from . import jobs_sql, migrate

        self._db.prepare(wait)
        self.__dict__.pop("_by_id", None)  # statements of the table as it was
        with self._db.transaction(wait, write=False) as conn:
            if not migrate.needs_upgrade(conn):
                # Up to date: no write lock needed, so a store another process is
                # writing opens at once.
                self._table = jobs_sql.reflect(conn)
                return
        with self._db.transaction(wait, write=True) as conn:
            self._db.lock(conn, "migrate")
            if migrate.needs_upgrade(conn):  # asked again, under the lock
                migrate.upgrade(conn)
            self._table = jobs_sql.reflect(conn)

    def _open_read_only(self) -> bool:
        """On a disk it cannot write (a read-only mount, a folder not its own): read it.

        ``mode=ro`` sees a WAL left beside it; ``immutable`` reads a file whose WAL
        index cannot be made there. Writes then fail as read-only, one line.
        """
        path = self._db.path
        if path is None or not path.is_file() or os.access(path.parent, os.W_OK):
            return False
        for query in ("mode=ro", "immutable=1"):
            self._db.read_only = query
            try:
                self._retry(self._read_table, doing="opening it read-only")
            except StoreError:
                continue
            return True
        self._db.read_only = None
        return False

    def _read_table(self, wait: float) -> None:
        from . import jobs_sql

        with self._db.transaction(wait, write=False) as conn:
            conn.exec_driver_sql("SELECT count(*) FROM jobs").scalar_one()
            self._table = jobs_sql.reflect(conn)

    @property
    def schema_version(self) -> int:
        """How many of the schema's revisions the store has (``len(schema.REVISIONS)``: all)."""
        from . import migrate, schema

        revision = self.reading(migrate.current, doing="reading its version")
        if revision is None:
            return 0
        return schema.REVISIONS.index(revision) + 1 if revision in schema.REVISIONS else -1

    @property
    def table(self) -> sa.Table:
        """The ``jobs`` table, for the statements of the store's sibling modules (the ledger,
        the shared pace) that read through a transaction of their own."""
        return self._table

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self._table.columns)

    def _check_columns(self, names: Iterable[str], *, writing: bool) -> None:
        columns = self.columns
        for name in names:
            if name not in columns or (writing and name in _READ_ONLY):
                allowed = sorted(set(columns) - (_READ_ONLY if writing else set()))
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
        if name in BOOL_COLUMNS or isinstance(value, bool):
            return bool(value)
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if name == "base_url":
            return clean_base_url(str(value))
        if isinstance(value, str):
            return redact(value)
        return value

    def _values(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {n: self._to_sql(n, v) for n, v in values.items()}

    def _where(self, filters: Mapping[str, Any]) -> list[sa.ColumnElement[bool]]:
        from . import jobs_sql

        self._check_columns(filters, writing=False)
        converted: dict[str, Any] = {}
        for name, value in filters.items():
            if isinstance(value, list | tuple | set | frozenset):
                converted[name] = [self._to_sql(name, v) for v in value]
            else:
                converted[name] = self._to_sql(name, value)
        return jobs_sql.where(self._table, converted)

    def _select(self, stmt: sa.Executable, args: Any = ()) -> list[Any]:
        """Every row *stmt* reads, in one short read (what tests count as one query)."""
        return self.reading(lambda conn: list(conn.execute(stmt).fetchall()))

    def _fetch(self, conn: sa.Connection, id: int, *, lock: bool = False) -> JobRecord | None:
        # Built once per opening: every poll's write reads its row twice.
        if not hasattr(self, "_by_id"):
            from . import jobs_sql

            table = self._table
            by_id = [table.c.id == jobs_sql.bind("id")]
            self._by_id = jobs_sql.select(table, by_id)
            self._by_id_locked = jobs_sql.select(table, by_id, lock=True)
        stmt = self._by_id_locked if lock else self._by_id
        row = conn.execute(stmt, {"id": id}).first()
        return None if row is None else JobRecord.from_row(row._mapping)

    def _change(self, conn: sa.Connection, row: JobRecord, changes: dict[str, Any]) -> JobRecord:
        """Write *changes* (and what follows from them) to *row*, in *conn*'s transaction."""
        from . import jobs_sql

        values = derive(_as_dict(row), changes, now=to_datetime(self._clock()))
        jobs_sql.update(conn, self._table, row.id, self._values(values))
        done = self._fetch(conn, row.id)
        assert done is not None
        return done

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
        admit: Callable[[sa.Connection], None] | None = None,
    ) -> JobRecord:
        """Record a job about to be submitted (status ``SUBMITTING``) and return it.

        *payload* is the exact body to be sent when it differs from
        ``params.payload()`` (a local image replaced by its uploaded URL);
        *fields* are more columns written with the row (an imported job's state).
        *admit* runs first in the same transaction, serialised with every other
        admitted create of every process (the ``submit`` lock): it reads what it
        must through the connection it is given and raises to refuse the row, so
        no other process can slip a row between its check and this insert.
        """
        created = self._insert(
            params, cost_estimate, base_url, tag, sweep_id, payload, fields, admit=admit
        )
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
        admit: Callable[[sa.Connection], None] | None = None,
    ) -> JobRecord | None:
        from . import jobs_sql

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
        self._check_columns(values, writing=False)
        row = self._values(values)

        def run(conn: sa.Connection) -> JobRecord | None:
            if admit is not None:
                admit(conn)
            # if_new: one check-and-insert, so two processes cannot both add the request.
            id = jobs_sql.insert(conn, self._table, row, unless_known=if_new)
            return None if id is None else self._fetch(conn, id)

        # Quick: nothing has been sent yet, so failing here costs nothing.
        return self.writing(
            run,
            doing="recording a new job; nothing was sent",
            lock=None if admit is None else ADMIT_LOCK,
        )

    def add_copy(self, values: Mapping[str, Any]) -> JobRecord | None:
        """Add a row another store holds (``Store.rows()``), every column as it is but its id.

        None, and nothing written, when this store has the job already: a row with
        the same request id or, for a row never sent (no request id), one of the same
        request written at the same instant (model, body and ``submitted_at``). One
        check-and-insert under a lock of its own, so two copies at once add a job once.
        Columns this store does not have are dropped.
        """
        from . import jobs_sql

        columns = self.columns
        row = self._values({n: v for n, v in values.items() if n in columns and n != "id"})
        table = self._table

        def run(conn: sa.Connection) -> JobRecord | None:
            if row.get("request_id") is None:
                same = [
                    table.c.request_id.is_(None),
                    table.c.submitted_at == row.get("submitted_at"),
                    table.c.model == row.get("model"),
                    table.c.params_json == row.get("params_json"),
                ]
                stmt = jobs_sql.select(table, same, columns=["id"], limit=1)
                if conn.execute(stmt).first() is not None:
                    return None
            id = jobs_sql.insert(conn, table, row, unless_known=True)
            return None if id is None else self._fetch(conn, id)

        return self.writing(run, doing="copying a job in", wait=BUSY_TIMEOUT_S, lock="copy")

    def update(self, id: int, /, *, holder: str | None = None, **changes: Any) -> JobRecord:
        """Change some fields of job *id*; return the row as it now is.

        With *holder* (a kernel id) the write happens only while that kernel
        holds the job (its ``kernel`` column), checked in the write's own
        transaction: else :class:`LeaseLost` and nothing written, so a kernel
        whose lease was taken over never records over the one driving now.

        Field names are checked against the schema (``ValueError``); dicts
        given for ``*_json`` fields are serialised (``metrics=`` and
        ``payload=`` are accepted for ``metrics_json`` and ``params_json``);
        times may be ``datetime``, ISO text or epoch seconds. A move to ``PROCESSING``
        sets ``started_at`` (first time only); a move to a terminal status sets
        ``completed_at`` and fills ``queue_s``/``run_s``/``total_s`` from the
        timestamps, unless they are given. ``KeyError`` if there is no such job.
        """
        columns = self.columns
        for alias, column in _ALIASES.items():
            if alias in changes and alias not in columns:
                if column in changes:
                    raise ValueError(f"give {alias!r} or {column!r}, not both")
                changes[column] = changes.pop(alias)
        self._check_columns(changes, writing=True)
        if "status" in changes:
            changes["status"] = JobStatus.parse(changes["status"])

        def run(conn: sa.Connection) -> JobRecord:
            row = self._fetch(conn, id, lock=True) if _fits(id) else None
            if row is None:
                raise KeyError(f"no job with id {id} in {shown_location(self.path)}")
            if holder is not None and row.kernel != holder:
                raise LeaseLost(id, row.kernel)
            return self._change(conn, row, dict(changes))

        doing = f"recording job {id}"
        if changes.get("request_id"):
            # If this fails the error is all that names the paid job: say its id.
            rid = changes["request_id"]
            doing += f" (request id {rid}: keep it, it finds the job: get_job({rid!r}))"
        return self.writing(run, doing=doing, wait=BUSY_TIMEOUT_S)

    def delete(self, id: int, /) -> bool:
        """Remove job *id*'s row; ``True`` if there was one.

        Only for a submit the service surely refused (nothing exists, nothing
        billed): a job that may exist must stay on record.
        """
        from . import jobs_sql

        if not _fits(id):
            return False
        return self.writing(
            lambda conn: jobs_sql.delete(conn, self._table, id),
            doing=f"deleting job {id}",
            wait=BUSY_TIMEOUT_S,
        )

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
        from . import jobs_sql

        table = self._table
        stmt = jobs_sql.select(
            table,
            [table.c.status == JobStatus.SUBMITTING.value, table.c.submitted_at < to_iso(before)],
            order=[table.c.id],
            lock=True,
        )

        def run(conn: sa.Connection) -> list[JobRecord]:
            rows = [JobRecord.from_row(r._mapping) for r in conn.execute(stmt)]
            change = {"status": JobStatus.UNKNOWN, "error": error}
            return [self._change(conn, r, dict(change)) for r in rows if r.id not in keep]

        return self.writing(run, doing="settling submits a crash cut short", wait=BUSY_TIMEOUT_S)

    # -- leases: which kernel drives a job -------------------------------------

    def claim(
        self, ids: Iterable[int], kernel: str, *, lease: float, dead: Collection[str] = ()
    ) -> list[int]:
        """Take the lease of each of *ids* for *kernel*, for *lease* seconds; the ids won.

        A job is won when no kernel holds it, *kernel* already does, its driver
        released it (a finished job), its lease lapsed (by this store's clock)
        or its holder is among the *dead* (kernels known to have ended): one
        conditional ``UPDATE``, so of two kernels claiming at once exactly one
        wins each job. ``updated_at`` is left alone (a lease is not a change of
        the job).
        """
        from . import jobs_sql

        wanted = [int(i) for i in ids if _fits(int(i))]
        now = self._clock()
        until, now_iso = to_iso(now + float(lease)), to_iso(now)
        return self.writing(
            lambda conn: jobs_sql.claim(conn, self._table, wanted, kernel, until, now_iso, dead),
            doing="claiming jobs to drive",
        )

    def renew(self, ids: Iterable[int], kernel: str, *, lease: float) -> list[int]:
        """Extend *kernel*'s lease on each of *ids* it still holds; those ids.

        One ``UPDATE`` for them all (a heartbeat); an id missing from the answer
        was taken over by another kernel, or is gone.
        """
        from . import jobs_sql

        wanted = [int(i) for i in ids if _fits(int(i))]
        until = to_iso(self._clock() + float(lease))
        return self.writing(
            lambda conn: jobs_sql.renew(conn, self._table, wanted, kernel, until),
            doing="renewing the leases of the jobs this kernel drives",
        )

    def release(self, id: int, kernel: str) -> bool:
        """End *kernel*'s lease on job *id* (it stays named as the last to drive it)."""
        from . import jobs_sql

        if not _fits(id):
            return False
        return self.writing(
            lambda conn: jobs_sql.release(conn, self._table, id, kernel),
            doing=f"releasing job {id}",
        )

    def leased(self, records: Iterable[JobRecord], kernel: str) -> list[JobRecord]:
        """Those of *records* whose lease another kernel holds now (not lapsed, not released)."""
        now = to_datetime(self._clock())
        return [
            r
            for r in records
            if r.kernel not in (None, kernel) and r.lease_until is not None and r.lease_until > now
        ]

    # -- reads ----------------------------------------------------------------

    def _records(self, stmt: sa.Executable) -> list[JobRecord]:
        return [JobRecord.from_row(r._mapping) for r in self._select(stmt)]

    def _query(
        self,
        clauses: Sequence[sa.ColumnElement[bool]] = (),
        *,
        newest_first: bool = True,
        limit: int | None = None,
    ) -> sa.Select[Any]:
        from . import jobs_sql

        table = self._table
        order = table.c.id.desc() if newest_first else table.c.id
        return jobs_sql.select(table, clauses, order=[order], limit=limit)

    def get(self, id: int) -> JobRecord | None:
        if not _fits(id):
            return None  # no row can have it, and SQLite would refuse to bind it
        rows = self._records(self._query([self._table.c.id == id]))
        return rows[0] if rows else None

    def get_many(self, ids: Iterable[int]) -> dict[int, JobRecord]:
        """The records of *ids* that exist, by id, in one query whatever their number."""
        from . import jobs_sql

        wanted = [int(i) for i in ids if _fits(int(i))]
        if not wanted:
            return {}
        rows = self._records(self._query([jobs_sql.by_id(self._table, wanted)]))
        return {r.id: r for r in rows}

    def get_by_request_id(self, request_id: str) -> JobRecord | None:
        rows = self._records(self._query([self._table.c.request_id == request_id]))
        return rows[0] if rows else None

    def find(self, *, limit: int | None = None, **filters: Any) -> list[JobRecord]:
        """Jobs whose columns equal *filters*, newest first.

        ``None`` matches NULL; a list, tuple or set matches any of its values.
        """
        return self._records(self._query(self._where(filters), limit=limit))

    def count(self, **filters: Any) -> int:
        import sqlalchemy as sa

        stmt = sa.select(sa.func.count()).select_from(self._table).where(*self._where(filters))
        return int(self._select(stmt)[0][0])

    def unfinished(self, *, base_url: str | None = None) -> list[JobRecord]:
        """Jobs the service knows (a request id) that have not ended, oldest first.

        What ``%ltx resume`` re-attaches. Give *base_url* to keep only the jobs
        of one service (the emulator's jobs mean nothing to the real API).
        """
        table = self._table
        terminal = sorted(s.value for s in JobStatus.terminal())
        clauses: list[sa.ColumnElement[bool]] = [
            table.c.request_id.is_not(None),
            table.c.status.not_in(terminal),
        ]
        if base_url is not None:
            clauses.append(table.c.base_url == clean_base_url(base_url))
        return self._records(self._query(clauses, newest_first=False))

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

        Each as ``(lo, hi)`` seconds, the interval its end is known to lie in
        (``derive.known_length``: after the last poll that saw it running, by
        the first that saw it done, ``total_s``; exact where the service's own
        total falls inside). With *base_url*, only jobs of that service count:
        an emulator's timings say nothing about the real service's.
        """
        from . import jobs_sql

        table = self._table
        clauses: list[sa.ColumnElement[bool]] = [
            table.c.model == model,
            table.c.duration == int(duration),
            table.c.resolution == resolution,
            table.c.status == JobStatus.COMPLETED.value,
            (table.c.total_s.is_not(None)) | (table.c.metrics_json.is_not(None)),
        ]
        if base_url is not None:
            clauses.append(table.c.base_url == clean_base_url(base_url))
        stmt = jobs_sql.select(
            table,
            clauses,
            columns=["seen_running_s", "total_s", "metrics_json"],
            order=[table.c.completed_at.desc(), table.c.id.desc()],
            limit=limit,
        )
        out: list[tuple[float, float]] = []
        for seen_running, seen_done, metrics_json in self._select(stmt):
            known = known_length(seen_running, seen_done, metrics_json)
            if known is not None:
                out.append(known)
        return out

    def rows(self, **filters: Any) -> list[dict[str, Any]]:
        """Every matching row as a plain dict of column values, newest first (for DataFrames).

        Times stay ISO-8601 text; booleans are ``bool``; JSON stays text.
        """
        out = []
        for row in self._select(self._query(self._where(filters))):
            item = dict(row._mapping)
            for name in BOOL_COLUMNS:
                if item.get(name) is not None:
                    item[name] = bool(item[name])
            out.append(item)
        return out


def _fits(id: int) -> bool:
    return SQLITE_INT_MIN <= id <= SQLITE_INT_MAX


def _as_dict(record: JobRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__dataclass_fields__}

"""The store's database behind SQLAlchemy Core: one engine per URL, each backend's quirks here.

Imported only when a store is opened (``%load_ext`` must not load SQLAlchemy).
The rest of the store speaks SQLAlchemy Core alone; what differs between a
SQLite file and a PostgreSQL server lives in this module:

- **engines**: one per URL and process, kept in a small cache (a test suite
  opens hundreds of stores, a kernel one or two; the least recently used
  beyond :data:`KEPT_ENGINES` is disposed). A forked child makes its own and
  never touches the parent's connections (SQLite forbids it; closing them would
  release the parent's POSIX locks).
- **transactions** (:meth:`Database.transaction`): a write takes its lock up
  front so a read-modify-write is never interleaved with another writer's:
  ``BEGIN IMMEDIATE`` on SQLite; on PostgreSQL the rows it reads are locked
  (``FOR UPDATE``, by the caller) and :meth:`Database.lock` takes a
  transaction-scoped advisory lock for what no row stands for (migrating).
- **bounded waits**: SQLite's ``busy_timeout``; PostgreSQL's ``lock_timeout``
  and ``statement_timeout`` per transaction and ``connect_timeout`` per
  connection. :func:`retry` reruns an operation that met a lock until its wait
  is spent (nothing was committed, so rerunning is safe).
- **SQLite files**: WAL journal; a connection is dropped when the file at the
  path is no longer the one it opened (deleted, replaced) and after any error.
- **faults**: every failure of the database leaves as one
  :class:`~ltx_notebook._core.errors.StoreError` naming the store (a URL's
  password masked) and what to do.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import os
import sqlite3
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Engine, make_url

from .._core.backoff import Backoff
from .._core.errors import StoreError, redact, register_secret
from .._core.store_url import shown_location

__all__ = [
    "KEPT_ENGINES",
    "QUICK_TIMEOUT_S",
    "Database",
    "UniqueViolation",
    "forget_connections",
    "retry",
]

T = TypeVar("T")

# Opening, reading and recording a job before it is sent: giving up costs nothing there,
# and a cell must not hang.
QUICK_TIMEOUT_S: Final = 5.0
# Between tries at a locked store: from 10 ms up to half a second, jittered around the step
# (half to one and a half of it) so the writers that met do not meet again.
LOCK_BACKOFF: Final = Backoff(base=0.01, cap=0.5, jitter=(0.5, 1.5))
# Seconds to reach a database server before saying it cannot be reached.
CONNECT_TIMEOUT_S: Final = 5
# Engines this process keeps (each holds a few pooled connections).
KEPT_ENGINES: Final = 8


class UniqueViolation(sqlite3.IntegrityError):
    """A write would repeat a unique value (a request id already on record), on any backend.

    A ``sqlite3.IntegrityError``, so callers written for the SQLite store catch it
    whichever database is behind the store. Our own mistake, not the store's state.
    """


class Database:
    """One store's database: *location* is a SQLite file's ``Path`` or a database URL."""

    def __init__(self, location: Path | str) -> None:
        if isinstance(location, Path):
            self.url = URL.create("sqlite", database=str(location))
            self.path: Path | None = location
        else:
            self.path = None
            try:
                self.url = make_url(location)
            except (sa_exc.ArgumentError, ValueError):
                raise StoreError(
                    f"the job store {shown_location(location)!r} is neither a path nor a "
                    "database URL (postgresql+psycopg://user@host/db, sqlite:///path)",
                    path=shown_location(location),
                ) from None
            if self.url.get_backend_name() == "sqlite":
                self.path = Path(self.url.database or "")
            register_secret(self.url.password)
        self.sqlite = self.url.get_backend_name() == "sqlite"
        # A SQLite file on a disk it cannot write is opened with this URI query
        # ("mode=ro", else "immutable=1"): read, and every write says read-only.
        self.read_only: str | None = None
        self.name: Path | str = (
            self.path if self.path is not None else self.url.render_as_string(hide_password=True)
        )

    def engine(self) -> Engine:
        if self.path is not None and self.read_only is None:
            # Resolved at each use, as a relative path means: after a %cd the same setting
            # names another file, and an engine kept for the old folder must not serve it.
            where = self.path.absolute()
            return _engine(self.url.set(database=str(where)), where)
        if self.read_only is None or self.path is None:
            return _engine(self.url, self.path)
        name, _, value = self.read_only.partition("=")
        uri = URL.create(
            "sqlite",
            database=f"file:{self.path.resolve()}",
            query={name: value, "uri": "true"},
        )
        return _engine(uri, self.path)

    @contextmanager
    def transaction(self, wait: float, *, write: bool) -> Iterator[sa.Connection]:
        """A connection in one transaction, committed when the block ends without error.

        Its lock waits are bounded by *wait* seconds; *write* takes SQLite's write
        lock up front. After any error the connection is dropped, not pooled again.
        """
        with self.engine().connect() as conn:
            try:
                if self.sqlite:
                    _busy_timeout(conn, wait)
                    if write:
                        conn.exec_driver_sql("BEGIN IMMEDIATE")
                else:
                    ms = max(1, int(wait * 1000))
                    # Statements get a margin over the lock wait: a lock timeout says more.
                    conn.execute(
                        sa.text(
                            "SELECT set_config('lock_timeout', :lock, true), "
                            "set_config('statement_timeout', :statement, true)"
                        ),
                        {"lock": f"{ms}ms", "statement": f"{ms * 2 + 5000}ms"},
                    )
                yield conn
                conn.commit()
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.rollback()
                with contextlib.suppress(Exception):
                    conn.invalidate()
                raise

    def lock(self, conn: sa.Connection, name: str) -> None:
        """Serialise with every other process taking lock *name* here, until commit.

        For what no single row stands for (migrating; a team's budget, later):
        SQLite's ``BEGIN IMMEDIATE`` already holds the whole file; PostgreSQL takes
        a transaction-scoped advisory lock keyed by *name*.
        """
        if not self.sqlite:
            key = zlib.crc32(f"ltx_notebook:{name}".encode())
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))

    def prepare(self, wait: float) -> None:
        """What a SQLite file needs once, outside any transaction: its folder, and WAL."""
        if self.path is None or self.read_only is not None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
            raise self.fault(exc, "making its folder", 0) from None
        with self.engine().connect() as conn:
            try:
                _busy_timeout(conn, wait)
                raw = conn.connection.dbapi_connection
                assert raw is not None
                # Persistent in the file; outside any transaction, as SQLite requires.
                mode = raw.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":  # e.g. a filesystem without shared memory
                    raise sqlite3.OperationalError(f"cannot use WAL journal on {self.path}: {mode}")
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.invalidate()
                raise

    # -- faults -----------------------------------------------------------------

    def fault(self, exc: BaseException, doing: str, waited: float) -> StoreError:
        """One line (at most 300 characters) saying what went wrong, and what to do."""
        if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None:
            exc = exc.orig
        text = _sqlite_fault(exc, self, doing, waited) if self.sqlite else None
        if text is None:
            text = _server_fault(exc, self, doing, waited)
        return StoreError(redact(text), path=self.name)


def retry(
    db: Database, operation: Callable[[float], T], *, doing: str, wait: float = QUICK_TIMEOUT_S
) -> T:
    """Run *operation(seconds it may wait for a lock)* until done or *wait* is spent.

    Every failure of the database leaves as a :class:`StoreError` saying what
    happened to which store while *doing* what; a write that would repeat a
    unique value as :class:`UniqueViolation`.
    """
    # Nothing is committed when a lock wait escapes (the transaction rolled back),
    # so running the whole operation again is safe.
    start = time.monotonic()
    failures = 0
    while True:
        left = max(0.05, wait - (time.monotonic() - start))
        try:
            return operation(left)
        except sa_exc.IntegrityError as exc:
            raise UniqueViolation(redact(str(exc.orig))) from None
        except sqlite3.IntegrityError:
            raise
        except sa_exc.DBAPIError as exc:
            waited = time.monotonic() - start
            if isinstance(exc, sa_exc.ProgrammingError) and db.sqlite:
                raise  # our own mistake (a bad statement), not the store's state
            if not _is_transient(exc) or waited > wait:
                raise db.fault(exc, doing, waited) from None
        except (sa_exc.NoSuchModuleError, ModuleNotFoundError) as exc:
            raise db.fault(exc, doing, 0) from None
        except (sa_exc.SQLAlchemyError, sqlite3.DatabaseError, OSError) as exc:
            raise db.fault(exc, doing, time.monotonic() - start) from None
        failures += 1
        time.sleep(LOCK_BACKOFF.delay(failures))


# -- engines --------------------------------------------------------------------

_engines: OrderedDict[tuple[int, str], Engine] = OrderedDict()
_engines_lock = threading.Lock()
# Engines a forked child inherited: their connections are the parent's, never to be
# used or closed here, so they are only kept referenced.
_inherited: list[Engine] = []


def _engine(url: URL, path: Path | None) -> Engine:
    key = (os.getpid(), url.render_as_string(hide_password=False))
    with _engines_lock:
        engine = _engines.get(key)
        if engine is not None:
            _engines.move_to_end(key)
            return engine
        for other in [k for k in _engines if k[0] != key[0]]:
            _inherited.append(_engines.pop(other))
        engine = _engines[key] = _make_engine(url, path)
        while len(_engines) > KEPT_ENGINES:
            _, oldest = _engines.popitem(last=False)
            oldest.dispose()  # connections in use close when they are given back
        return engine


def forget_connections() -> None:
    """Dispose this process's engines; a connection in use closes when given back.

    At exit (so that the last close checkpoints the WAL into the file), and for
    a test that unmounts a disk, alters the file behind the store's back or
    counts connections.
    """
    with _engines_lock:
        mine = [k for k in _engines if k[0] == os.getpid()]
        engines = [_engines.pop(k) for k in mine]
    for engine in engines:
        engine.dispose()


atexit.register(forget_connections)


def _after_fork_in_child() -> None:
    # Another thread may have held the lock when the process forked: the child's copy
    # would stay locked forever.
    global _engines_lock
    _engines_lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _make_engine(url: URL, path: Path | None) -> Engine:
    if path is not None:
        engine = sa.create_engine(
            url,
            poolclass=sa.QueuePool,
            pool_size=8,
            max_overflow=-1,  # never wait for a pooled connection: SQLite's own lock bounds it
            connect_args={"timeout": QUICK_TIMEOUT_S, "check_same_thread": False},
        )

        def connected(dbapi_conn: Any, record: Any) -> None:
            # No implicit transactions: writes issue BEGIN IMMEDIATE themselves.
            dbapi_conn.isolation_level = None
            record.info["file"] = _file(path)
            record.info["wait"] = None

        def checkout(dbapi_conn: Any, record: Any, proxy: Any) -> None:
            # A connection to a file no longer at the path (deleted, replaced) would read
            # and write a ghost: drop it and open the file that is there now.
            if record.info.get("file") != _file(path):
                raise sa_exc.DisconnectionError("the store file was replaced")

        event.listen(engine, "connect", connected)
        event.listen(engine, "checkout", checkout)
        return engine
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        connect_args = {"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "ltx-notebook"}
    return sa.create_engine(
        url,
        pool_pre_ping=True,  # a server restarted overnight: reconnect, do not fail
        pool_timeout=QUICK_TIMEOUT_S,
        connect_args=connect_args,
    )


def _busy_timeout(conn: sa.Connection, wait: float) -> None:
    record = conn.connection
    if record.info.get("wait") != wait:
        raw = record.dbapi_connection
        assert raw is not None
        raw.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
        record.info["wait"] = wait


def _file(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return (info.st_dev, info.st_ino)


# -- faults, by backend ---------------------------------------------------------


def _is_transient(exc: sa_exc.DBAPIError) -> bool:
    orig = exc.orig
    if isinstance(orig, sqlite3.OperationalError):
        text = str(orig).lower()
        return "locked" in text or "busy" in text
    # PostgreSQL: a lock wait ran out (55P03), serialisation failure, deadlock.
    return getattr(orig, "sqlstate", None) in {"55P03", "40001", "40P01"}


def _sqlite_fault(exc: BaseException, db: Database, doing: str, waited: float) -> str | None:
    path = db.path or Path(".")
    code = getattr(exc, "sqlite_errorname", "") or ""
    number = exc.errno if isinstance(exc, OSError) else None
    why = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
    where = f"the job store {path}"
    disk = _disk(path)
    if isinstance(exc, sqlite3.OperationalError) and (
        "locked" in str(exc).lower() or "busy" in str(exc).lower()
    ):
        return (
            f"{where} is locked by another process (waited {waited:.0f} s) while {doing}: "
            "close what holds it open (a sqlite3 shell, a DB browser) and try again"
        )
    if (
        code.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH"))
        or number in (errno.EROFS, errno.EACCES, errno.EPERM)
        or disk == "read-only"
    ):
        return (
            f"{where} is read-only ({why}) while {doing}: configure(media_dir=...) or "
            "%config LtxMagics.media_dir a writable folder"
        )
    if code == "SQLITE_FULL" or number == errno.ENOSPC or disk == "full":
        return f"the disk of {where} is full while {doing}: free some space and try again"
    if code.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
        return (
            f"{where} is damaged ({why}) while {doing}: move it aside and a new one is "
            "made (sqlite3's .recover may save its rows)"
        )
    if isinstance(exc, OSError | ValueError):
        return f"cannot create {where} ({why}): check its folder"
    if isinstance(exc, sqlite3.Error):
        return f"{where} could not be written ({why}) while {doing}: is the disk failing?"
    return None


def _server_fault(exc: BaseException, db: Database, doing: str, waited: float) -> str:
    where = f"the job store {db.name}"
    why = _why(exc)
    state = getattr(exc, "sqlstate", None) or ""
    refused = ("does not exist", "authentication failed", "no password supplied", "pg_hba")
    if isinstance(exc, sa_exc.NoSuchModuleError | ModuleNotFoundError):
        return (
            f"{where} needs a database driver that is not installed ({why}): "
            "pip install 'ltx-notebook[team]' (psycopg) for PostgreSQL"
        )
    if state in {"55P03", "40001", "40P01", "57014"}:
        return (
            f"{where} is locked by another session (waited {waited:.0f} s) while {doing}: "
            "a long transaction holds it (pg_stat_activity names it); try again"
        )
    if state.startswith("28") or state == "3D000" or any(r in why for r in refused):
        return (
            f"{where} refused the login ({why}) while {doing}: check the URL's user, "
            "database and password (LTX_NOTEBOOK_STORE or configure(store_path=...))"
        )
    if state == "42501":
        return (
            f"{where} refused ({why}) while {doing}: the database user needs CREATE and "
            "read/write rights on the jobs table"
        )
    if state == "53100":
        return f"the disk of {where} is full while {doing}: free space on the database server"
    if state == "25006":
        return (
            f"{where} is read-only ({why}) while {doing}: point the URL at the primary "
            "server, not a standby"
        )
    if state.startswith("08") or isinstance(exc, sa_exc.OperationalError) or not state:
        return (
            f"{where} cannot be reached ({why}) while {doing}: is the database server "
            "running, and the URL right (LTX_NOTEBOOK_STORE or configure(store_path=...))?"
        )
    return f"{where} could not be written ({why}) while {doing}: ask its administrator"


def _why(exc: BaseException) -> str:
    """The driver's reason, short: the advice after it must fit the one line."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    # libpq: 'connection failed: connection to server at "h", port p failed: <reason>'
    reason = text.rsplit(" failed: ", 1)[-1]
    reason = reason.removeprefix("FATAL: ").split(" Is the server running", 1)[0]
    return reason if len(reason) <= 90 else reason[:89] + "…"


def _disk(path: Path) -> str | None:
    # SQLite reports a full or read-only disk as a plain I/O error when it is the WAL
    # index that cannot be made or grown; the filesystem itself tells which.
    statvfs = getattr(os, "statvfs", None)  # not on Windows
    try:
        info = statvfs(path.parent) if statvfs else None
    except (OSError, ValueError):
        return None
    if info is None:
        return None
    if info.f_flag & os.ST_RDONLY:
        return "read-only"
    return "full" if info.f_bavail * info.f_frsize < 2**20 else None

"""The store's SQLite file: one connection per thread, immediate transactions, bounded waits.

The file is shared by the background runtime thread, its workers, the main
thread and possibly several kernels at once, so:

- each thread keeps its own connection to the file and reuses it (no
  connection is ever shared between threads or used across a ``fork``).
  Opening one per operation cost three to five times the operation itself
  (the schema read again, and closing the last connection checkpoints and
  deletes the WAL), most of what a job's rows cost with a hundred jobs in
  flight. A connection is opened afresh when the file at the path is not the
  one it has open (deleted, replaced) and after any error;
- every write runs in ``BEGIN IMMEDIATE``, so the write lock is taken up front
  and a read-modify-write can never be interleaved with another writer's;
  ``busy_timeout`` makes contenders wait instead of failing, and a bounded
  retry covers the few cases where SQLite reports ``SQLITE_BUSY`` without
  calling the busy handler (WAL recovery);
- every failure of the file itself (damaged, locked past the wait, read-only,
  disk full, a folder that cannot be made) leaves as one
  :class:`~ltx_notebook._core.errors.StoreError` naming the file and what to do.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import os
import sqlite3
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TypeVar

from .._core.backoff import Backoff
from .._core.errors import StoreError

__all__ = [
    "QUICK_TIMEOUT_S",
    "connect",
    "fault",
    "forget_connections",
    "read_only",
    "retry",
    "write",
]

T = TypeVar("T")

# Opening, reading and recording a job before it is sent: giving up costs nothing there,
# and a cell must not hang.
QUICK_TIMEOUT_S: Final = 5.0
# Between tries at a locked file: from 10 ms up to half a second, jittered around the step
# (half to one and a half of it) so the writers that met do not meet again.
LOCK_BACKOFF: Final = Backoff(base=0.01, cap=0.5, jitter=(0.5, 1.5))


# Store files a thread keeps a connection to; the least recently used beyond this
# is closed (a test suite makes hundreds of stores, a kernel one or two).
KEPT_PER_THREAD: Final = 4


@dataclass(eq=False)  # eq=False: hashable by identity, for the registry's WeakSet
class _Kept:
    conn: sqlite3.Connection
    file: tuple[int, int]  # (st_dev, st_ino) of the file it opened
    wait: float
    pid: int
    # Held while its thread uses it, so forget_connections() closes only idle ones.
    lock: threading.Lock = field(default_factory=threading.Lock)
    closed: bool = False


class _Connections(threading.local):
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.generation = _generation
        self.by_path: OrderedDict[str, _Kept] = OrderedDict()


_generation = 0
# Store files opened read-only (a read-only disk), by path: the URI query they open with.
_read_only: dict[str, str] = {}
_connections = _Connections()
_every: weakref.WeakSet[_Kept] = weakref.WeakSet()
# Connections a forked child inherited: SQLite forbids using or closing them there
# (closing would release the parent's POSIX locks), so they are only kept referenced.
_inherited: list[sqlite3.Connection] = []


def read_only(path: Path, query: str | None) -> None:
    """Open *path* from now on with the URI *query* (``mode=ro``, ``immutable=1``); None:
    read-write again. Its connections kept so far are closed."""
    key = str(path)
    if _read_only.get(key) == query:
        return
    if query is None:
        del _read_only[key]
    else:
        _read_only[key] = query
    forget_connections()


def forget_connections() -> None:
    """Close the connections every thread keeps; one in use closes at its next operation.

    At exit (so that the last close checkpoints the WAL into the file), and for
    a test that unmounts a disk, alters the file behind the store's back or
    counts connections.
    """
    global _generation
    _generation += 1
    for entry in list(_every):
        if entry.pid == os.getpid() and entry.lock.acquire(blocking=False):
            try:
                _close(entry)
            finally:
                entry.lock.release()


atexit.register(forget_connections)


@contextmanager
def connect(path: Path, wait: float = QUICK_TIMEOUT_S) -> Iterator[sqlite3.Connection]:
    """This thread's connection to *path*, its busy timeout set to *wait* seconds."""
    key = str(path)
    entry = _take(key, path, wait)
    if entry.pid == -1:  # not kept (see _take)
        with contextlib.closing(entry.conn):
            yield entry.conn
        return
    try:
        yield entry.conn
    except BaseException:
        # An error may leave the connection in a state not worth reasoning about
        # (a damaged file, an interrupted statement): the next operation starts afresh.
        _close(entry)
        raise
    finally:
        entry.lock.release()


def _take(key: str, path: Path, wait: float) -> _Kept:
    """This thread's entry for *path*, its lock held; ``pid == -1``: use once, then close."""
    kept = _connections
    if kept.pid != os.getpid():
        _inherited.extend(k.conn for k in kept.by_path.values())
        kept.by_path.clear()
        kept.pid = os.getpid()
    if kept.generation != _generation:
        for old in kept.by_path.values():
            _close(old)
        kept.by_path.clear()
        kept.generation = _generation
    entry = kept.by_path.get(key)
    if entry is not None:
        entry.lock.acquire()
        if not entry.closed and entry.file == _file(path):
            kept.by_path.move_to_end(key)
            if entry.wait != wait:
                try:
                    entry.conn.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
                except BaseException:
                    _close(entry)
                    entry.lock.release()
                    raise
                entry.wait = wait
            return entry
        _close(entry)  # closed by forget_connections(), or the file was deleted or replaced
        entry.lock.release()
        del kept.by_path[key]
    # isolation_level=None: no implicit transactions, we issue BEGIN ourselves.
    # check_same_thread=False only so forget_connections() can close it from
    # another thread; it is used by the thread that opened it alone.
    query = _read_only.get(key)
    target = f"{path.resolve().as_uri()}?{query}" if query else path
    conn = sqlite3.connect(
        target, timeout=wait, isolation_level=None, check_same_thread=False, uri=bool(query)
    )
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
        file = _file(path)
    except BaseException:
        conn.close()
        raise
    if file is None:  # a file SQLite did not make at the path: not worth keeping
        return _Kept(conn, (0, 0), wait, pid=-1)
    entry = _Kept(conn, file, wait, pid=os.getpid())
    entry.lock.acquire()
    kept.by_path[key] = entry
    _every.add(entry)
    while len(kept.by_path) > KEPT_PER_THREAD:
        _, oldest = kept.by_path.popitem(last=False)
        with oldest.lock:
            _close(oldest)
    return entry


def _file(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return (info.st_dev, info.st_ino)


def _close(entry: _Kept) -> None:
    """Close *entry*'s connection (its lock held by the caller, or never shared)."""
    if not entry.closed:
        entry.closed = True
        with contextlib.suppress(sqlite3.Error):
            entry.conn.close()


@contextmanager
def write(path: Path, wait: float) -> Iterator[sqlite3.Connection]:
    with connect(path, wait) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:  # some errors roll back by themselves
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def retry(
    path: Path, operation: Callable[[float], T], *, doing: str, wait: float = QUICK_TIMEOUT_S
) -> T:
    """Run *operation(seconds it may wait for a lock)* until done or *wait* is spent.

    Every SQLite or filesystem failure leaves as a :class:`StoreError` saying
    what happened to which file while *doing* what.
    """
    # Nothing is committed when SQLITE_BUSY escapes (the transaction rolled
    # back), so running the whole operation again is safe.
    start = time.monotonic()
    failures = 0
    while True:
        left = max(0.05, wait - (time.monotonic() - start))
        try:
            return operation(left)
        except sqlite3.OperationalError as exc:
            waited = time.monotonic() - start
            if not _is_transient(exc) or waited > wait:
                raise fault(exc, path, doing, waited) from None
        except (sqlite3.DatabaseError, OSError) as exc:
            if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError):
                raise  # our own mistake (a duplicate request id), not the store's state
            raise fault(exc, path, doing, time.monotonic() - start) from None
        failures += 1
        time.sleep(LOCK_BACKOFF.delay(failures))


def _is_transient(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def fault(exc: Exception, path: Path, doing: str, waited: float) -> StoreError:
    """One line (at most 300 characters) that says what went wrong with *path*, and what to do."""
    code = getattr(exc, "sqlite_errorname", "") or ""
    number = exc.errno if isinstance(exc, OSError) else None
    why = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
    where = f"the job store {path}"
    disk = _disk(path)
    if isinstance(exc, sqlite3.OperationalError) and _is_transient(exc):
        text = (
            f"{where} is locked by another process (waited {waited:.0f} s) while {doing}: "
            "close what holds it open (a sqlite3 shell, a DB browser) and try again"
        )
    elif (
        code.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH"))
        or number in (errno.EROFS, errno.EACCES, errno.EPERM)
        or disk == "read-only"
    ):
        text = (
            f"{where} is read-only ({why}) while {doing}: configure(media_dir=...) or "
            "%config LtxMagics.media_dir a writable folder"
        )
    elif code == "SQLITE_FULL" or number == errno.ENOSPC or disk == "full":
        text = f"the disk of {where} is full while {doing}: free some space and try again"
    elif code.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
        text = (
            f"{where} is damaged ({why}) while {doing}: move it aside and a new one is "
            "made (sqlite3's .recover may save its rows)"
        )
    elif isinstance(exc, OSError | ValueError):
        text = f"cannot create {where} ({why}): check its folder"
    else:
        text = f"{where} could not be written ({why}) while {doing}: is the disk failing?"
    return StoreError(text, path=path)


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

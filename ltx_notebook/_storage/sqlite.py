"""The store's SQLite file: short connections, immediate transactions, bounded waits.

The file is shared by the background runtime thread, the main thread and
possibly several kernels at once, so:

- every operation opens its own short-lived connection (no connection is ever
  shared between threads or carried across a ``fork``);
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

import errno
import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final, TypeVar

from .._core.errors import StoreError

__all__ = ["QUICK_TIMEOUT_S", "connect", "fault", "retry", "write"]

T = TypeVar("T")

# Opening, reading and recording a job before it is sent: giving up costs nothing there,
# and a cell must not hang.
QUICK_TIMEOUT_S: Final = 5.0


@contextmanager
def connect(path: Path, wait: float = QUICK_TIMEOUT_S) -> Iterator[sqlite3.Connection]:
    # isolation_level=None: no implicit transactions, we issue BEGIN ourselves.
    conn = sqlite3.connect(path, timeout=wait, isolation_level=None)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
        yield conn
    finally:
        conn.close()


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
    delay = 0.01
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
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 0.5)


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

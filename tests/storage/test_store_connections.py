"""The store keeps its SQLite connections open between operations, and never uses a stale one.

SQLite-only: these are about the file and its connections (the pool of
SQLAlchemy's engine, one engine per file and process, see _storage/database.py).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from ltx_notebook._core.params import validate
from ltx_notebook._core.status import JobStatus
from ltx_notebook._storage import database
from ltx_notebook._storage.store import Store


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The thread names that opened a connection while the test runs."""
    seen: list[str] = []
    real = sqlite3.dbapi2.connect  # what SQLAlchemy's pysqlite dialect calls

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        seen.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(sqlite3.dbapi2, "connect", connect)
    database.forget_connections()
    return seen


def test_operations_on_one_thread_share_one_connection(tmp_path: Path, opened: list[str]) -> None:
    store = Store(tmp_path / "jobs.sqlite")
    job = store.create(validate(prompt="a kite"), cost_estimate=0.3, base_url="http://x/v1")
    for status in (JobStatus.QUEUED, JobStatus.PROCESSING) * 20:
        store.update(job.id, status=status)
        assert store.get(job.id) is not None
    assert len(opened) == 1


def test_threads_at_once_each_get_one_and_reuse_it(tmp_path: Path, opened: list[str]) -> None:
    store = Store(tmp_path / "jobs.sqlite")
    job = store.create(validate(prompt="a kite"), cost_estimate=0.3, base_url="http://x/v1")

    def work() -> None:
        for _ in range(5):
            store.update(job.id, notes=threading.current_thread().name)

    threads = [threading.Thread(target=work, name=f"writer-{i}") for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Never two threads on one connection at once, and no thread opens one per write.
    assert 1 <= len(opened) <= 4
    assert store.get(job.id).notes.startswith("writer-")  # type: ignore[union-attr]


def test_a_replaced_file_is_opened_afresh(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    store = Store(path)
    store.create(validate(prompt="old"), cost_estimate=0.3, base_url="http://x/v1")
    for name in ("jobs.sqlite", "jobs.sqlite-wal", "jobs.sqlite-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    fresh = Store(path)  # a new file at the same path: the kept connection is not it
    fresh.create(validate(prompt="new"), cost_estimate=0.3, base_url="http://x/v1")
    assert [r.prompt for r in Store(path).find()] == ["new"]
    with sqlite3.connect(path) as other:  # and the rows are in the file at the path
        assert other.execute("SELECT prompt FROM jobs").fetchall() == [("new",)]


def test_a_failed_operation_drops_the_connection(tmp_path: Path, opened: list[str]) -> None:
    store = Store(tmp_path / "jobs.sqlite")
    job = store.create(validate(prompt="a kite"), cost_estimate=0.3, base_url="http://x/v1")
    store.update(job.id, request_id="same")
    other = store.create(validate(prompt="a kite"), cost_estimate=0.3, base_url="http://x/v1")
    with pytest.raises(sqlite3.IntegrityError):
        store.update(other.id, request_id="same")
    store.update(other.id, request_id="other")  # works, on a new connection
    assert len(opened) == 2


def test_few_connections_kept_per_thread(tmp_path: Path, opened: list[str]) -> None:
    stores = [Store(tmp_path / f"s{i}" / "jobs.sqlite") for i in range(10)]
    fds = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    for store in stores * 3:
        store.count()
    if fds is not None:  # evicted connections are closed: no descriptor piles up
        assert len(os.listdir("/proc/self/fd")) <= fds + 3 * database.KEPT_ENGINES


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_forked_child_opens_its_own(tmp_path: Path) -> None:
    store = Store(tmp_path / "jobs.sqlite")
    job = store.create(validate(prompt="a kite"), cost_estimate=0.3, base_url="http://x/v1")
    pid = os.fork()
    if pid == 0:  # the child: a new connection, and the parent's left alone
        code = 1
        try:
            inherited = {id(e) for e in database._engines.values()}
            store.update(job.id, notes="child")
            mine = store._db.engine()
            code = 0 if id(mine) not in inherited else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.get(job.id).notes == "child"  # type: ignore[union-attr]
    store.update(job.id, notes="parent")  # the parent's connection still works
    assert store.get(job.id).notes == "parent"  # type: ignore[union-attr]

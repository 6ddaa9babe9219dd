"""A PostgreSQL store's faults: one StoreError saying what to do, nothing sent, nothing lost.

The SQLite file's faults are in test_store_faults.py; these are a server's: not
running, no such database, no driver, a row locked by another session past
the wait. A URL's password never shows in a message.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ltx_notebook import Session, Settings, StoreError, validate
from ltx_notebook._core.config import Secret
from ltx_notebook._core.status import JobStatus
from ltx_notebook._storage.store import Store
from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY
from tests.harness.postgres import PostgresServer

PASSWORD = "hunter2-never-shown"


def closed_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def sessions() -> Iterator[list[Session]]:
    made: list[Session] = []
    yield made
    for session in made:
        session.runtime.stop()


def session_on(emulator: Emulator, url: str, media: Path, sessions: list[Session]) -> Session:
    session = Session(
        Settings(
            api_key=Secret(API_KEY), base_url=emulator.base_url, media_dir=media, store_path=url
        )
    )
    sessions.append(session)
    return session


def test_a_job_on_a_postgres_store_is_recorded_before_it_is_sent(
    emulator: Emulator, postgres_url: str, tmp_path: Path, sessions: list[Session]
) -> None:
    session = session_on(emulator, postgres_url, tmp_path, sessions)
    job = session.submit(validate(prompt="a lighthouse at dusk", duration=6))
    job.wait(60)
    (row,) = Store(postgres_url).find()
    assert row.status is JobStatus.COMPLETED and row.request_id == job.request_id
    assert row.video_path is not None and (tmp_path / row.video_path.name).is_file()
    assert emulator.engine.count("submit") == 1


def test_a_server_that_cannot_be_reached_stops_the_submit(
    emulator: Emulator, tmp_path: Path, sessions: list[Session]
) -> None:
    url = f"postgresql+psycopg://ltx:{PASSWORD}@127.0.0.1:{closed_port()}/jobs"
    start = time.monotonic()
    with pytest.raises(StoreError) as info:
        session_on(emulator, url, tmp_path, sessions).submit(validate(prompt="a fox"))
    message = str(info.value)
    assert "cannot be reached" in message and "LTX_NOTEBOOK_STORE" in message
    assert "\n" not in message and len(message) <= 300
    assert PASSWORD not in message and PASSWORD not in repr(info.value.path)
    assert "ltx:***@127.0.0.1" in message
    assert emulator.engine.count() == 0  # nothing sent, so nothing billed
    assert time.monotonic() - start < 30


def test_no_such_database(postgres_server: PostgresServer) -> None:
    with pytest.raises(StoreError, match="refused the login") as info:
        Store(postgres_server.url("no_such_db"))
    assert "database" in str(info.value)


def test_a_driver_that_is_not_installed() -> None:
    with pytest.raises(StoreError, match=r"pip install 'ltx-notebook\[team\]'"):
        Store("postgresql+nosuchdriver://u@127.0.0.1/db")


def test_not_a_url() -> None:
    with pytest.raises(StoreError, match="neither a path nor a database URL"):
        Store("postgresql+psycopg://u@127.0.0.1:notaport/db")


def test_a_row_locked_by_another_session_waits_bounded_and_names_the_paid_job(
    postgres_url: str, postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    from ltx_notebook._storage import store as store_module

    store = Store(postgres_url)
    job = store.create(validate(prompt="a fox"), cost_estimate=0.36, base_url=None)
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 1.0)  # the real wait is 30 s
    database = postgres_url.rsplit("/", 1)[1]
    with psycopg.connect(
        host=postgres_server.host, port=postgres_server.port, user="postgres", dbname=database
    ) as other:
        other.execute("UPDATE jobs SET notes = 'theirs' WHERE id = %s", (job.id,))
        start = time.monotonic()
        with pytest.raises(StoreError) as info:
            store.update(job.id, request_id="4462ebfc-5f91")
        assert time.monotonic() - start < 15
        message = str(info.value)
        assert "locked by another session" in message and "\n" not in message
        assert "request id 4462ebfc-5f91: keep it" in message
        assert store.get(job.id) is not None  # reading is never blocked by a writer
        other.commit()
    done = store.update(job.id, request_id="4462ebfc-5f91")  # free again: it lands
    assert (done.request_id, done.notes) == ("4462ebfc-5f91", "theirs")


def test_a_named_lock_serialises_writers_across_sessions(postgres_url: str) -> None:
    """What a team's budget check will stand on: writers naming one lock run one at a time."""
    import threading

    import sqlalchemy as sa

    store = Store(postgres_url)
    inside, release, second_ran = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first(conn: sa.Connection) -> None:
        inside.set()
        assert release.wait(60)

    def second(conn: sa.Connection) -> None:
        second_ran.set()

    def run(operation: object) -> None:
        try:
            store.writing(operation, doing="testing", lock="budget", wait=60)  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)

    a = threading.Thread(target=run, args=(first,))
    a.start()
    assert inside.wait(60)
    b = threading.Thread(target=run, args=(second,))
    b.start()
    waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    deadline = time.monotonic() + 60
    with store._db.engine().connect() as conn:
        while conn.execute(sa.text(waiting)).scalar_one() == 0:  # the second is queued
            assert time.monotonic() < deadline, "the second writer never waited"
            conn.rollback()
            time.sleep(0.01)
    assert not second_ran.is_set()
    release.set()
    a.join(60)
    b.join(60)
    assert second_ran.is_set() and errors == []

"""A store written before Alembic opens, upgrades in place, and loses nothing.

``fixtures/store-v3.sqlite`` and ``store-v4.sqlite`` were made by the store of
their time (``fixtures/make_store.py``), a few rows of every kind; each
``.rows.json`` is what that store's ``rows()`` read from its file then.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from ltx_notebook._core.status import JobStatus
from ltx_notebook._storage import schema
from ltx_notebook._storage.records import JobRecord
from ltx_notebook._storage.store import Store
from ltx_notebook._storage.tables import history_frame

FIXTURES = Path(__file__).with_name("fixtures")


OLD = {"store-v3": 3, "store-v4": 4}


@pytest.fixture(params=sorted(OLD))
def old(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def old_store(tmp_path: Path, old: str) -> Path:
    path = tmp_path / "ltx-jobs.sqlite"
    shutil.copyfile(FIXTURES / f"{old}.sqlite", path)
    return path


@pytest.fixture
def expected(old: str) -> list[dict[str, Any]]:
    """The rows as the old store read them, with the columns added since: empty."""
    rows: list[dict[str, Any]] = json.loads((FIXTURES / f"{old}.rows.json").read_text())
    added = [f.name for f in dataclasses.fields(JobRecord) if f.name not in rows[0]]
    return [{**row, **dict.fromkeys(added)} for row in rows]


def test_the_fixture_is_what_the_old_release_wrote(old: str) -> None:
    with sqlite3.connect(f"file:{FIXTURES / f'{old}.sqlite'}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (OLD[old],)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "alembic_version" not in tables
        assert conn.execute("SELECT COUNT(*) FROM jobs").fetchone() == (6,)


def test_it_opens_upgrades_and_reads_back_every_field(
    old_store: Path, expected: list[dict[str, Any]], old: str
) -> None:
    store = Store(old_store)
    assert store.schema_version == len(schema.REVISIONS)
    assert store.rows() == expected
    with sqlite3.connect(old_store) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (schema.HEAD,)
        ]
        assert conn.execute("PRAGMA user_version").fetchone() == (schema.LEGACY_USER_VERSION,)
    # Every kind of row reads back as a record, typed.
    by_request = {r.request_id: r for r in store.find()}
    done = by_request["req-done"]
    assert done.status is JobStatus.COMPLETED and done.has_audio is True
    assert (done.cost, done.video_width, done.rating) == (0.96, 2560, 4)
    assert done.metrics == {"cost": 0.96, "inference_time": 41.25, "queue_time": 3.5}
    assert done.video_path == Path("ltx_media/ltx-0001.mp4")
    assert by_request["req-imported"].imported
    assert by_request["req-failed"].generate_audio is False
    assert by_request["req-flying"].payload["seed"] == 42
    assert store.unfinished() == [by_request["req-flying"]]
    assert {r.status for r in store.find(request_id=None)} == {
        JobStatus.SUBMITTING,
        JobStatus.UNKNOWN,
    }
    for row in expected:
        assert store.get(row["id"]) == JobRecord.from_row(row)
    if old == "store-v4":  # its newest column, written by that store, kept
        assert by_request["req-flying"].seen_running_s == 12.5
    assert len(history_frame(store)) == 6


def test_an_upgraded_store_takes_new_rows_and_opens_again(
    old_store: Path, expected: list[dict[str, Any]]
) -> None:
    store = Store(old_store)
    record = store.get(2)
    assert record is not None
    store.update(record.id, request_id="req-late", status="QUEUED")
    again = Store(old_store)
    assert again.get_by_request_id("req-late") == store.get(2)
    others = [r for r in again.rows() if r["id"] != 2]
    assert others == [r for r in expected if r["id"] != 2]


def test_two_openers_of_one_old_store_upgrade_it_once(
    old_store: Path, expected: list[dict[str, Any]]
) -> None:
    import threading

    stores: list[Store] = []
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            stores.append(Store(old_store))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(stores) == 4
    assert stores[0].rows() == expected

"""A store written by the last release before Alembic opens, upgrades in place, loses nothing.

``fixtures/store-v3.sqlite`` was made by that release's own store
(``fixtures/make_v3_store.py``), a few rows of every kind; ``store-v3.rows.json``
is what that store's ``rows()`` read from it then.
"""

from __future__ import annotations

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


@pytest.fixture
def v3_store(tmp_path: Path) -> Path:
    path = tmp_path / "ltx-jobs.sqlite"
    shutil.copyfile(FIXTURES / "store-v3.sqlite", path)
    return path


def expected_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads((FIXTURES / "store-v3.rows.json").read_text())
    return rows


def test_the_fixture_is_what_the_old_release_wrote() -> None:
    with sqlite3.connect(f"file:{FIXTURES / 'store-v3.sqlite'}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (3,)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "alembic_version" not in tables
        assert conn.execute("SELECT COUNT(*) FROM jobs").fetchone() == (6,)


def test_it_opens_upgrades_and_reads_back_every_field(v3_store: Path) -> None:
    store = Store(v3_store)
    assert store.schema_version == len(schema.REVISIONS)
    assert store.rows() == expected_rows()
    with sqlite3.connect(v3_store) as conn:
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
    for row in expected_rows():
        assert store.get(row["id"]) == JobRecord.from_row(row)
    assert len(history_frame(store)) == 6


def test_an_upgraded_store_takes_new_rows_and_opens_again(v3_store: Path) -> None:
    store = Store(v3_store)
    record = store.get(2)
    assert record is not None
    store.update(record.id, request_id="req-late", status="QUEUED")
    again = Store(v3_store)
    assert again.get_by_request_id("req-late") == store.get(2)
    others = [r for r in again.rows() if r["id"] != 2]
    assert others == [r for r in expected_rows() if r["id"] != 2]


def test_two_openers_of_one_old_store_upgrade_it_once(v3_store: Path) -> None:
    import threading

    stores: list[Store] = []
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            stores.append(Store(v3_store))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(stores) == 4
    assert stores[0].rows() == expected_rows()

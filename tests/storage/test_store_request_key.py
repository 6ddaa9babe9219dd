"""The ``request_key`` column: written with every row, indexed, filled for older stores."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from ltx_notebook._core.params import validate
from ltx_notebook._core.request_key import request_key
from ltx_notebook._storage import store as _store
from ltx_notebook._storage.store import Store

BASE = "http://127.0.0.1:8765/v1"


def test_a_new_row_carries_its_request_key(store: Store) -> None:
    params = validate(prompt="a heron", duration=8)
    record = store.create(params, cost_estimate=0.48, base_url=BASE)
    assert record.request_key == request_key("ltx-2-pro", params.payload())
    assert store.find(request_key=record.request_key) == [record]


def test_the_lookup_uses_the_index(store: Store, store_path: Path) -> None:
    with sqlite3.connect(store_path) as conn:
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM jobs WHERE request_key IN (?, ?) "
            "AND base_url = ? AND status IN (?, ?, ?) ORDER BY id DESC",
            ("a", "b", BASE, "QUEUED", "PROCESSING", "COMPLETED"),
        ).fetchall()
    assert "jobs_request_key" in " ".join(str(row) for row in plan)


def test_rows_of_an_older_store_get_their_key_when_it_is_migrated(store_path: Path) -> None:
    # A store as the version before the key wrote it: the first migration only.
    store_path.parent.mkdir(parents=True)
    with sqlite3.connect(store_path) as conn:
        for sql in _store.MIGRATIONS[0]:
            conn.execute(sql)
        body = {"prompt": "an old heron", "duration": 6, "resolution": "1080p"}
        conn.execute(
            "INSERT INTO jobs (request_id, model, prompt, duration, resolution, generate_audio, "
            "params_json, status, base_url, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                "rid-old",
                "ltx-2-pro",
                "an old heron",
                6,
                "1080p",
                1,
                json.dumps(body),
                "COMPLETED",
                BASE,
                "2025-01-01T00:00:00.000000+00:00",
            ),
        )
        conn.execute("PRAGMA user_version = 1")
    upgraded = Store(store_path)
    assert upgraded.schema_version == len(_store.MIGRATIONS)
    old = upgraded.get_by_request_id("rid-old")
    assert old is not None and old.request_key == request_key("ltx-2-pro", body)

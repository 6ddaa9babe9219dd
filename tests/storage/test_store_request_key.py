"""The ``request_key`` column: written with every row, indexed, filled for older stores."""

from __future__ import annotations

import json
from pathlib import Path

from ltx_notebook._core.params import validate
from ltx_notebook._core.request_key import request_key
from ltx_notebook._storage import schema
from ltx_notebook._storage.store import Store

BASE = "http://127.0.0.1:8765/v1"


def test_a_new_row_carries_its_request_key(store: Store) -> None:
    params = validate(prompt="a heron", duration=8)
    record = store.create(params, cost_estimate=0.48, base_url=BASE)
    assert record.request_key == request_key("ltx-2-pro", params.payload())
    assert store.find(request_key=record.request_key) == [record]


def test_the_lookup_uses_the_index(store: Store, backend: str) -> None:
    import sqlalchemy as sa

    with store._db.engine().connect() as conn:
        indexes = {i["name"]: i["column_names"] for i in sa.inspect(conn).get_indexes("jobs")}
        assert indexes["jobs_request_key"] == ["request_key"]
        if backend == "sqlite":  # the planner takes it (PostgreSQL's may scan a tiny table)
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT * FROM jobs WHERE request_key IN (?, ?) "
                "AND base_url = ? AND status IN (?, ?, ?) ORDER BY id DESC",
                ("a", "b", BASE, "QUEUED", "PROCESSING", "COMPLETED"),
            ).fetchall()
            assert "jobs_request_key" in " ".join(str(row) for row in plan)


def test_rows_of_an_older_store_get_their_key_when_it_is_migrated(
    store_path: Path | str,
) -> None:
    import sqlalchemy as sa

    from ltx_notebook._storage import migrate
    from ltx_notebook._storage.database import Database

    # A store as the version before the key wrote it: the first revision only.
    db = Database(store_path)
    if isinstance(store_path, Path):
        store_path.parent.mkdir(parents=True)
    body = {"prompt": "an old heron", "duration": 6, "resolution": "1080p"}
    with db.engine().begin() as conn:
        migrate.upgrade(conn, "0001")
        conn.execute(
            sa.text(
                "INSERT INTO jobs (request_id, model, prompt, duration, resolution, "
                "generate_audio, params_json, status, base_url, updated_at) VALUES "
                "('rid-old', 'ltx-2-pro', 'an old heron', 6, '1080p', true, :body, "
                "'COMPLETED', :base, '2025-01-01T00:00:00.000000+00:00')"
            ),
            {"body": json.dumps(body), "base": BASE},
        )
    upgraded = Store(store_path)
    assert upgraded.schema_version == len(schema.REVISIONS)
    old = upgraded.get_by_request_id("rid-old")
    assert old is not None and old.request_key == request_key("ltx-2-pro", body)

"""Store.get_many: any number of records in one query (the review views' one read)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ltx_notebook._core.params import validate
from ltx_notebook._storage.store import Store
from tests.harness.many_jobs import count_queries


def test_get_many_reads_thousands_in_one_query(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = validate(prompt="a heron at the edge of a lake", duration=6)
    first = store.create(params, cost_estimate=0.36, base_url=None)
    payload = first.params_json
    # Past SQLite's old limit of 999 bound variables, in one transaction for speed.
    with store._db.engine().begin() as conn:
        conn.execute(
            sa.insert(store._table),
            [
                {
                    "model": "ltx-2-pro",
                    "prompt": f"heron {i}",
                    "duration": 6,
                    "resolution": "1080p",
                    "generate_audio": True,
                    "params_json": payload,
                    "status": "QUEUED",
                    "updated_at": "2026-01-01T00:00:00.000000+00:00",
                }
                for i in range(1500)
            ],
        )
    wanted = [*range(1, 1502, 3), 99_999, -(2**70)]
    with count_queries(monkeypatch) as queries:
        found = store.get_many(wanted)
    assert len(queries) == 1, queries
    assert sorted(found) == list(range(1, 1502, 3))  # unknown ids are simply absent
    assert found[1] == first and found[4].prompt == "heron 2"
    assert store.get_many([]) == {}

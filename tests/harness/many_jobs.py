"""A store of thousands of jobs, made in one transaction from a few real ones.

The review views must stay small and read the store once however long the
history; making 5,000 clips through the emulator would take minutes, so the
rows are copies of real finished jobs (their real video and poster files),
with parameters, states, ratings and notes varied. ``count_queries`` counts
the statements run against the ``jobs`` table while a block runs.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

from ltx_notebook._storage.store import Store

NOTES = ("keeper, but the sky flickers", 'says "wow"', "two\nlines", "ünïcødé ★", None)


def fill(store: Store, templates: Sequence[Mapping[str, Any]], n: int) -> None:
    """Add *n* jobs to *store*, copies of the *templates* rows (``Store.rows()``) with variety."""
    columns = [c for c in store.columns if c != "id"]
    rows = []
    for i in range(n):
        row = dict(templates[i % len(templates)])
        payload = json.loads(row["params_json"])
        payload["duration"] = row["duration"] = (6, 8, 10)[i % 3]
        payload["prompt"] = row["prompt"] = f"{row['prompt']} #{i % 7}"
        row["params_json"] = json.dumps(payload, sort_keys=True)
        row["request_id"] = f"copy-{i:06d}-{row['request_id']}"
        row["status"] = "FAILED" if i % 11 == 5 else row["status"]
        row["rating"] = (i % 6) or None
        row["notes"] = NOTES[i % len(NOTES)]
        row["tag"] = f"batch-{i % 4}"
        if i % 9 == 4:
            row["cost"] = None  # billed amount not known yet: the estimate shows, marked
        rows.append([row.get(c) for c in columns])
    marks = ", ".join("?" * len(columns))
    conn = sqlite3.connect(store.path)
    try:
        with conn:
            conn.executemany(f"INSERT INTO jobs ({', '.join(columns)}) VALUES ({marks})", rows)
    finally:
        conn.close()


@contextmanager
def count_queries(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The SQL statements that touch the jobs table while the block runs, in order.

    Counted as SQLAlchemy sends them to the database, whichever it is.
    """
    import sqlalchemy as sa

    seen: list[str] = []

    def record(conn: Any, cursor: Any, sql: str, *rest: Any) -> None:
        if " jobs" in sql and not sql.startswith("PRAGMA"):
            seen.append(sql)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)

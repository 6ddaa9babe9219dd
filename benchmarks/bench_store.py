"""The store on PostgreSQL beside SQLite: ``history()`` of 10,000 rows, and a poll's write.

Both stores hold the same rows (copies of one finished job, each its own request
id) and are measured in turn, interleaved, so the machine's noise falls on both:

* ``history()``: the typed DataFrame ``ltx.history()`` returns (``history_view``),
  read whole from the store;
* a poll's write: what a poll that sees a job change state writes
  (``Store.update(id, status=..., metrics=None)``: the row read under its lock,
  what follows derived, written, read back), on the newest rows in turn.

PostgreSQL is a real server started in a temporary folder for the run (the
tests' own starter, ``tests/harness/postgres.py``), on loopback: a team's server
across a network adds its round trips to every figure.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ltx_notebook._core.params import validate
from ltx_notebook._storage import jobs_sql
from ltx_notebook._storage.store import Store
from ltx_notebook._view.history import history_view

ROWS = 10_000
READS = 7
WRITES = 400


def _fill(store: Store, rows: int) -> None:
    """*rows* finished jobs, copies of one, in one write."""
    job = store.create(
        validate(prompt="a paper boat on a rain-swept street, slow dolly in"),
        cost_estimate=0.8,
        base_url="https://api.segmind.com/v1",
    )
    store.update(job.id, request_id="req-template", status="PROCESSING")
    store.update(
        job.id,
        status="COMPLETED",
        cost=0.8,
        metrics={"inference_time": 41.2, "total_time": 44.9},
        video_path=f"/home/me/ltx_media/ltx-{job.id:04d}-reqtempl.mp4",
        poster_path=f"/home/me/ltx_media/ltx-{job.id:04d}-reqtempl.jpg",
        file_bytes=9_412_004,
        video_seconds=8.0,
        video_width=1920,
        video_height=1080,
        video_fps=24.0,
        has_audio=True,
        owner="me",
        seen_running_s=38.5,
    )
    template = {k: v for k, v in store.rows()[0].items() if k != "id"}
    copies = [dict(template, request_id=f"req-{i:08d}") for i in range(rows - 1)]

    def insert(conn: Any) -> None:
        conn.execute(jobs_sql.reflect(conn).insert(), copies)

    store.writing(insert, doing="filling the benchmark's store")


def _history_s(store: Store, rows: int) -> float:
    t0 = time.perf_counter()
    frame = history_view(store)
    took = time.perf_counter() - t0
    assert len(frame) == rows, len(frame)
    return took


def _write_ms(store: Store, ids: list[int], n: int, start: int) -> list[float]:
    out = []
    for i in range(start, start + n):
        status = "QUEUED" if i % 2 else "PROCESSING"
        t0 = time.perf_counter()
        store.update(ids[i % len(ids)], status=status, metrics=None)
        out.append((time.perf_counter() - t0) * 1000)
    return out


@contextlib.contextmanager
def _stores(rows: int) -> Iterator[dict[str, Store]]:
    from tests.harness.postgres import fresh_database, running_postgres

    with (
        tempfile.TemporaryDirectory(prefix="bench-store-") as folder,
        running_postgres() as server,
        fresh_database(server) as url,
    ):
        stores = {"SQLite": Store(Path(folder) / "ltx-jobs.sqlite"), "PostgreSQL": Store(url)}
        for store in stores.values():
            _fill(store, rows)
        yield stores


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": statistics.median(ordered),
        "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
        "min": ordered[0],
    }


def run(rows: int = ROWS, reads: int = READS, writes: int = WRITES) -> dict[str, Any]:
    with _stores(rows) as stores:
        reads_s: dict[str, list[float]] = {name: [] for name in stores}
        writes_ms: dict[str, list[float]] = {name: [] for name in stores}
        for store in stores.values():  # a first read each, not counted: imports, caches
            _history_s(store, rows)
        for _ in range(reads):
            for name, store in stores.items():
                reads_s[name].append(_history_s(store, rows))
        newest = {name: [r.id for r in store.find(limit=200)] for name, store in stores.items()}
        block = 50
        for start in range(0, writes, block):
            for name, store in stores.items():
                writes_ms[name] += _write_ms(store, newest[name], block, start)
        return {
            "rows": rows,
            "backends": {
                name: {
                    "history_s": _summary(reads_s[name]),
                    "write_ms": _summary(writes_ms[name]),
                }
                for name in stores
            },
        }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--reads", type=int, default=READS)
    parser.add_argument("--writes", type=int, default=WRITES)
    args = parser.parse_args(argv)
    r = run(args.rows, args.reads, args.writes)
    for name, m in r["backends"].items():
        h, w = m["history_s"], m["write_ms"]
        print(
            f"{name}: history() of {r['rows']:,} rows {h['median']:.2f} s (min {h['min']:.2f}); "
            f"a poll's write {w['median']:.2f} ms (p95 {w['p95']:.2f})"
        )
    return r


if __name__ == "__main__":
    main()

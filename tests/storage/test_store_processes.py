"""Two kernels writing one store at once (a SQLite file, a PostgreSQL database): no row lost."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from ltx_notebook._core.status import JobStatus
from ltx_notebook._storage.store import Store

WRITER = """
import sys, time
from pathlib import Path
from ltx_notebook._core.params import validate
from ltx_notebook._storage.store import Store

path, name, n, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
go.with_name(f"ready-{name}").touch()
while not go.exists():  # start together, so both also race to create the schema
    time.sleep(0.002)
store = Store(path)
p = validate(prompt=f"writer {name}", duration=8)
other = "b" if name == "a" else "a"
for i in range(n):
    if i == n // 2:
        # Halfway, wait for the other writer to be halfway too: a write now takes a
        # fraction of a millisecond, and one could finish before the other starts.
        go.with_name(f"half-{name}").touch()
        deadline = time.monotonic() + 60
        while not go.with_name(f"half-{other}").exists() and time.monotonic() < deadline:
            time.sleep(0.002)
    job = store.create(p, cost_estimate=0.48, base_url="http://127.0.0.1:1/v1", tag=name)
    store.update(job.id, request_id=f"{name}-{i}", status="QUEUED", notes=f"{name}:{i}")
    if i % 2:
        store.update(job.id, status="PROCESSING")
"""


def test_two_processes_lose_no_row(tmp_path: Path, store_path: Path | str) -> None:
    path = store_path  # not created yet: both migrate at once
    go = tmp_path / "go"
    per_writer = 200
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), name, str(per_writer), str(go)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    deadline = time.monotonic() + 120
    # Both interpreters imported everything and wait on the flag: then, go.
    while not all((tmp_path / f"ready-{n}").exists() for n in ("a", "b")):
        assert time.monotonic() < deadline, "writers did not start"
        assert all(p.poll() is None for p in procs), "a writer died at start"
        time.sleep(0.01)
    go.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err

    store = Store(path)
    rows = store.find()
    assert len(rows) == 2 * per_writer
    assert len({r.id for r in rows}) == 2 * per_writer
    for name in ("a", "b"):
        mine = sorted((r for r in rows if r.tag == name), key=lambda r: int(r.notes.split(":")[1]))
        assert len(mine) == per_writer
        for i, r in enumerate(mine):
            assert r.request_id == f"{name}-{i}"
            assert r.notes == f"{name}:{i}"
            assert r.prompt == f"writer {name}"
            want = JobStatus.PROCESSING if i % 2 else JobStatus.QUEUED
            assert r.status is want
            assert (r.started_at is not None) == (i % 2 == 1)
        # Each writer's own rows were created in order.
        assert [r.id for r in mine] == sorted(r.id for r in mine)
    a_ids = [r.id for r in rows if r.tag == "a"]
    b_ids = [r.id for r in rows if r.tag == "b"]
    assert min(a_ids) < max(b_ids) and min(b_ids) < max(a_ids), "the writers never overlapped"
    assert len(store.unfinished()) == 2 * per_writer

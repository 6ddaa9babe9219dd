"""Two kernels writing one job store at the same time lose no row.

Each kernel runs a sweep against the same emulator and, while its jobs run,
rates rows over and over; both share ``LTX_NOTEBOOK_STORE``. Both cells are
sent before either is read, so their writes interleave for real.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ltx_notebook._core.status import JobStatus
from ltx_notebook._storage.store import Store
from ltx_notebook.emulator import Emulator
from tests.harness.kernel import kernel_env, start_kernel

pytestmark = pytest.mark.kernel

CELL = """
import ltx_notebook as ltx
sw = ltx.sweep({prompts!r}, grid={{"duration": [6, 8, 10]}}, yes=True, concurrency=3, tag={tag!r})
store = ltx._api._default_session().store
i = 0
while not sw.done or i < 30:  # rating writes racing both kernels' job writes
    for job in sw.jobs:  # the jobs sent so far: iterating the sweep would wait for submits
        store.update(job.id, rating=1 + i % 5, notes=f"{tag} pass {{i}}")
    i += 1
sw.wait(120)
print("done", sw.sweep_id, dict(sw.counts()))
"""


def test_two_kernels_share_one_store_without_losing_a_row(
    module_emulator: Emulator, tmp_path: Path
) -> None:
    store_path = tmp_path / "shared" / "jobs.sqlite"
    kernels = []
    for name in ("left", "right"):
        root = tmp_path / name
        root.mkdir()
        env = kernel_env(module_emulator, root, LTX_NOTEBOOK_STORE=str(store_path))
        kernels.append(start_kernel(root, env))
    try:
        sent = [
            k.send(CELL.format(prompts=[f"{tag} heron", f"{tag} crane"], tag=tag))
            for k, tag in zip(kernels, ("left", "right"), strict=True)
        ]
        runs = [k.collect(msg_id, timeout=240) for k, msg_id in zip(kernels, sent, strict=True)]
        for run in runs:
            assert run.status == "ok", run.text()[-3000:]
            assert "done sw-" in run.stdout
    finally:
        for k in kernels:
            k.shutdown()

    rows = Store(store_path).find()
    assert len(rows) == 12  # 2 kernels x 2 prompts x 3 durations
    assert {r.tag for r in rows} == {"left", "right"}
    assert len({r.sweep_id for r in rows}) == 2
    assert all(r.status is JobStatus.COMPLETED and r.video_path for r in rows)
    assert all(r.rating is not None and r.notes and r.notes.startswith(r.tag) for r in rows)
    assert len({r.request_id for r in rows}) == 12
    assert len(module_emulator.engine.jobs) >= 12

"""``%ltx resume`` after a real kernel restart brings a paid job to its video."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ltx_notebook._storage.store import Store
from ltx_notebook.emulator import Emulator
from tests.conftest import make_emulator
from tests.kernel.conftest import Kernel, assert_no_key, kernel_env, start_kernel

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="module")
def slow_emulator(render_cache: Path) -> Iterator[Emulator]:
    with make_emulator(render_cache, speed=10.0) as emu:  # ltx-2-pro 6 s: ~7 s
        yield emu


@pytest.fixture(scope="module")
def kernel(slow_emulator: Emulator, root: Path) -> Iterator[Kernel]:
    k = start_kernel(root, kernel_env(slow_emulator, root))  # headless: resume waits
    yield k
    k.shutdown()


def test_ctrl_c_during_a_headless_wait_ends_the_wait_not_the_job(
    kernel: Kernel, slow_emulator: Emulator, root: Path
) -> None:
    msg_id = kernel.send("%%ltx -o waited\na paper boat drifting on a puddle")  # waits: headless
    shown = kernel.collect(
        msg_id, timeout=30, until=lambda run: any(m["msg_type"] == "display_data" for m in run.own)
    )
    time.sleep(0.5)
    kernel.interrupt()
    cell = kernel.collect(msg_id, timeout=30)
    assert cell.status == "ok", cell.text()[-2000:]
    rid = list(slow_emulator.engine.jobs)[-1]
    assert slow_emulator.engine.status_of(rid) in ("QUEUED", "PROCESSING")
    assert f"stopped waiting (interrupted); job {rid} keeps running" in cell.stdout
    # The HTML panel says so too (and stays as the saved output until the job ends).
    panels = [m for m in shown.own + cell.own if m["msg_type"].endswith("display_data")]
    assert "Stopped waiting" in panels[-1]["content"]["data"]["text/html"]

    out = kernel.ok("waited.wait(60); print(waited.status.value)", timeout=90)
    assert out.stdout.strip() == "COMPLETED"
    (row,) = Store(root / "ltx_media" / "ltx-jobs.sqlite").find(request_id=rid)
    assert row.status == "COMPLETED" and (root / row.video_path).is_file()


def test_resume_after_a_kernel_restart_completes_the_job_with_its_video(
    kernel: Kernel, slow_emulator: Emulator, root: Path
) -> None:
    kernel.ok("%%ltx --no-wait -o job\na lighthouse on a cliff, waves below")
    rid = kernel.ok("print(job.request_id)").stdout.strip()
    submits = slow_emulator.engine.count("submit", status=200)
    store = Store(root / "ltx_media" / "ltx-jobs.sqlite")
    assert store.get_by_request_id(rid).status in ("QUEUED", "PROCESSING")

    kernel.restart()
    assert slow_emulator.engine.status_of(rid) in ("QUEUED", "PROCESSING")  # outlived its kernel
    assert kernel.ok("print('job' in dir())").stdout.strip() == "False"  # a fresh process
    kernel.ok("%load_ext ltx_notebook")

    run = kernel.ok("%ltx resume", timeout=90)
    assert rid in run.stdout
    final = [h for h in run.html() if "<video" in h]
    assert final, run.text()[-2000:]
    src = re.search(r'<video[^>]*\ssrc="([^"]+)"', final[-1])
    assert src and (root / src.group(1)).is_file()

    (row,) = store.find(request_id=rid)  # still exactly one row for the job
    assert row.status == "COMPLETED" and (root / row.video_path).is_file()
    assert row.video_seconds == pytest.approx(6, abs=0.1)
    assert slow_emulator.engine.count("submit", status=200) == submits  # never sent again

    again = kernel.ok("%ltx resume")
    assert "nothing to resume" in again.stdout
    assert_no_key(kernel)

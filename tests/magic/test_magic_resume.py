"""``%ltx resume`` after a real kernel restart brings a paid job to its video."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import pytest

from ltx_notebook._storage.store import Store
from ltx_notebook.emulator import Emulator
from tests.harness.kernel import Kernel, assert_no_key

pytestmark = pytest.mark.kernel


def test_ctrl_c_during_a_headless_wait_ends_the_wait_not_the_job(
    slow_kernel: Kernel, slow_emulator: Emulator, root: Path
) -> None:
    # slow_kernel is headless, so the cell waits for its job.
    msg_id = slow_kernel.send("%%ltx -o waited\na paper boat drifting on a puddle")
    # The headless wait refreshes its panel every tick: a refresh is the proof that the
    # cell is inside that wait, where Ctrl-C is caught.
    shown = slow_kernel.collect(
        msg_id,
        timeout=30,
        until=lambda run: any(m["msg_type"] == "update_display_data" for m in run.own),
    )
    slow_kernel.interrupt()
    cell = slow_kernel.collect(msg_id, timeout=30)
    assert cell.status == "ok", cell.text()[-2000:]
    rid = list(slow_emulator.engine.jobs)[-1]
    assert slow_emulator.engine.status_of(rid) in ("QUEUED", "PROCESSING")
    assert f"stopped waiting (interrupted); job {rid} keeps running" in cell.stdout
    # The HTML panel says so too (and stays as the saved output until the job ends).
    panels = [m for m in shown.own + cell.own if m["msg_type"].endswith("display_data")]
    assert "Stopped waiting" in panels[-1]["content"]["data"]["text/html"]

    out = slow_kernel.ok("waited.wait(60); print(waited.status.value)", timeout=90)
    assert out.stdout.strip() == "COMPLETED"
    (row,) = Store(root / "ltx_media" / "ltx-jobs.sqlite").find(request_id=rid)
    assert row.status == "COMPLETED" and (root / row.video_path).is_file()


def test_resume_after_a_kernel_restart_completes_the_job_with_its_video(
    slow_kernel: Kernel, slow_emulator: Emulator, root: Path
) -> None:
    slow_kernel.ok("%%ltx --no-wait -o job\na lighthouse on a cliff, waves below")
    rid = slow_kernel.ok("print(job.request_id)").stdout.strip()
    submits = slow_emulator.engine.count("submit", status=200)
    store = Store(root / "ltx_media" / "ltx-jobs.sqlite")
    assert store.get_by_request_id(rid).status in ("QUEUED", "PROCESSING")

    slow_kernel.restart()
    assert slow_emulator.engine.status_of(rid) in ("QUEUED", "PROCESSING")  # outlived its kernel
    assert slow_kernel.ok("print('job' in dir())").stdout.strip() == "False"  # a fresh process
    slow_kernel.ok("%load_ext ltx_notebook")

    run = slow_kernel.ok("%ltx resume", timeout=90)
    assert rid in run.stdout
    final = [h for h in run.html() if "<video" in h]
    assert final, run.text()[-2000:]
    src = re.search(r'<video[^>]*\ssrc="([^"]+)"', final[-1])
    assert src and (root / src.group(1)).is_file()

    (row,) = store.find(request_id=rid)  # still exactly one row for the job
    assert row.status == "COMPLETED" and (root / row.video_path).is_file()
    assert row.video_seconds == pytest.approx(6, abs=0.1)
    assert slow_emulator.engine.count("submit", status=200) == submits  # never sent again

    again = slow_kernel.ok("%ltx resume")
    assert "nothing to resume" in again.stdout
    assert_no_key(slow_kernel)


@pytest.mark.slow
def test_a_kernel_killed_mid_sweep_then_resume_brings_every_job_to_its_video(
    slow_kernel: Kernel, slow_emulator: Emulator, root: Path
) -> None:
    slow_kernel.ok("%%ltx --no-wait --yes -o sw --sweep duration=6,8,10\na kite over a windy beach")
    sweep_id = slow_kernel.ok("print(sw.sweep_id)").stdout.strip()
    store = Store(root / "ltx_media" / "ltx-jobs.sqlite")
    deadline = time.monotonic() + 60
    # Mid-sweep: every job submitted, the first one done, the others still running.
    while True:
        rows = store.find(sweep_id=sweep_id)
        submitted = len(rows) == 3 and all(r.request_id for r in rows)
        if submitted and any(r.status == "COMPLETED" for r in rows):
            break
        assert time.monotonic() < deadline, rows
        time.sleep(0.1)
    running = [r for r in rows if slow_emulator.engine.status_of(r.request_id) != "COMPLETED"]
    assert running, "the sweep ended before the kill"
    submits = slow_emulator.engine.count("submit")

    os.kill(slow_kernel.km.provisioner.process.pid, signal.SIGKILL)  # the kernel dies
    slow_kernel.restart()
    slow_kernel.ok("%load_ext ltx_notebook")
    run = slow_kernel.ok("%ltx resume", timeout=120)
    assert "resuming" in run.stdout, run.text()[-2000:]

    rows = store.find(sweep_id=sweep_id)
    assert len(rows) == 3
    for row in rows:
        assert row.status == "COMPLETED", row
        assert row.video_path and (root / row.video_path).is_file()
    assert sorted(r.duration for r in rows) == [6, 8, 10]
    assert slow_emulator.engine.count("submit") == submits  # nothing sent again
    assert not list((root / "ltx_media").glob("*.part"))


def test_resume_reports_a_submit_a_crash_cut_short(
    slow_kernel: Kernel, slow_emulator: Emulator, root: Path
) -> None:
    from ltx_notebook import validate

    store = Store(root / "ltx_media" / "ltx-jobs.sqlite")
    # What a kernel killed mid-submit leaves: a row SUBMITTING, long past any submit's time.
    row = store.create(validate(prompt="cut short"), cost_estimate=0.36, base_url="x")
    store.update(row.id, submitted_at=time.time() - 3600)
    run = slow_kernel.ok("%ltx resume", timeout=60)
    assert f"job {row.id}: UNKNOWN" in run.stdout and "console" in run.stdout
    assert store.get(row.id).status == "UNKNOWN"

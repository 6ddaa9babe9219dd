"""``%ltx reconcile`` and ``%ltx adopt`` in a real kernel, against an emulator on loopback."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from ltx_notebook import JobStatus, validate
from ltx_notebook._storage.store import Store
from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY
from tests.harness.kernel import Kernel, assert_no_key, assert_one_usage_error

pytestmark = pytest.mark.kernel

PROMPT = "a paper boat drifting on a puddle"


def behind_the_gateway(emulator: Emulator, body: dict[str, object]) -> str:
    root = emulator.base_url.removesuffix("/v1")
    reply = httpx.post(f"{root}/v2/ltx-2-pro", json=body, headers={"x-api-key": API_KEY})
    reply.raise_for_status()
    rid: str = reply.json()["request_id"]
    deadline = time.monotonic() + 60
    while module_status(emulator, rid) != "COMPLETED":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return rid


def module_status(emulator: Emulator, rid: str) -> str | None:
    return emulator.engine.status_of(rid)


def test_reconcile_lists_a_lost_submit_and_fills_charges_then_adopt_finishes_it(
    kernel: Kernel, module_emulator: Emulator, root: Path
) -> None:
    kernel.ok("%%ltx -o first\na lighthouse on a cliff, waves below", timeout=90)
    store = Store(root / "ltx_media" / "ltx-jobs.sqlite")
    (first,) = store.find(status=JobStatus.COMPLETED)
    store.update(first.id, cost=None)  # recorded by a version that never read the charge

    params = validate(prompt=PROMPT)
    one = behind_the_gateway(module_emulator, params.payload())
    two = behind_the_gateway(module_emulator, params.payload())
    lost = store.create(params, cost_estimate=0.36, base_url=module_emulator.base_url)
    store.update(lost.id, status=JobStatus.UNKNOWN, error="interrupted")
    submits = module_emulator.engine.count("submit")

    run = kernel.ok("%ltx reconcile", timeout=60)
    out = run.stdout
    charge = module_emulator.engine.jobs[first.request_id].cost
    assert out.startswith("reconciled 2 job(s): 1 changed"), out
    assert f"job {first.id} ({first.request_id}): COMPLETED: real charge ${charge:.4f}" in out
    assert f"job {lost.id}: UNKNOWN: 2 requests match" in out
    assert one in out and two in out and f"%ltx adopt {lost.id} REQUEST_ID" in out
    assert store.get(first.id).cost == pytest.approx(charge)

    assert_one_usage_error(
        kernel, module_emulator, "%ltx adopt first " + two, "ROW must be a job's local id"
    )
    assert_one_usage_error(kernel, module_emulator, f"%ltx adopt {lost.id}", "usage: %ltx adopt")

    adopted = kernel.ok(f"%ltx adopt {lost.id} {two}", timeout=90)
    assert f"job {lost.id} is request {two}" in adopted.stdout
    final = [h for h in adopted.html() if "<video" in h]  # headless: it waited for the video
    assert final, adopted.text()[-2000:]
    src = re.search(r'<video[^>]*\ssrc="([^"]+)"', final[-1])
    assert src and (root / src.group(1)).is_file()
    row = store.get(lost.id)
    assert row.status is JobStatus.COMPLETED and row.request_id == two
    assert row.cost == pytest.approx(module_emulator.engine.jobs[two].cost)
    assert module_emulator.engine.count("submit") == submits  # nothing was sent again

    again = kernel.ok("%ltx reconcile")
    assert again.stdout.startswith("reconciled 2 job(s): 0 changed")
    assert_no_key(kernel)

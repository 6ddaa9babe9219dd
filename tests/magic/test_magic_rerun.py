"""The re-run guard in a real (headless) kernel, submits counted at the emulator.

Re-running a ``%%ltx`` cell shows the job it made and sends nothing; ``--again``
sends; a sweep re-run after it was cut short sends only what is missing;
``%config LtxMagics.reuse = False`` turns the guard off; ``%ltx show ID --again``
sends one job's exact request anew.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from ltx_notebook.emulator import Emulator
from tests.harness.kernel import Kernel, assert_no_key, assert_one_usage_error

pytestmark = pytest.mark.kernel

CELL = "%%ltx -o first\na lighthouse in the fog"
PRICE = 0.36  # the emulator's price of one default ltx-2-pro job


def submits(emu: Emulator) -> int:
    return sum(emu.engine.count("submit", status=code) for code in (200, 201, 202))


def video_srcs(html: str) -> list[str]:
    return re.findall(r'<video[^>]*\ssrc="([^"]+)"', html)


@pytest.fixture
def credits_kept(module_emulator: Emulator) -> Iterator[None]:
    before = module_emulator.engine.credits
    yield
    module_emulator.engine.set_credits(before)


def test_a_rerun_cell_shows_its_job_and_sends_nothing(
    kernel: Kernel, module_emulator: Emulator
) -> None:
    before = submits(module_emulator)
    done = kernel.ok(CELL, timeout=120)
    assert submits(module_emulator) == before + 1
    job_id = kernel.ok("print(first.id)").stdout.strip()

    again = kernel.ok(CELL.replace("first", "second"))
    assert submits(module_emulator) == before + 1  # nothing sent
    assert again.stdout.strip() == (
        f"same request as job {job_id} (COMPLETED): shown again, nothing sent; "
        "--again sends a new one"
    )
    assert video_srcs(again.html()[-1]) == video_srcs(done.html()[-1]) != []
    assert kernel.ok("print(second is first)").stdout.strip() == "True"

    dry = kernel.ok("%%ltx --dry-run\na lighthouse in the fog")
    assert f"running it now: same request as job {job_id}" in dry.stdout

    sent = kernel.ok("%%ltx --again -o third\na lighthouse in the fog", timeout=120)
    assert submits(module_emulator) == before + 2
    assert "same request" not in sent.stdout
    assert kernel.ok("print(third.id != first.id)").stdout.strip() == "True"
    assert_no_key(kernel)


def test_a_job_still_running_is_followed_again(kernel: Kernel, module_emulator: Emulator) -> None:
    before = submits(module_emulator)
    kernel.ok("%%ltx --no-wait -o running\na paper lantern drifting upwards")
    rerun = kernel.ok("%%ltx --no-wait -o rerun\na paper lantern drifting upwards")
    assert submits(module_emulator) == before + 1
    # Still running or already done, depending on the machine: either way, that job.
    assert re.fullmatch(
        r"same request as job \d+ \((QUEUED|PROCESSING|COMPLETED)\): (followed|shown) again, "
        r"nothing sent; --again sends a new one",
        rerun.stdout.strip().splitlines()[0],
    ), rerun.stdout
    out = kernel.ok("print(rerun is running, rerun.wait(60).status.value)").stdout.split()
    assert out == ["True", "COMPLETED"]


def test_config_reuse_false_sends_every_time(kernel: Kernel, module_emulator: Emulator) -> None:
    kernel.ok("%%ltx\na windmill at noon", timeout=120)
    before = submits(module_emulator)
    kernel.ok("%config LtxMagics.reuse = False")
    try:
        run = kernel.ok("%%ltx\na windmill at noon", timeout=120)
    finally:
        kernel.ok("%config LtxMagics.reuse = True")
    assert submits(module_emulator) == before + 1
    assert "same request" not in run.stdout


@pytest.mark.usefixtures("credits_kept")
def test_a_sweep_cut_short_sends_only_what_is_missing_when_run_again(
    kernel: Kernel, module_emulator: Emulator
) -> None:
    cell = "%%ltx --concurrency 1\na red kite\n---\na grey heron\n---\na white swan\n---\na crow"
    # Credits for two jobs: the third submit is refused (406) and the sweep stops there.
    # The balance read before the sweep fails, so it starts as a crash-prone run would.
    module_emulator.engine.set_credits(2 * PRICE + 0.01)
    module_emulator.engine.inject("credits", status=404)
    before = submits(module_emulator)
    cut = kernel.run(cell, timeout=120)
    assert "InsufficientCredits" in cut.text()
    assert submits(module_emulator) == before + 2

    module_emulator.engine.set_credits(100.0)
    rerun = kernel.ok(cell, timeout=120)
    assert submits(module_emulator) == before + 4  # the two that were missing, only
    assert rerun.stdout.startswith(
        "2 of 4 combinations are the same request as jobs in the store: shown again, "
        "nothing sent for them; 2 sent; --again sends them all"
    ), rerun.stdout
    assert len(video_srcs(rerun.html()[-1])) == 4  # the grid holds the reused videos too

    finished = kernel.ok(cell, timeout=120)
    assert submits(module_emulator) == before + 4
    assert "4 of 4 combinations" in finished.stdout and "0 sent" in finished.stdout


def test_a_rerun_cell_whose_submit_answer_was_lost_is_stopped_with_one_line(
    kernel: Kernel, module_emulator: Emulator
) -> None:
    """Issue 18, item 1 (a): the answer lost, the same cell run again in the same kernel."""
    cell = "%%ltx -o lost\na weathervane spinning in a storm"
    module_emulator.engine.inject("submit", 504)  # the gateway gave up: nobody knows yet
    first = kernel.run(cell, timeout=120)
    assert "SubmitUnknown" in first.text()
    job_id = kernel.ok(
        "import ltx_notebook as _l; print(_l.history(status='UNKNOWN').index[0])"
    ).stdout.strip()

    assert_one_usage_error(kernel, module_emulator, cell, f"job {job_id}")
    stopped = kernel.run(cell)
    assert "%ltx reconcile" in stopped.stderr and "--again" in stopped.stderr

    sweep_cell = cell.replace("-o lost", "--sweep duration=6,8")
    assert_one_usage_error(kernel, module_emulator, sweep_cell, f"job {job_id}")

    before = submits(module_emulator)
    kernel.ok(cell.replace("-o lost", "--again"), timeout=120)  # asked for: sent
    assert submits(module_emulator) == before + 1


def test_show_again_resends_a_jobs_exact_request(kernel: Kernel, module_emulator: Emulator) -> None:
    kernel.ok("%%ltx -d 8 --no-audio -o made\na tram in the rain", timeout=120)
    job_id = kernel.ok("print(made.id)").stdout.strip()
    before = submits(module_emulator)
    run = kernel.ok(f"%ltx show {job_id} --again", timeout=120)
    assert submits(module_emulator) == before + 1
    assert run.stdout.startswith("sent again as job ")
    assert video_srcs(run.html()[-1])
    first, resent = list(module_emulator.engine.jobs.values())[-2:]
    assert resent.params == first.params  # the very same request


def test_show_again_refuses_a_request_whose_image_changed(
    kernel: Kernel, module_emulator: Emulator, root: Path
) -> None:
    frame = root / "frame.png"
    Image.new("RGB", (64, 36), (200, 40, 40)).save(frame)
    kernel.ok("%%ltx -i frame.png -o framed\nthe frame comes alive", timeout=120)
    job_id = kernel.ok("print(framed.id)").stdout.strip()
    Image.new("RGB", (64, 36), (40, 40, 200)).save(frame)
    assert_one_usage_error(
        kernel, module_emulator, f"%ltx show {job_id} --again", "has changed or is gone since"
    )


@pytest.mark.parametrize("line", ["%ltx show --again", "%ltx show 1 2 --again"])
def test_show_again_needs_one_id(kernel: Kernel, module_emulator: Emulator, line: str) -> None:
    assert_one_usage_error(kernel, module_emulator, line, "usage: %ltx show ID [--again]")


def test_help_names_again(kernel: Kernel) -> None:
    assert "--again" in kernel.ok("%%ltx?").page
    assert "%ltx show ID [--again]" in kernel.ok("%ltx?").page

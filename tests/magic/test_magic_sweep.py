"""``%%ltx --sweep``: a grid from one cell, in a real (headless) kernel against the emulator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ltx_notebook._storage.store import Store
from ltx_notebook.emulator import Emulator
from tests.conftest import poster_ok
from tests.harness.kernel import Kernel, assert_no_key

pytestmark = pytest.mark.kernel


def submits(emu: Emulator) -> int:
    return emu.engine.count("submit")


def usage_line(kernel: Kernel, code: str) -> str:
    """IPython prints a UsageError as one stderr line, with no traceback."""
    run = kernel.run(code)
    assert run.error is None, run.text()
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("UsageError: "), run.text()
    return lines[0]


def test_a_grid_runs_every_combination_and_leaves_a_static_grid(
    kernel: Kernel, module_emulator: Emulator, root: Path
) -> None:
    before = submits(module_emulator)
    run = kernel.ok(
        "%%ltx --sweep duration=6,8 --sweep resolution=1080p,2k --tag grid -o sw\n"
        "a kite over dunes",
        timeout=180,
    )
    assert submits(module_emulator) - before == 4
    final = run.html()[-1]
    assert final.count("<video") == 4
    for src in re.findall(r'<video[^>]*\ssrc="([^"]+)"', final):
        assert not src.startswith(("/", "http", "data:")) and (root / src).is_file()
    for poster in re.findall(r'<video[^>]*\sposter="([^"]+)"', final):
        assert poster_ok(poster, root)
    sweep_id = kernel.ok("print(sw.sweep_id)").stdout.strip()
    rows = Store(root / "ltx_media" / "ltx-jobs.sqlite").find(sweep_id=sweep_id)
    assert len(rows) == 4 and {r.tag for r in rows} == {"grid"}
    assert {(r.duration, r.resolution) for r in rows} == {
        (6, "1080p"),
        (8, "1080p"),
        (6, "2k"),
        (8, "2k"),
    }
    assert_no_key(kernel)


def test_prompt_variants_split_on_dashes_and_options_hold_for_every_job(
    kernel: Kernel, module_emulator: Emulator
) -> None:
    before = len(module_emulator.engine.jobs)
    kernel.ok("%%ltx -d 8 --no-audio -o sw2\na red fox\n---\na grey wolf", timeout=120)
    jobs = list(module_emulator.engine.jobs.values())[before:]
    assert sorted(j.params["prompt"] for j in jobs) == ["a grey wolf", "a red fox"]
    assert all(j.params["duration"] == 8 and j.params["generate_audio"] is False for j in jobs)


def test_zip_pairs_the_lists(kernel: Kernel, module_emulator: Emulator) -> None:
    before = len(module_emulator.engine.jobs)
    kernel.ok(
        "%%ltx --zip --sweep duration=6,10 --sweep resolution=1080p,4k\na slow pan", timeout=120
    )
    jobs = list(module_emulator.engine.jobs.values())[before:]
    pairs = {(j.params["duration"], j.params["resolution"]) for j in jobs}
    assert pairs == {(6, "1080p"), (10, "4k")}


def test_dry_run_lists_the_grid_and_sends_nothing(
    kernel: Kernel, module_emulator: Emulator
) -> None:
    before = module_emulator.engine.count()
    run = kernel.ok("%%ltx --dry-run --sweep duration=6,8,10\na heron")
    assert module_emulator.engine.count() == before
    assert "estimate" in run.text().lower() and "10" in run.text()


def test_a_large_sweep_asks_for_yes_and_sends_nothing(
    kernel: Kernel, module_emulator: Emulator
) -> None:
    before = module_emulator.engine.count()
    line = usage_line(
        kernel, "%%ltx --sweep duration=6,8,10 --sweep resolution=1080p,2k,4k\na heron"
    )
    assert "9 jobs" in line and "--yes" in line and "nothing was sent" in line
    assert module_emulator.engine.count() == before


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("--sweep duration", "name=value1,value2"),
        ("--sweep nonsense=24,30", "cannot sweep 'nonsense'"),
        ("--sweep fps=24,30", "unknown parameter 'fps' for ltx-2-pro"),  # another model's
        ("--sweep duration=6,7", "duration must be one of 6, 8, 10"),
        ("--zip --sweep duration=6,8 --sweep resolution=1080p", "zip"),
        ("--concurrency 0 --sweep duration=6,8", "concurrency"),
        ("--embed always --sweep duration=6,8", "--embed applies to one job"),
    ],
)
def test_bad_sweeps_are_one_line_and_send_nothing(
    kernel: Kernel, module_emulator: Emulator, line: str, needle: str
) -> None:
    before = module_emulator.engine.count()
    assert needle in usage_line(kernel, f"%%ltx {line}\na heron")
    assert module_emulator.engine.count() == before

"""A sweep's views with Run All, as the README runs them: the whole plan from the first draw.

The kernel says it serves JupyterLab, so the sweep cell returns at once (as in
a notebook) and the review cells run while most combinations are still
waiting to be sent. The emulator is slow enough that they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ltx_notebook.emulator import Emulator
from tests.conftest import make_emulator
from tests.harness.kernel import Kernel, kernel_env, start_kernel

pytestmark = pytest.mark.kernel

SWEEP = (
    "%%ltx --sweep duration=6,8,10 --sweep resolution=1080p,4k --yes -o grid\n"
    "A red fox running through fresh snow at sunrise"
)
PLAN = [(d, r) for d in (6, 8, 10) for r in ("1080p", "4k")]


@pytest.fixture(scope="module")
def emulator(render_cache: Path) -> Iterator[Emulator]:
    # Slow enough that the cells after the sweep run before its last submits.
    with make_emulator(render_cache, speed=8.0) as emu:
        yield emu


@pytest.fixture(scope="module")
def lab_kernel(emulator: Emulator, root: Path) -> Iterator[Kernel]:
    k = start_kernel(root, kernel_env(emulator, root, LTX_NOTEBOOK_FRONTEND="jupyter"))
    yield k
    k.shutdown()


def said(kernel: Kernel, code: str, timeout: float = 60) -> Any:
    """Run *code*, whose last line prints one JSON value; return that value."""
    run = kernel.ok(code, timeout=timeout)
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.slow  # a whole notebook, Run All, its sweep to the end: about 90 s
def test_run_all_views_hold_the_whole_plan_and_fill_in(lab_kernel: Kernel) -> None:
    k = lab_kernel
    k.ok(SWEEP, timeout=60)
    k.ok("import json, ltx_notebook as ltx")
    # The gallery, drawn at once: a tile for every combination, in the grid's places.
    first = said(
        k,
        "g = grid.gallery()\n"
        "print(json.dumps([[t['status'], t['row'], t['col']] for t in g.tiles]))",
    )
    assert len(first) == len(PLAN)
    assert len({(r, c) for _, r, c in first}) == 6  # one place each: duration × resolution
    assert "PENDING" in {s for s, _, _ in first}  # drawn before the sweep had sent them all

    # frame(): every combination of the plan, in plan order, each with its state.
    rows = said(
        k,
        "f = grid.frame()\n"
        "print(json.dumps([[int(d), str(r), str(s)] for d, r, s in "
        "zip(f['duration'], f['resolution'], f['status'])]))",
    )
    assert [(d, r) for d, r, _ in rows] == PLAN
    groups = said(
        k,
        "c = ltx.compare(grid.frame(), by=['resolution', 'duration'])\n"
        "print(json.dumps([len(c), int(c['count'].sum())]))",
    )
    assert groups == [6, 6]

    # grid[-1] is the last combination (waiting for its submit), never another job.
    ab = said(
        k,
        "ab = ltx.compare_clips(grid[0], grid[-1])\n"
        "last = grid[-1]\n"
        "print(json.dumps([grid[0].id != last.id, last.params.duration, "
        "last.params.resolution, len(grid)]))",
        timeout=300,
    )
    assert ab == [True, 10, "4k", 6]

    # When the sweep is done, the views drawn early show it done, and so does their saved form.
    done = said(
        k,
        "grid.wait(300)\n"
        "ab.b['status']\n"
        "print(json.dumps({'tiles': [t['status'] for t in g.tiles],"
        " 'srcs': sum(1 for t in g.tiles if t['src']),"
        " 'saved': g._static.count('<video'),"
        " 'ab': [ab.a['status'], ab.b['status'], bool(ab.b['src'])],"
        " 'ab_saved': ab._static.count('<video')}))",
        timeout=320,
    )
    assert done["tiles"] == ["COMPLETED"] * 6 and done["srcs"] == 6
    assert done["saved"] == 6
    assert done["ab"] == ["COMPLETED", "COMPLETED", True] and done["ab_saved"] == 2
    rows = said(
        k,
        "f = grid.frame()\nprint(json.dumps([str(s) for s in f['status']]))",
    )
    assert rows == ["COMPLETED"] * 6

"""Many kernels on one account and one store: real processes, the emulator over loopback.

Each "kernel" is a plain interpreter (subprocess) with its own Session on the
same store: a SQLite file (processes of one machine) or a PostgreSQL database
(kernels of a team, on any machine). They are started ready-then-go
(``start_together``), so their submits race. What they did is read at the
emulator, which counts every submit it accepted and every 429 it answered,
and charges each accepted job.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ltx_notebook._core.params import estimate_cost, validate
from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY, make_emulator
from tests.harness.processes import start_together

KERNELS = ("a", "b", "c", "d")
SPEED = 20.0  # the emulator's minute is 3 s; the sweeps are told so (benchmarks/team_kernel.py)
# Runs `python -m benchmarks.team_kernel ...` (the module's name is the first argument).
TEAM_KERNEL = (
    "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_module(sys.argv[0], run_name='__main__')"
)
PRO_6S = validate("ltx-2-pro", prompt="a lighthouse at dusk", duration=6)

BUDGET_RACER = r"""
import json, sys, time
from pathlib import Path
from ltx_notebook import BudgetExceeded, Session, Settings
from ltx_notebook._core.config import Secret
from ltx_notebook._core.params import validate

url, store, media, name, go, key, budget, tries = sys.argv[1:9]
s = Session(Settings(api_key=Secret(key), base_url=url, media_dir=Path(media) / name,
                     store_path=store, budget=float(budget), budget_period="all",
                     budget_scope="team", user=name))
s.store  # opened before the start: they race on the budget, not on the schema
go = Path(go)
go.with_name("ready-" + name).touch()
while not go.exists():
    time.sleep(0.001)
accepted = refused = 0
for i in range(int(tries)):
    try:
        s.submit(validate("ltx-2-pro", prompt=f"a lighthouse at dusk, {name} {i}", duration=6))
        accepted += 1
    except BudgetExceeded:
        refused += 1
s.runtime.stop()
print(json.dumps({"accepted": accepted, "refused": refused}))
"""


def _accepted(emu: Emulator) -> int:
    return sum(emu.engine.count("submit", status=c) for c in (200, 201, 202))


def _finish(procs: list[subprocess.Popen[str]]) -> list[dict[str, Any]]:
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=240)
        assert proc.returncode == 0, stderr
        assert "Traceback" not in stderr, stderr
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_four_kernels_racing_for_the_last_dollars_pass_a_team_budget_by_not_one_job(
    backend: str, render_cache: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = (
        str(tmp_path / "team.sqlite")
        if backend == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    estimate = estimate_cost(PRO_6S)
    fits = 2  # the budget holds two jobs and half a third: four kernels race for them
    budget = round(estimate * (fits + 0.5), 4)
    with make_emulator(render_cache, credits=100.0) as emu:
        go = tmp_path / "go"
        procs = start_together(
            BUDGET_RACER,
            lambda name: [
                emu.base_url,
                store,
                str(tmp_path / "media"),
                name,
                str(go),
                API_KEY,
                str(budget),
                "2",
            ],
            ready=tmp_path,
            go=go,
            what="kernels",
            names=KERNELS,
        )
        results = _finish(procs)
        spent = round(100.0 - emu.engine.credits, 4)
        accepted = _accepted(emu)
    assert sum(r["accepted"] for r in results) == accepted == fits, results
    assert sum(r["refused"] for r in results) == 2 * len(KERNELS) - fits
    assert spent <= budget


@pytest.mark.slow
@pytest.mark.serial  # four sweeps' pace against one window: timing is not to share the cores
def test_four_kernels_sweeping_share_one_pace_under_the_accounts_limit(
    postgres_url: str, render_cache: Path, tmp_path: Path
) -> None:
    """Four sweeps of five jobs under one 5-a-minute limit: the pace any kernel learns from
    a 429 holds every kernel's submits, and taking a submit's place is one transaction."""
    limit, jobs, concurrency = 5, 5, 2
    with make_emulator(render_cache, speed=SPEED, rate_limit=limit) as emu:
        go = tmp_path / "go"
        procs = start_together(
            TEAM_KERNEL,
            lambda name: [
                "benchmarks.team_kernel",
                emu.base_url,
                postgres_url,
                str(tmp_path / "media"),
                name,
                str(go),
                API_KEY,
                "--jobs",
                str(jobs),
                "--speed",
                str(SPEED),
                "--concurrency",
                str(concurrency),
            ],
            ready=tmp_path,
            go=go,
            what="kernels",
            names=KERNELS,
        )
        results = _finish(procs)
        log = [e for e in emu.engine.log if e.kind == "submit"]
    total = jobs * len(KERNELS)
    for r in results:
        assert r["counts"] == {"COMPLETED": jobs}, r
    accepted = [e for e in log if e.status in (200, 201, 202)]
    assert len(accepted) == len({e.request_id for e in accepted}) == total  # nothing twice
    refused = [e for e in log if e.status == 429]
    # Only while it is learnt: the first burst (every kernel's submits at once, past the
    # limit), a probe of the kind of limit, a climb; where four kernels each pacing itself
    # would learn a share of the limit each and knock on the full window again and again.
    assert len(refused) <= 2 * len(KERNELS), [(round(e.time, 2), e.status) for e in log]
    for r in results:  # each kernel's pace is the account's: the limit learnt is the whole 5
        assert r["kind"] in ("unknown", "rate") and r["limit"] in (limit, limit + 1), r

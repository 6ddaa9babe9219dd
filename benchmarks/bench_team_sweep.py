"""Four kernels' 24-job sweeps under one 5-a-minute limit, against the limit's bound.

A team on one account: four processes (``team_kernel``), each a kernel with its
own session on one shared store, start their sweeps together (ready, then go)
against one emulator that refuses a sixth submit within any rolling minute
(``rate_limit``, 429 with no hint, as the free tier does). The pace any of
them learns from a 429 is the account's, kept in the store, so together they
stay under the limit. No team can finish sooner than the limit allows: its
last five submits go 18 minutes after its first, and the last job then runs
its course. Reported: the team's wall time (the slowest kernel's, go to its
last job done) over that bound, and the 429s the emulator answered.

The store is a SQLite file the four processes share (kernels on one machine),
with ``--postgres`` a PostgreSQL server started for the run (what ``make bench``
uses: a team's store), or with ``--store`` any store URL.
Time is scaled as in ``bench_sweep``: the emulator runs at ``--speed``, and
every wait of the clients and the sweeps is divided by the same factor.

    python -m benchmarks.bench_team_sweep --speed 20 --postgres
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._core.params import validate
from ltx_notebook._service.client import Client
from ltx_notebook.emulator import Emulator

from .bench_sweep import KEY, _config

KERNELS = ("a", "b", "c", "d")
JOBS = 24  # per kernel
LIMIT = 5  # submits per minute, for the whole account
CONCURRENCY = 2  # per kernel: the sweep's default
GOAL = 1.1
ROOT = Path(__file__).resolve().parent.parent


def _render_all(data: Path, jobs: int) -> None:
    """Render every clip once, with no limit, so the measured sweeps meet only the limit."""
    import asyncio

    async def submit_all(emu: Emulator) -> None:
        async with Client(Settings(api_key=Secret(KEY), base_url=emu.base_url)) as client:
            for name in KERNELS:
                for i in range(jobs):
                    prompt = f"a paper boat on a stream, {name} take {i}"
                    await client.submit(validate(prompt=prompt, duration=6))

    with Emulator(_config(200.0, data)) as emu:
        asyncio.run(submit_all(emu))
        emu.engine.wait_renders(600)


def run(speed: float, *, jobs: int = JOBS, store: str | None = None) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix="bench-team-renders-"))
    _render_all(data, jobs)
    folder = Path(tempfile.mkdtemp(prefix="bench-team-"))
    where = store or str(folder / "team.sqlite")
    go = folder / "go"
    with Emulator(_config(speed, data, rate_limit=LIMIT)) as emu:
        sweep = ["--jobs", str(jobs), "--speed", str(speed), "--concurrency", str(CONCURRENCY)]
        procs = [
            subprocess.Popen(
                [
                    *(sys.executable, "-m", "benchmarks.team_kernel", emu.base_url, where),
                    *(str(folder / "media"), name, str(go), KEY, *sweep),
                ],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name in KERNELS
        ]
        deadline = time.monotonic() + 300
        while not all((folder / f"ready-{n}").exists() for n in KERNELS):
            if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
                raise SystemExit([p.communicate()[1] for p in procs if p.poll() is not None])
            time.sleep(0.01)
        go.touch()
        kernels = []
        for proc in procs:
            out, err = proc.communicate(timeout=3600)
            if proc.returncode:
                raise SystemExit(err)
            kernels.append(json.loads(out.strip().splitlines()[-1]))
        refused = emu.engine.count("submit", status=429)
        accepted = sum(emu.engine.count("submit", status=c) for c in (200, 201, 202))
    window = 60.0 / speed
    n = jobs * len(KERNELS)
    lives = [life for k in kernels for life in k["lives"]]
    bound = (math.ceil(n / LIMIT) - 1) * window + statistics.median(lives)
    wall = max(k["wall_s"] for k in kernels)
    return {
        "speed": speed,
        "kernels": len(KERNELS),
        "jobs": n,
        "store": "PostgreSQL" if where.startswith("postgresql") else "a SQLite file",
        "completed": sum(k["counts"].get("COMPLETED", 0) for k in kernels),
        "wall_s": wall * speed,  # in real-service seconds
        "bound_s": bound * speed,
        "ratio": wall / bound,
        "refused": refused,
        "accepted": accepted,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=20.0)
    parser.add_argument("--jobs", type=int, default=JOBS, help="per kernel")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--store", help="a store URL the kernels share (default: a SQLite file)")
    where.add_argument(
        "--postgres",
        action="store_true",
        help="a PostgreSQL server of its own, started for the run (the tests' starter)",
    )
    args = parser.parse_args(argv)
    if args.postgres:
        from tests.harness.postgres import fresh_database, running_postgres

        with running_postgres() as server, fresh_database(server) as url:
            r = run(args.speed, jobs=args.jobs, store=url)
    else:
        r = run(args.speed, jobs=args.jobs, store=args.store)
    print(
        f"{r['kernels']} kernels x {r['jobs'] // r['kernels']}-job sweeps, {LIMIT}/min, on "
        f"{r['store']}: {r['wall_s'] / 60:.1f} min against a bound of "
        f"{r['bound_s'] / 60:.1f} min ({r['ratio']:.3f}x), {r['refused']} 429s, "
        f"{r['accepted']} accepted, {r['completed']} completed"
    )
    return r


if __name__ == "__main__":
    main()

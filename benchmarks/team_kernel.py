"""One kernel of a team: a sweep on a shared store, started with the others, timed.

Run as a process of its own (``python -m benchmarks.team_kernel``) by
``bench_team_sweep`` and by ``tests/jobs/test_many_kernels.py``: it opens the
store, touches ``ready-<name>`` beside the *go* file, waits for *go*, sweeps
*jobs* prompts of its own at *concurrency*, waits for every job, and prints
one line of JSON: its wall time, its sweep's states and the 429s its pace
met. Every wait of the sweep is divided by *speed*, as the emulator's are
(see ``bench_sweep``).

    python -m benchmarks.team_kernel URL STORE MEDIA NAME GO KEY --jobs 24 --speed 20
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._jobs.session import Session
from ltx_notebook._jobs.sweeps.sweep import sweep
from ltx_notebook._service.client import Client
from ltx_notebook._service.retry import RetryPolicy

from .bench_sweep import _scaled


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("url", "store", "media", "name", "go", "key"):
        parser.add_argument(name)
    parser.add_argument("--jobs", type=int, default=24)
    parser.add_argument("--speed", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args(argv)
    speed = args.speed
    settings = Settings(
        api_key=Secret(args.key),
        base_url=args.url,
        media_dir=Path(args.media) / args.name,
        store_path=args.store,
        user=args.name,
    )
    session = Session(settings)
    session._client = Client(
        settings, retry=RetryPolicy(base=1.0 / speed, cap=30.0 / speed, max_wait=120.0 / speed)
    )
    session._client_settings = settings
    assert session.store  # opened (and migrated) before the start: they race on submits
    go = Path(args.go)
    go.with_name(f"ready-{args.name}").touch()
    while not go.exists():
        time.sleep(0.002)
    prompts = [f"a paper boat on a stream, {args.name} take {i}" for i in range(args.jobs)]
    with _scaled(speed, paced=True):
        t0 = time.monotonic()
        try:
            sw = sweep(prompts, {"duration": [6]}, concurrency=args.concurrency, yes=True,
                       session=session)  # fmt: skip
            sw.wait(3600)
            wall = time.monotonic() - t0
        finally:
            session.runtime.stop()
    scheduler = sw._scheduler
    result = {
        "name": args.name,
        "wall_s": wall,
        "counts": dict(sw.counts()),
        "refusals": scheduler.pace.refusals,
        "lives": [job.elapsed for job in sw],
        "limit": scheduler.pace.limit,
        "kind": scheduler.pace.kind,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()

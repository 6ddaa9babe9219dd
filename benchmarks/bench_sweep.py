"""A 48-job sweep at concurrency 4 under a 3-a-minute submit limit, against the limit's bound.

The emulator refuses a fourth submit within any rolling minute (``rate_limit``,
429 with no hint, as the real service's free tier does). No sweep can finish
sooner than the limit allows: its last three submits go 15 minutes after its
first, and the last job then runs its course. Reported: the sweep's wall time
over that bound, and the 429s the emulator answered (each one a wasted
request), for the sweep as it is and, side by side, with its pace switched
off (the client retrying by its own rules, as before the pace).

Time is scaled: the emulator runs at ``--speed``, so its minute is 60/speed
seconds, and every wait of the client and the sweep (the retry policy's, the
scheduler's backoff and rate window) is divided by the same factor.

    python -m benchmarks.bench_sweep --speed 20
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._core.params import validate
from ltx_notebook._jobs.session import Session
from ltx_notebook._jobs.sweeps import scheduler
from ltx_notebook._jobs.sweeps.pace import SubmitPace
from ltx_notebook._jobs.sweeps.sweep import sweep
from ltx_notebook._service.client import Client
from ltx_notebook._service.retry import RetryPolicy
from ltx_notebook.emulator import Emulator, EmulatorConfig

KEY = "bench-key-0123456789"
PROMPTS = [f"a paper boat on a stream, take {i}" for i in range(16)]
DURATIONS = [6, 8, 10]
LIMIT = 3  # submits per minute
CONCURRENCY = 4
JOB_SECONDS = 10.0
GOAL = 1.05


def _config(speed: float, data: Path, **extra: Any) -> EmulatorConfig:
    return EmulatorConfig(
        speed=speed,
        api_key=KEY,
        render_scale=0.1,
        preset="ultrafast",
        seed=9,
        data_dir=data,
        job_seconds=JOB_SECONDS,
        **extra,
    )


def _render_all(data: Path) -> None:
    """Render every clip once, with no limit, so the measured sweeps meet only the limit."""

    async def submit_all(emu: Emulator) -> None:
        async with Client(Settings(api_key=Secret(KEY), base_url=emu.base_url)) as client:
            for prompt in PROMPTS:
                for duration in DURATIONS:
                    await client.submit(validate(prompt=prompt, duration=duration))

    with Emulator(_config(200.0, data)) as emu:
        asyncio.run(submit_all(emu))
        emu.engine.wait_renders(600)


@contextlib.contextmanager
def _scaled(speed: float, *, paced: bool) -> Iterator[None]:
    """Every wait of the sweep divided by *speed*; without *paced*, the pace never takes over."""
    names = {"RATE_WINDOW": 60.0, "BACKOFF_BASE": 5.0, "BACKOFF_CAP": 120.0, "RECOVER_AFTER": 60.0}
    saved = {name: getattr(scheduler, name) for name in names}
    refused = SubmitPace.refused
    for name, seconds in names.items():
        setattr(scheduler, name, seconds / speed)
    if not paced:
        SubmitPace.refused = lambda self, hint: False  # type: ignore[method-assign]
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(scheduler, name, value)
        SubmitPace.refused = refused  # type: ignore[method-assign]


def run_one(speed: float, data: Path, *, paced: bool) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    with _scaled(speed, paced=paced), Emulator(_config(speed, data, rate_limit=LIMIT)) as emu:
        settings = Settings(
            api_key=Secret(KEY),
            base_url=emu.base_url,
            media_dir=folder / "media",
            store_path=folder / "media" / "jobs.sqlite",
        )
        session = Session(settings)
        policy = RetryPolicy(base=1.0 / speed, cap=30.0 / speed, max_wait=120.0 / speed)
        session._client = Client(settings, retry=policy)
        session._client_settings = settings
        try:
            t0 = time.monotonic()
            sw = sweep(
                PROMPTS,
                {"duration": DURATIONS},
                concurrency=CONCURRENCY,
                yes=True,
                session=session,
            )
            sw.wait(3600)
            wall = time.monotonic() - t0
        finally:
            session.runtime.stop()
        lives = [job.elapsed for job in sw]  # submit to completion seen
        window = 60.0 / speed
        n = len(PROMPTS) * len(DURATIONS)
        bound = (math.ceil(n / LIMIT) - 1) * window + statistics.median(lives)
        return {
            "jobs": n,
            "completed": sw.counts().get("COMPLETED", 0),
            "wall_s": wall * speed,  # in real-service seconds
            "bound_s": bound * speed,
            "ratio": wall / bound,
            "refused": emu.engine.count("submit", status=429),
            "accepted": sum(emu.engine.count("submit", status=c) for c in (200, 201, 202)),
        }


def run(speed: float) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix="bench-sweep-renders-"))
    _render_all(data)
    return {
        "speed": speed,
        "ours": run_one(speed, data, paced=True),
        "before": run_one(speed, data, paced=False),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=20.0)
    args = parser.parse_args(argv)
    r = run(args.speed)
    for who in ("ours", "before"):
        m = r[who]
        print(
            f"sweep of {m['jobs']} at concurrency {CONCURRENCY}, {LIMIT}/min ({who}): "
            f"{m['wall_s'] / 60:.1f} min against a bound of {m['bound_s'] / 60:.1f} min "
            f"({m['ratio']:.3f}x), {m['refused']} 429s, {m['accepted']} accepted, "
            f"{m['completed']} completed"
        )
    return r


if __name__ == "__main__":
    main()

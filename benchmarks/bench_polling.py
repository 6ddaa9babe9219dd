"""Polling: ltx-notebook's learned schedule against the official SDK's 1 s loop.

Both poll the *same* emulator job at the same time, in one process, so they
see the same completion instant; the machine's noise hits both alike. Reported
as ratios (ours / SDK): requests spent, and how late completion was seen.

Time is scaled: the emulator runs at ``--speed`` and both pollers' intervals
are divided by the same factor, so a 70 s job with 1 s polls becomes a
70/speed s job with 1/speed s polls.

    python -m benchmarks.bench_polling --jobs 12 --speed 10
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._core.params import MODELS, validate
from ltx_notebook._jobs.schedule import PollSchedule
from ltx_notebook._service.client import Client
from ltx_notebook.emulator import Emulator, EmulatorConfig

KEY = "bench-key-0123456789"
TERMINAL = {"COMPLETED", "FAILED"}


@dataclass
class Outcome:
    polls: int
    seen_at: float


async def poll_fixed(client: Client, rid: str, interval: float) -> Outcome:
    """The SDK's loop: status, sleep(interval), repeat."""
    polls = 0
    while True:
        polls += 1
        if (await client.status(rid)).status in TERMINAL:
            return Outcome(polls, time.monotonic())
        await asyncio.sleep(interval)


async def poll_learned(client: Client, rid: str, schedule: PollSchedule, t0: float) -> Outcome:
    """ltx-notebook's loop (as in Session._poll): wait the schedule's delay, then poll."""
    polls = 0
    while True:
        await asyncio.sleep(schedule.next_delay(time.monotonic() - t0))
        polls += 1
        if (await client.status(rid)).status in TERMINAL:
            return Outcome(polls, time.monotonic())


async def run(jobs: int, speed: float) -> dict[str, float]:
    scale = 1.0 / speed
    data = Path(tempfile.mkdtemp(prefix="bench-polling-"))
    config = EmulatorConfig(
        speed=speed, api_key=KEY, render_scale=0.1, preset="ultrafast", seed=11, data_dir=data
    )
    history: list[float] = []
    ours: list[Outcome] = []
    sdk: list[Outcome] = []
    late_ours: list[float] = []
    late_sdk: list[float] = []
    with Emulator(config) as emu:
        settings = Settings(api_key=Secret(KEY), base_url=emu.base_url)
        async with Client(settings) as client:
            params = validate(prompt="a heron lifting off a misty lake", duration=6)
            for _ in range(jobs):
                t0 = time.monotonic()
                sub = await client.submit(params)
                # History is in real seconds; the schedule works in scaled seconds.
                schedule = PollSchedule.learn(
                    history,
                    prior=MODELS[params.model].typical_seconds * scale,
                    dense=0.5 * scale,
                    fallback=1.0 * scale,
                    cap=10.0 * scale,
                )
                a, b = await asyncio.gather(
                    poll_learned(client, sub.request_id, schedule, t0),
                    poll_fixed(client, sub.request_id, 1.0 * scale),
                )
                done = emu.engine.jobs[sub.request_id].completed_at
                assert done is not None, "the emulator job did not complete"
                history.append(done - t0)
                ours.append(a)
                sdk.append(b)
                # Lateness in unscaled ("real service") seconds.
                late_ours.append(max(0.0, a.seen_at - done) * speed)
                late_sdk.append(max(0.0, b.seen_at - done) * speed)
    learned = slice(3, None)  # once the schedule has history to learn from
    polls_ours = sum(o.polls for o in ours[learned])
    polls_sdk = sum(o.polls for o in sdk[learned])
    return {
        "jobs": jobs,
        "polls_ours": polls_ours,
        "polls_sdk": polls_sdk,
        "polls_ratio": polls_ours / polls_sdk,
        "late_ours_s": statistics.mean(late_ours[learned]),
        "late_sdk_s": statistics.mean(late_sdk[learned]),
        "late_ratio": statistics.mean(late_ours[learned]) / statistics.mean(late_sdk[learned]),
        "first_polls_ratio": sum(o.polls for o in ours[:3]) / sum(o.polls for o in sdk[:3]),
        "first_late_ratio": statistics.mean(late_ours[:3]) / statistics.mean(late_sdk[:3]),
    }


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=12)
    parser.add_argument("--speed", type=float, default=10.0)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.jobs, args.speed))
    print(
        f"polling, {result['jobs']} jobs at speed {args.speed:g} (from job 4 on, with history):\n"
        f"  requests   ours {result['polls_ours']:>4}  sdk {result['polls_sdk']:>4}  "
        f"ratio {result['polls_ratio']:.2f}\n"
        f"  seen late  ours {result['late_ours_s']:.2f}s  sdk {result['late_sdk_s']:.2f}s  "
        f"ratio {result['late_ratio']:.2f}  (real-service seconds)\n"
        f"  first 3 jobs (no history yet): requests ratio {result['first_polls_ratio']:.2f}, "
        f"seen-late ratio {result['first_late_ratio']:.2f}"
    )
    return result


if __name__ == "__main__":
    main()

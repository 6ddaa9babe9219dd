"""Polling: ltx-notebook's learned schedule against the official SDK's 1 s loop, per job-time shape.

Both poll the *same* emulator job at the same time, in one process, so they
see the same completion instant; the machine's noise hits both alike. The
emulator is given each of the issue's four job-time shapes (``--job-seconds``,
``--job-spread``, ``--slow-share``). Reported: status polls per job and how
late completion was seen (median), ours against the SDK's.

Time is scaled: the emulator runs at ``--speed`` and both pollers work in
real-service seconds divided by the same factor, so a 70 s job polled every
1 s becomes a 70/speed s job polled every 1/speed s. Lateness and the
history are reported and learned in real-service seconds.

The first jobs of each shape start with an empty history, as a fresh store
does, and are reported apart; a few more are run to learn from, then the
measured ones. The schedule learns from the service's own ``total_time`` of
every job that ended before it started (at most the last 50, as
``Store.durations`` gives).

    python -m benchmarks.bench_polling --jobs 60 --speed 10
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._core.params import validate
from ltx_notebook._jobs.poll.schedule import PollSchedule
from ltx_notebook._service.client import Client
from ltx_notebook.emulator import Emulator, EmulatorConfig

KEY = "bench-key-0123456789"
TERMINAL = {"COMPLETED", "FAILED"}
PROMPT = "a heron lifting off a misty lake"
HISTORY_LIMIT = 50


@dataclass(frozen=True)
class Shape:
    """One job-time shape: the emulator's timing knobs, and its typical time (the prior)."""

    name: str
    seconds: float
    spread: float = 0.0
    slow_share: float = 0.0
    slow_factor: float = 3.0
    poll_goal: float = 0.5

    def draw(self, rng: random.Random) -> float:
        total = self.seconds * rng.uniform(1 - self.spread, 1 + self.spread)
        return total * (self.slow_factor if rng.random() < self.slow_share else 1.0)


SHAPES = (
    Shape("fixed 10 s", 10.0),
    Shape("10 s ±20 %", 10.0, spread=0.2),
    Shape("70 s ±20 %", 70.0, spread=0.2, poll_goal=0.3),
    Shape("10 s ±20 %, 10 % of jobs 3x", 10.0, spread=0.2, slow_share=0.1),
)
LATE_GOAL = 1.1  # seen late, median: at most this times the SDK's


@dataclass
class Seen:
    polls: int
    at: float
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass
class Pair:
    """One job, followed by both pollers: polls and lateness (real-service seconds)."""

    ours: int
    sdk: int
    late_ours: float
    late_sdk: float
    phase: str  # "fresh" (no history yet), "warm" (learning) or "learned"


async def poll_sdk(client: Client, rid: str, interval: float) -> Seen:
    """The SDK's loop (segmind.v2 ``wait``): status, sleep(interval), repeat."""
    polls = 0
    while True:
        polls += 1
        if (await client.status(rid)).status in TERMINAL:
            return Seen(polls, time.monotonic())
        await asyncio.sleep(interval)


async def poll_ours(
    client: Client, rid: str, schedule: PollSchedule, t0: float, speed: float
) -> Seen:
    """ltx-notebook's loop (as in Session._poll): wait the schedule's delay, then poll."""
    polls = 0
    while True:
        elapsed = (time.monotonic() - t0) * speed
        await asyncio.sleep(schedule.next_delay(elapsed) / speed)
        polls += 1
        reply = await client.status(rid)
        if reply.status in TERMINAL:
            return Seen(polls, time.monotonic(), dict(reply.metrics))


async def run_shape(
    shape: Shape, *, jobs: int, fresh: int, warm: int, speed: float, data: Path
) -> list[Pair]:
    """*fresh* jobs from an empty history, *warm* more to learn from, then *jobs* measured."""
    config = EmulatorConfig(
        speed=speed,
        api_key=KEY,
        render_scale=0.1,
        preset="ultrafast",
        seed=11,
        data_dir=data,
        job_seconds=shape.seconds,
        job_spread=shape.spread,
        slow_share=shape.slow_share,
        slow_factor=shape.slow_factor,
    )
    history: list[float] = []  # newest last, real-service seconds
    pairs: list[Pair] = []
    # A few jobs at once, as a sweep runs them, but few enough not to load the machine.
    slots = asyncio.Semaphore(6)
    params = validate(prompt=PROMPT, duration=6)
    with Emulator(config) as emu:
        settings = Settings(api_key=Secret(KEY), base_url=emu.base_url)
        async with Client(settings) as client:
            # One render first: every later job is a cache hit, so renders never set the end.
            await client.submit(params)
            emu.engine.wait_renders(120)

            async def one(phase: str) -> None:
                async with slots:
                    t0 = time.monotonic()
                    schedule = PollSchedule.learn(
                        list(reversed(history[-HISTORY_LIMIT:])), prior=shape.seconds
                    )
                    sub = await client.submit(params)
                    ours, sdk = await asyncio.gather(
                        poll_ours(client, sub.request_id, schedule, t0, speed),
                        poll_sdk(client, sub.request_id, 1.0 / speed),
                    )
                done = emu.engine.jobs[sub.request_id].completed_at
                assert done is not None, "the emulator job did not complete"
                total = ours.metrics.get("total_time")
                assert isinstance(total, int | float), ours.metrics
                history.append(total * speed)
                late_ours, late_sdk = (max(0.0, seen.at - done) * speed for seen in (ours, sdk))
                pairs.append(Pair(ours.polls, sdk.polls, late_ours, late_sdk, phase))

            # The fresh jobs start together, so none of them has any history.
            await asyncio.gather(*(one("fresh") for _ in range(fresh)))
            await asyncio.gather(*(one("warm") for _ in range(warm)))
            await asyncio.gather(*(one("learned") for _ in range(jobs)))
    return pairs


def summary(pairs: list[Pair]) -> dict[str, float]:
    ours = statistics.fmean(p.ours for p in pairs)
    sdk = statistics.fmean(p.sdk for p in pairs)
    late_ours = statistics.median(p.late_ours for p in pairs)
    late_sdk = statistics.median(p.late_sdk for p in pairs)
    return {
        "jobs": len(pairs),
        "polls_ours": ours,
        "polls_sdk": sdk,
        "polls_ratio": ours / sdk,
        "late_ours_s": late_ours,
        "late_sdk_s": late_sdk,
        "late_ratio": late_ours / late_sdk if late_sdk else math.inf,
        "mean_late_ours_s": statistics.fmean(p.late_ours for p in pairs),
        "mean_late_sdk_s": statistics.fmean(p.late_sdk for p in pairs),
    }


def simulate(shape: Shape, *, histories: int = 4, jobs: int = 500) -> dict[str, float]:
    """The same comparison without a clock, as tests/jobs/test_schedule.py makes it."""
    rtt = 0.03  # a status poll's round trip, and how early the client's clock starts
    pairs = []
    for seed in range(histories):
        rng = random.Random(seed)
        schedule = PollSchedule.learn(
            [shape.draw(rng) for _ in range(HISTORY_LIMIT)], prior=shape.seconds
        )
        for _ in range(jobs):
            end = shape.draw(rng) + rtt
            t, n = 0.0, 0
            while t < end:
                t += schedule.next_delay(t)
                n += 1
            k = math.ceil(end / (1.0 + rtt))
            pairs.append(Pair(n, k + 1, t - end, k * (1.0 + rtt) - end, "learned"))
    return summary(pairs)


def run(jobs: int, fresh: int, warm: int, speed: float) -> dict[str, dict[str, Any]]:
    data = Path(tempfile.mkdtemp(prefix="bench-polling-"))
    # The emulator serves from a thread of this process: by default a thread may wait
    # 5 ms for the GIL, 0.05 s of service time at speed 10, and every poll would pay it.
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    try:
        return _run(jobs, fresh, warm, speed, data)
    finally:
        sys.setswitchinterval(switch)


def _run(jobs: int, fresh: int, warm: int, speed: float, data: Path) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for shape in SHAPES:
        # Time-boxed: a shape whose jobs run longer than 30 s measures fewer of them.
        measured = max(1, round(jobs * min(1.0, 30.0 / shape.seconds)))
        pairs = asyncio.run(
            run_shape(shape, jobs=measured, fresh=fresh, warm=warm, speed=speed, data=data)
        )
        results[shape.name] = {
            "shape": shape,
            "learned": summary([p for p in pairs if p.phase == "learned"]),
            "fresh": summary([p for p in pairs if p.phase == "fresh"]),
            "simulated": simulate(shape),
            "pairs": pairs,
        }
    return results


def verdict(shape: Shape, r: dict[str, float]) -> tuple[bool, bool]:
    """(polls goal met, lateness goal met) for one shape's measured figures."""
    return r["polls_ratio"] <= shape.poll_goal, r["late_ours_s"] <= LATE_GOAL * r["late_sdk_s"]


def main(argv: list[str] | None = None) -> dict[str, dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--jobs", type=int, default=60, help="jobs measured per shape (fewer for long jobs)"
    )
    parser.add_argument("--fresh", type=int, default=6, help="jobs per shape from no history")
    parser.add_argument("--warm", type=int, default=14, help="jobs per shape to learn from")
    parser.add_argument("--speed", type=float, default=10.0)
    args = parser.parse_args(argv)
    results = run(args.jobs, args.fresh, args.warm, args.speed)
    print(f"polling at speed {args.speed:g}: status polls per job, seen late (median, real s)")
    for name, r in results.items():
        m, f, s = r["learned"], r["fresh"], r["simulated"]
        polls_ok, late_ok = verdict(r["shape"], m)
        print(
            f"  {name:<28} {m['jobs']:>3} jobs  polls {m['polls_ours']:5.1f} vs "
            f"{m['polls_sdk']:5.1f} ({m['polls_ratio']:.2f}{'' if polls_ok else ' !'})  "
            f"late {m['late_ours_s']:.2f}s vs {m['late_sdk_s']:.2f}s"
            f"{'' if late_ok else ' !'}  |  no history: polls {f['polls_ratio']:.2f}, "
            f"late {f['late_ours_s']:.2f}s  |  simulated: polls {s['polls_ratio']:.2f}, "
            f"late {s['late_ours_s']:.2f}s vs {s['late_sdk_s']:.2f}s"
        )
    return results


if __name__ == "__main__":
    main()

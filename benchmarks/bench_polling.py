"""Polling: ltx-notebook's learned schedule against the official SDK's 1 s loop, per job-time shape.

Both poll the *same* emulator job at the same time, in one process, so they
see the same completion instant; the machine's noise hits both alike. The
emulator is given each of the issue's four job-time shapes (``--job-seconds``,
``--job-spread``, ``--slow-share``), and each shape is run twice, once per
shape of the metrics the emulator sends (its ``metrics`` knob): ``full``
(``total_time`` and ``queue_time`` too) and ``inference`` (only
``inference_time``, all the service promises). Reported: status polls per
job and how late completion was seen (median), ours against the SDK's.

Time is scaled: the emulator runs at ``--speed`` and both pollers work in
real-service seconds divided by the same factor, so a 70 s job polled every
1 s becomes a 70/speed s job polled every 1/speed s. Lateness and the
history are reported and learned in real-service seconds.

**History is what the session would learn from.** Our poller records, as
``_jobs/lifecycle.py``'s ``_poll`` does, when a poll last saw the job running
and when one first saw it done; with the metrics of that answer,
``known_length`` (the rule ``Store.durations`` applies) turns them into the
interval the job's end is known to lie in, or its exact length where the
service's total fits.

**Cold start** (``--histories`` independent histories per shape): each
history's first three jobs start together from nothing; then a fourth job,
learned from those three, and six more one after another, each learned from
the ones before. Beside them, ``--probes`` jobs per history are polled with
the schedule learned from exactly its first 0, 4 and 10 jobs (they do not
join the history). **Learned**: the first history goes on with ``--warm``
jobs, then ``--jobs`` measured ones, each learned from every job of the
shape that ended before it started (at most the last 50, as
``Store.durations`` gives).

    python -m benchmarks.bench_polling --jobs 30 --speed 10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._core.params import validate
from ltx_notebook._jobs.poll.schedule import PollSchedule
from ltx_notebook._service.client import Client
from ltx_notebook._storage.derive import known_length
from ltx_notebook.emulator import Emulator, EmulatorConfig
from ltx_notebook.emulator._config import MetricsShape

KEY = "bench-key-0123456789"
TERMINAL = {"COMPLETED", "FAILED"}
PROMPT = "a heron lifting off a misty lake"
HISTORY_LIMIT = 50
METRICS: tuple[MetricsShape, ...] = ("full", "inference")
# Earlier jobs a cold-start schedule is learned from (issue 18 item 7).
EARLIER = (0, 4, 10)
# Jobs of a history that start together, with nothing learned yet.
FIRST_TOGETHER = 3
# The simulation's histories, and jobs polled after each (as tests/jobs/test_schedule.py).
SIM_HISTORIES = 3
SIM_JOBS = 300
# Share of the emulator's job time that is queued (emulator/_timeline.planned_seconds).
QUEUED_SHARE = 0.1


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
THIN_POLL_GOAL = 0.75  # polls from a history of 4 to 9 jobs: at most this times the SDK's


def poll_goal(shape: Shape, earlier: int | None) -> float | None:
    """The polls goal (a share of the SDK's) with *earlier* jobs learned; None: no goal.

    *earlier* None is the learned (full) history. From no history there is none:
    the schedule polls at the SDK's pace across the prior's window.
    """
    if earlier is None or earlier >= 10:
        return shape.poll_goal
    return THIN_POLL_GOAL if earlier >= 4 else None


@dataclass
class Seen:
    """What a poller saw of one job; times in real-service seconds after the submit."""

    polls: int
    at: float  # time.monotonic() when the answer saying done arrived
    running_s: float | None = None  # when the last poll that saw it running was sent
    done_s: float | None = None  # when the first answer saying done arrived
    metrics: dict[str, Any] | None = None


@dataclass
class Pair:
    """One job, followed by both pollers: polls and lateness (real-service seconds)."""

    ours: int
    sdk: int
    late_ours: float
    late_sdk: float
    phase: str  # "cold" (a probe or a history's job), "warm" (learning) or "learned"
    earlier: int  # jobs in the history its schedule was learned from


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
    """ltx-notebook's loop (as in Lifecycle._poll): wait the schedule's delay, then poll,
    keeping when a poll last saw the job running and when one first saw it done."""
    polls = 0
    running: float | None = None
    while True:
        elapsed = (time.monotonic() - t0) * speed
        await asyncio.sleep(schedule.next_delay(elapsed) / speed)
        polls += 1
        asked = (time.monotonic() - t0) * speed
        reply = await client.status(rid)
        if reply.status in TERMINAL:
            at = time.monotonic()
            return Seen(polls, at, running, (at - t0) * speed, dict(reply.metrics or {}))
        running = asked


def scaled(metrics: dict[str, Any], speed: float) -> dict[str, Any]:
    """The emulator's metrics (its seconds are the machine's) in real-service seconds."""
    return {
        key: value * speed if key.endswith("_time") and isinstance(value, int | float) else value
        for key, value in metrics.items()
    }


class Stream:
    """The jobs of one shape run against one emulator (one metrics shape)."""

    def __init__(self, emu: Emulator, client: Client, shape: Shape, speed: float) -> None:
        self.emu, self.client, self.shape, self.speed = emu, client, shape, speed
        self.params = validate(prompt=PROMPT, duration=6)
        self.pairs: list[Pair] = []
        # Probes and learned jobs wait for a slot: a few jobs at once, as a sweep runs them,
        # but few enough not to load the machine. A history's own first ten do not: they
        # run one at a time (three at its start), and waiting would only stretch the chain.
        self.slots = asyncio.Semaphore(6)

    async def plan(self, history: Sequence[tuple[float, float]]) -> PollSchedule:
        """What the session plans from this history (newest first, at most the last 50).

        On a worker thread, as the session plans: planning takes some 20 ms of CPU,
        which on the event loop would hold up every poll due meanwhile (0.2 s of
        lateness at speed 10, more on a loaded machine).
        """
        newest_first = list(reversed(history[-HISTORY_LIMIT:]))
        return await asyncio.to_thread(PollSchedule.learn, newest_first, prior=self.shape.seconds)

    async def job(
        self,
        phase: str,
        history: list[tuple[float, float]],
        *,
        probe: tuple[int, PollSchedule] | None = None,
        slot: bool = True,
    ) -> None:
        """One job polled by both, with the schedule learned from *history* as it stands
        when the job starts, and what it taught then added to it; a *probe* (earlier jobs,
        schedule) is polled by that schedule and teaches nothing."""
        async with self.slots if slot else contextlib.nullcontext():
            if probe is None:
                earlier, schedule = len(history), await self.plan(history)
            else:
                earlier, schedule = probe
            speed, client = self.speed, self.client
            t0 = time.monotonic()
            sub = await client.submit(self.params)
            ours, sdk = await asyncio.gather(
                poll_ours(client, sub.request_id, schedule, t0, speed),
                poll_sdk(client, sub.request_id, 1.0 / speed),
            )
        done = self.emu.engine.jobs[sub.request_id].completed_at
        assert done is not None, "the emulator job did not complete"
        if probe is None:
            known = known_length(ours.running_s, ours.done_s, scaled(ours.metrics or {}, speed))
            if known is not None:
                history.append(known)
        late_ours, late_sdk = (max(0.0, seen.at - done) * speed for seen in (ours, sdk))
        self.pairs.append(Pair(ours.polls, sdk.polls, late_ours, late_sdk, phase, earlier))

    async def cold(self, probes: int) -> tuple[list[tuple[float, float]], list[asyncio.Task[None]]]:
        """One history from nothing to 10 jobs, and its probes at 0, 4 and 10 (see the
        module docstring): the history, and the probes still running."""
        history: list[tuple[float, float]] = []
        running: list[asyncio.Task[None]] = []
        probed: set[int] = set()

        async def probe() -> None:
            if len(history) in EARLIER and len(history) not in probed:
                probed.add(len(history))
                frozen = (len(history), await self.plan(history))
                for _ in range(probes):
                    running.append(asyncio.create_task(self.job("cold", history, probe=frozen)))

        await probe()
        # The first jobs start together: none of them has any history, like the probes.
        await asyncio.gather(
            *(self.job("cold", history, slot=False) for _ in range(FIRST_TOGETHER))
        )
        # (A job whose polls and metrics contradict each other teaches nothing: one more.)
        for _ in range(3 * max(EARLIER)):
            await probe()
            if len(history) >= max(EARLIER):
                break
            await self.job("warm", history, slot=False)
        return history, running

    async def learned(self, history: list[tuple[float, float]], *, warm: int, jobs: int) -> None:
        """*warm* more jobs into *history*, then *jobs* measured, each learned as it starts."""
        await asyncio.gather(*(self.job("warm", history) for _ in range(warm)))
        await asyncio.gather(*(self.job("learned", history) for _ in range(jobs)))


async def run_shape(
    shape: Shape,
    metrics: MetricsShape,
    *,
    jobs: int,
    histories: int,
    probes: int,
    warm: int,
    speed: float,
    data: Path,
) -> list[Pair]:
    """*histories* cold starts with their probes, then the first goes on learning."""
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
        metrics=metrics,
    )
    with Emulator(config) as emu:
        settings = Settings(api_key=Secret(KEY), base_url=emu.base_url)
        async with Client(settings) as client:
            stream = Stream(emu, client, shape, speed)
            # One render first: every later job is a cache hit, so renders never set the end.
            await client.submit(stream.params)
            emu.engine.wait_renders(120)
            colds = await asyncio.gather(*(stream.cold(probes) for _ in range(histories)))
            # The first history goes on while the others' last probes run.
            await asyncio.gather(
                stream.learned(colds[0][0], warm=warm, jobs=jobs),
                *(task for _, running in colds for task in running),
            )
    return stream.pairs


def summary(pairs: Sequence[Pair]) -> dict[str, float]:
    if not pairs:
        return {"jobs": 0}
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


def sim_metrics(length: float, metrics: str) -> dict[str, float]:
    """What the emulator's result says of a job of *length* s, in either metrics shape."""
    inference = {"inference_time": (1 - QUEUED_SHARE) * length}
    if metrics == "inference":
        return inference
    return {**inference, "queue_time": QUEUED_SHARE * length, "total_time": length}


def simulate(
    shape: Shape, metrics: str, *, histories: int = SIM_HISTORIES, jobs: int = SIM_JOBS
) -> dict[int | str, dict[str, float]]:
    """The same comparison without a clock, as tests/jobs/test_schedule.py makes it.

    Each history is a stream of 50 jobs, each polled by the schedule learned from
    the ones before and leaving what ``known_length`` makes of its polls and
    metrics; *jobs* more are then polled by the schedule learned from its first 0,
    4 and 10 jobs, and from all 50 (``"learned"``).
    """
    rtt = 0.03  # a status poll's round trip, and how early the client's clock starts
    pairs: dict[int | str, list[Pair]] = {k: [] for k in (*EARLIER, "learned")}
    for seed in range(histories):
        rng = random.Random(seed)
        history: list[tuple[float, float]] = []
        frozen: dict[int | str, PollSchedule] = {}
        while len(history) < HISTORY_LIMIT:
            schedule = PollSchedule.learn(list(reversed(history)), prior=shape.seconds)
            if len(history) in EARLIER:
                frozen.setdefault(len(history), schedule)
            length = shape.draw(rng)
            running, done, _ = _polled(schedule, length + rtt)
            known = known_length(running or None, done, sim_metrics(length, metrics))
            if known is not None:
                history.append(known)
        frozen["learned"] = PollSchedule.learn(list(reversed(history)), prior=shape.seconds)
        for _ in range(jobs):
            end = shape.draw(rng) + rtt
            k = math.ceil(end / (1.0 + rtt))
            for key, schedule in frozen.items():
                _, t, n = _polled(schedule, end)
                pairs[key].append(Pair(n, k + 1, t - end, k * (1.0 + rtt) - end, "sim", 0))
    return {key: summary(p) for key, p in pairs.items()}


def _polled(schedule: PollSchedule, end: float) -> tuple[float, float, int]:
    """Polling a job that ends at *end*: the last poll that saw it running (0: none),
    the first that saw it done, and how many polls."""
    t, last, n = 0.0, 0.0, 0
    while t < end:
        last = t
        t += schedule.next_delay(t)
        n += 1
    return last, t, n


def run(
    jobs: int,
    histories: int,
    probes: int,
    warm: int,
    speed: float,
    metrics: Sequence[MetricsShape] = METRICS,
    sim: tuple[int, int] = (SIM_HISTORIES, SIM_JOBS),
) -> dict[str, dict[str, dict[str, Any]]]:
    """Results by metrics shape, then by job-time shape."""
    data = Path(tempfile.mkdtemp(prefix="bench-polling-"))
    # The emulator serves from a thread of this process: by default a thread may wait
    # 5 ms for the GIL, 0.05 s of service time at speed 10, and every poll would pay it.
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    try:
        return {
            m: _run(
                m,
                jobs=jobs,
                histories=histories,
                probes=probes,
                warm=warm,
                speed=speed,
                data=data,
                sim=sim,
            )
            for m in metrics
        }
    finally:
        sys.setswitchinterval(switch)
        shutil.rmtree(data, ignore_errors=True)


def _run(
    metrics: MetricsShape,
    *,
    jobs: int,
    histories: int,
    probes: int,
    warm: int,
    speed: float,
    data: Path,
    sim: tuple[int, int],
) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for shape in SHAPES:
        # Time-boxed: a shape whose jobs run longer than 30 s measures fewer of them.
        box = min(1.0, 30.0 / shape.seconds)
        pairs = asyncio.run(
            run_shape(
                shape,
                metrics,
                jobs=max(1, round(jobs * box)),
                histories=histories,
                probes=max(1, round(probes * box)),
                warm=warm,
                speed=speed,
                data=data,
            )
        )
        results[shape.name] = {
            "shape": shape,
            "histories": histories,
            "probes": max(1, round(probes * box)),
            "learned": summary([p for p in pairs if p.phase == "learned"]),
            "cold": {
                k: summary([p for p in pairs if p.phase == "cold" and p.earlier == k])
                for k in EARLIER
            },
            "simulated": simulate(shape, metrics, histories=sim[0], jobs=sim[1]),
            "sim": sim,
            "pairs": pairs,
        }
    return results


def verdict(shape: Shape, r: dict[str, float], earlier: int | None = None) -> tuple[bool, bool]:
    """(polls goal met, lateness goal met) for one row's figures (*earlier*: None is learned)."""
    goal = poll_goal(shape, earlier)
    polls_ok = goal is None or r["polls_ratio"] <= goal
    return polls_ok, r["late_ours_s"] <= LATE_GOAL * r["late_sdk_s"]


def main(argv: list[str] | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--jobs", type=int, default=30, help="learned jobs measured per shape (fewer for long jobs)"
    )
    parser.add_argument("--histories", type=int, default=4, help="cold-start histories per shape")
    parser.add_argument(
        "--probes",
        type=int,
        default=6,
        help="jobs per history polled from 0, 4 and 10 earlier jobs (fewer for long jobs)",
    )
    parser.add_argument("--warm", type=int, default=8, help="jobs per shape to learn from")
    parser.add_argument("--speed", type=float, default=10.0)
    parser.add_argument("--metrics", choices=METRICS, action="append", help="default: both")
    parser.add_argument(
        "--sim",
        type=int,
        nargs=2,
        default=(SIM_HISTORIES, SIM_JOBS),
        metavar=("HISTORIES", "JOBS"),
        help="the simulation's histories, and jobs polled after each",
    )
    args = parser.parse_args(argv)
    results = run(
        args.jobs,
        args.histories,
        args.probes,
        args.warm,
        args.speed,
        args.metrics or METRICS,
        sim=(args.sim[0], args.sim[1]),
    )
    print(
        f"polling at speed {args.speed:g}: status polls per job as a share of the SDK's, "
        "seen late (median, real s), ours / SDK; '!' a goal not met"
    )
    for metrics, by_shape in results.items():
        print(f" metrics {metrics!r}:")
        for name, r in by_shape.items():
            shape = r["shape"]
            rows: list[tuple[str, dict[str, float], int | None]] = [("learned", r["learned"], None)]
            rows += [(f"from {k}", r["cold"][k], k) for k in EARLIER]
            cells = []
            for label, m, earlier in rows:
                if not m["jobs"]:
                    continue
                polls_ok, late_ok = verdict(shape, m, earlier)
                cells.append(
                    f"{label} ({m['jobs']}): {m['polls_ratio']:.2f}{'' if polls_ok else '!'} "
                    f"{m['late_ours_s']:.2f}/{m['late_sdk_s']:.2f}{'' if late_ok else '!'}"
                )
            print(f"  {name:<28} " + "  ".join(cells))
    return results


if __name__ == "__main__":
    main()

"""A kernel with 100 jobs in flight: the CPU it spends, and how fast a trivial cell answers.

Two measurements, each with 100 jobs kept in flight on an emulator in its own
process (see :mod:`.inflight`: a learned history, the jobs' ages spread
evenly, so polls come at the schedule's steady pace):

* **CPU**: this process runs the session (as a kernel would) and reads its
  own CPU time (``getrusage``) over the wall time of the window, per thread
  too (``/proc/self/task``), and counts the status polls sent meanwhile;
* **polls alone** (``--only polls``): the same jobs submitted once, their
  ages spread so that none ends within the window; no submit, result,
  download, probe or poster is in it, only the polls and the idle runtime.
  Early in their lives the schedule polls sparsely, so the pace is lower than
  the steady one: the figure that carries over is the CPU per poll;
* **round trip**: a real ipykernel (jupyter_client) runs the session; the
  bench sends ``1+1`` execute requests one after another and times each
  until its reply. Two kernels run side by side, pinged in turn so they meet
  the same moments of the shared machine's load: one idle, one with the 100
  jobs in flight (and before its jobs start, both idle, to show they match).
  Reported: the p50 and p95 of each.

    python -m benchmarks.bench_kernel --jobs 100 --speed 1
"""

from __future__ import annotations

import argparse
import os
import queue
import resource
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from ltx_notebook._jobs.session import Session
from ltx_notebook._service.client import Client

from . import inflight
from .inflight import Shape

CPU_GOAL = 0.05  # of one core
ROUND_TRIP_GOAL_MS = 2.0  # p95 over idle's


def _cpu_now() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu(
    jobs: int,
    speed: float,
    shape: Shape,
    window: float,
    *,
    polls_only: bool = False,
) -> dict[str, Any]:
    """The session in this process; CPU over *window* s once the stream is steady.

    *polls_only*: each job submitted once, their starts spread over what is
    left of the shortest job's life after the window, so none ends inside it.
    """
    folder = Path(tempfile.mkdtemp(prefix="bench-kernel-"))
    life = shape.seconds / speed
    if polls_only:
        shortest = life * (1 - shape.spread)
        window = min(window, shortest - 3.0)
        life = shortest - window - 2.0  # the spread of the starts: the last poll is before an end
    polls = [0]
    status = Client.status

    async def counted(self: Client, job: Any) -> Any:
        polls[0] += 1
        return await status(self, job)

    Client.status = counted  # type: ignore[method-assign]
    try:
        with inflight.emulator(speed, shape, folder / "emu") as url:
            session = Session(inflight.settings(url, folder))
            inflight.seed_history(session.store, url, shape, speed)
            until = life if polls_only else life + window + 5  # once each, or replaced
            stream, started = inflight.start(session, jobs, life, until)
            time.sleep(life)  # every job's age now spread over one life
            polls0, jobs0, cpu0, wall0 = polls[0], started[0], _cpu_now(), time.monotonic()
            threads0 = inflight.thread_cpu()
            time.sleep(window)
            wall = time.monotonic() - wall0
            spent = _cpu_now() - cpu0
            threads = inflight.thread_cpu()
            made, new_jobs = polls[0] - polls0, started[0] - jobs0
            session.runtime.stop()
            stream.cancel()
    finally:
        Client.status = status  # type: ignore[method-assign]
    by_thread = {k: v - threads0.get(k, 0.0) for k, v in threads.items()}
    return {
        "jobs": jobs,
        "speed": speed,
        "polls_only": polls_only,
        "window_s": wall,
        "cpu_share": spent / wall,
        "cpu_share_real_pace": spent / wall / speed,
        "polls_per_s": made / wall,
        "cpu_per_poll_ms": 1000 * spent / made if made else float("nan"),
        "jobs_started": new_jobs,
        "by_thread": {k: v / wall for k, v in sorted(by_thread.items(), key=lambda kv: -kv[1])},
    }


# -- the round trip of a trivial cell in a real kernel ---------------------------------

SETUP = """
from collections.abc import Iterator
from pathlib import Path
from benchmarks import inflight
from ltx_notebook._jobs.session import Session
session = Session(inflight.settings({url!r}, Path({folder!r})))
inflight.seed_history(session.store, {url!r}, inflight.Shape({seconds!r}, {spread!r}), {speed!r})
"""
START = "stream, started = inflight.start(session, {jobs}, {life!r}, {seconds!r})"


def _execute(kc: Any, code: str, timeout: float = 60.0) -> float:
    """Send *code*; seconds until its execute_reply (the front end's round trip)."""
    t0 = time.perf_counter()
    msg_id = kc.execute(code, store_history=False, allow_stdin=False)
    deadline = t0 + timeout
    while True:
        reply = kc.get_shell_msg(timeout=max(0.01, deadline - time.perf_counter()))
        if reply["parent_header"].get("msg_id") == msg_id:
            took = time.perf_counter() - t0
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"{code!r} failed in the kernel: {reply['content']}")
            return took


def _drain(kc: Any) -> None:
    while True:
        try:
            kc.get_iopub_msg(timeout=0)
        except queue.Empty:
            return


def _round_trips(kcs: list[Any], seconds: float, gap: float = 0.05) -> list[list[float]]:
    """``1+1`` in each kernel in turn for *seconds*, a short pause between (a person typing).

    Taking turns, the kernels meet the same moments of the shared machine's load.
    """
    out: list[list[float]] = [[] for _ in kcs]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for kc, times in zip(kcs, out, strict=True):
            times.append(_execute(kc, "1+1") * 1000)
            _drain(kc)
            time.sleep(gap / len(kcs))
    return out


def round_trip(jobs: int, speed: float, shape: Shape, window: float) -> dict[str, Any]:
    """Two kernels side by side, one idle, one with *jobs* in flight, pinged in turn."""
    from jupyter_client.manager import KernelManager

    folder = Path(tempfile.mkdtemp(prefix="bench-kernel-rt-"))
    life = shape.seconds / speed
    managers: list[Any] = []
    clients: list[Any] = []
    with inflight.emulator(speed, shape, folder / "emu") as url:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        try:
            for name in ("idle", "busy"):
                home = folder / name
                home.mkdir()
                km = KernelManager(kernel_name="python3")
                km.start_kernel(env=env, cwd=str(home))
                managers.append(km)
                kc = km.client()
                kc.start_channels()
                clients.append(kc)
                kc.wait_for_ready(timeout=60)
                setup = SETUP.format(
                    url=url, folder=str(home), seconds=shape.seconds, spread=shape.spread,
                    speed=speed,
                )  # fmt: skip
                _execute(kc, textwrap.dedent(setup))
            _round_trips(clients, 3.0)  # warm up: the first cells compile and import
            before = _round_trips(clients, window / 4)
            busy = clients[1]
            pid = managers[1].provisioner.process.pid
            _execute(busy, START.format(jobs=jobs, life=life, seconds=life + window + 10))
            time.sleep(life)
            cpu0, wall0 = inflight.process_cpu(pid), time.monotonic()
            during = _round_trips(clients, window)
            kernel_cpu = (inflight.process_cpu(pid) - cpu0) / (time.monotonic() - wall0)
            _execute(busy, "session.runtime.stop()")
        finally:
            for kc in clients:
                kc.stop_channels()
            for km in managers:
                km.shutdown_kernel(now=True)
    return {
        "jobs": jobs,
        "speed": speed,
        "idle": _stats(during[0]),
        "busy": _stats(during[1]),
        "before": [_stats(times) for times in before],
        "kernel_cpu_share": kernel_cpu,
    }


def _stats(ms: list[float]) -> dict[str, float]:
    q = statistics.quantiles(ms, n=20, method="inclusive")
    return {"n": len(ms), "p50": statistics.median(ms), "p95": q[18], "max": max(ms)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=70.0, help="typical job time")
    parser.add_argument("--window", type=float, default=40.0, help="seconds measured")
    parser.add_argument("--only", choices=("cpu", "polls", "round-trip"))
    parser.add_argument("--repeat", type=int, default=3, help="runs of each CPU measurement")
    args = parser.parse_args(argv)
    shape = Shape(args.seconds, 0.2)
    results: dict[str, Any] = {"shape": shape}
    # each part: whether it is the polls alone (no job ending in the window)
    runs = {"cpu": False, "polls": True}
    chosen = [k for k in runs if args.only in (None, k)]
    turns = [k for _ in range(args.repeat) for k in chosen if k != "polls"]
    turns += ["polls"] if "polls" in chosen else []
    measured: dict[str, list[dict[str, Any]]] = {}
    for key in turns:
        alone = runs[key]
        c = cpu(args.jobs, args.speed, shape, args.window, polls_only=alone)
        measured.setdefault(key, []).append(c)
        what = "polls alone, no job ending" if alone else "jobs ending and replaced"
        print(
            f"{args.jobs} jobs in flight ({shape.seconds:g} s ±20 %, speed {args.speed:g}; "
            f"{what}): "
            f"CPU {100 * c['cpu_share']:.1f} % of a core ({100 * c['cpu_share_real_pace']:.1f} % "
            f"at the real pace), {c['polls_per_s']:.1f} polls/s, "
            f"{c['cpu_per_poll_ms']:.2f} ms CPU per poll, {c['jobs_started']} jobs started"
        )
        for name, share in c["by_thread"].items():
            print(f"    {name:<40} {100 * share:5.1f} %")
    for key, done in measured.items():
        # The run with the median CPU stands for them; every run's share is kept.
        ordered = sorted(done, key=lambda c: c["cpu_share"])
        results[key] = {**ordered[len(ordered) // 2], "runs": [c["cpu_share"] for c in ordered]}
    if args.only is None or args.only == "round-trip":
        r = results["round_trip"] = round_trip(args.jobs, args.speed, shape, args.window)
        print(
            f"1+1 round trip, p50 / p95: idle kernel {r['idle']['p50']:.1f} / "
            f"{r['idle']['p95']:.1f} ms; beside it, {args.jobs} jobs in flight "
            f"{r['busy']['p50']:.1f} / {r['busy']['p95']:.1f} ms (before the jobs: "
            f"{r['before'][0]['p95']:.1f} / {r['before'][1]['p95']:.1f} ms p95); its CPU "
            f"{100 * r['kernel_cpu_share']:.1f} %"
        )
    return results


if __name__ == "__main__":
    main()

"""Keeping N jobs in flight: an emulator in its own process, a learned history, a steady stream.

Shared by ``bench_kernel`` (CPU of the client process) and its kernel
variant (a real ipykernel runs :func:`start` and is timed from outside).
The emulator runs in a separate process so its CPU is not the client's.

The jobs are started one after another, spread evenly over one job's
typical life, and each one that ends is replaced at once. After the first
life the ages of the jobs in flight are spread evenly too, as in a kernel
that has had a hundred jobs going for a while: the schedule's pace is then
its steady one, not the burst of a hundred jobs started together.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import random
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._core.params import estimate_cost, validate
from ltx_notebook._core.status import JobStatus
from ltx_notebook._jobs.session import Session
from ltx_notebook._storage.store import Store

KEY = "bench-key-0123456789"
PROMPT = "a kite over a windy beach"
HISTORY = 50


@dataclass(frozen=True)
class Shape:
    seconds: float = 70.0
    spread: float = 0.2


@contextlib.contextmanager
def emulator(speed: float, shape: Shape, data: Path, *extra: str) -> Iterator[str]:
    """An emulator in a child process; yields its base URL."""
    command = [
        sys.executable,
        "-c",
        "import sys; from ltx_notebook._cli.main import main; sys.exit(main(sys.argv[1:]))",
        "emulator",
        "--port",
        "0",
        "--speed",
        f"{speed:g}",
        "--api-key",
        KEY,
        "--render-scale",
        "0.1",
        "--preset",
        "ultrafast",
        "--seed",
        "3",
        "--data-dir",
        str(data),
        "--job-seconds",
        f"{shape.seconds:g}",
        "--job-spread",
        f"{shape.spread:g}",
        "--credits",
        "100000",
        *extra,
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"the emulator did not start: {url!r}")
        yield url
    finally:
        child.terminate()
        child.wait(10)


def settings(base_url: str, folder: Path) -> Settings:
    return Settings(
        api_key=Secret(KEY),
        base_url=base_url,
        media_dir=folder / "media",
        store_path=folder / "media" / "jobs.sqlite",
    )


def seed_history(store: Store, base_url: str, shape: Shape, speed: float) -> None:
    """*HISTORY* completed jobs of the same kind, with the service's own totals (emulated s)."""
    params = validate(prompt=PROMPT)
    rng = random.Random(5)
    for i in range(HISTORY):
        record = store.create(params, cost_estimate=estimate_cost(params), base_url=base_url)
        total = shape.seconds * rng.uniform(1 - shape.spread, 1 + shape.spread) / speed
        store.update(
            record.id,
            request_id=f"seed-{i}",
            status=JobStatus.COMPLETED,
            metrics={"total_time": total},
        )


async def _stream(session: Session, n: int, life: float, until: float, started: list[int]) -> None:
    loop = asyncio.get_running_loop()
    params = validate(prompt=PROMPT)

    async def one(delay: float) -> None:
        await asyncio.sleep(delay)
        while loop.time() < until:
            job = await session.submit_async(params, tag="bench")
            started[0] += 1
            await job.wait_async()

    await asyncio.gather(*(one(life * i / n) for i in range(n)))


def start(
    session: Session, n: int, life: float, seconds: float
) -> tuple[concurrent.futures.Future[None], list[int]]:
    """Keep *n* jobs in flight on *session* for *seconds*; returns the stream and its count."""
    started = [0]
    until = session.runtime.loop.time() + seconds
    return session.runtime.submit(_stream(session, n, life, until, started)), started


def thread_cpu() -> dict[str, float]:
    """CPU seconds of each live thread of this process, by Python thread name (Linux)."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = names.get(int(task.name), "other")
        if name.startswith(("asyncio_", "ltx-notebook-runtime-worker")):
            name = "store and media workers (to_thread)"
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process *pid* so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

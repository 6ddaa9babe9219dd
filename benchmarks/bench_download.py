"""Downloads: peak memory of ltx-notebook's streaming save against reading the body whole.

The same emulator video is fetched twice in one process: once through
``Client.stream`` + ``parts.save_stream`` (what jobs do), once with a plain
``httpx`` GET of the whole body written afterwards (the reference). Peak
Python allocations are measured with ``tracemalloc``; the ratio is what counts.

    python -m benchmarks.bench_download --resolution 2k --duration 10
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._core.params import validate
from ltx_notebook._service.client import Client
from ltx_notebook._storage import parts
from ltx_notebook.emulator import Emulator, EmulatorConfig

KEY = "bench-key-0123456789"


async def measure(fn: Callable[[], Awaitable[None]]) -> tuple[int, float]:
    tracemalloc.start()
    tracemalloc.reset_peak()
    t0 = time.perf_counter()
    await fn()
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, elapsed


async def run(resolution: str, duration: int) -> dict[str, float]:
    data = Path(tempfile.mkdtemp(prefix="bench-download-"))
    config = EmulatorConfig(
        speed=50, expire_after=900, api_key=KEY, preset="ultrafast", seed=5, data_dir=data
    )
    with Emulator(config) as emu:
        settings = Settings(api_key=Secret(KEY), base_url=emu.base_url)
        async with Client(settings) as client:
            sub = await client.submit(
                validate(
                    prompt="surf rolling onto a black sand beach",
                    duration=duration,
                    resolution=resolution,
                )
            )
            while (await client.status(sub)).status != "COMPLETED":
                await asyncio.sleep(0.2)
            url = (await client.result(sub)).output_url
            assert url

            async def ours() -> None:
                async with client.stream(url) as (size, _type, chunks):
                    await parts.save_stream(chunks, data / "ours.mp4", expected_size=size)

            async def reference() -> None:
                async with httpx.AsyncClient() as plain:
                    body = (await plain.get(url)).content
                (data / "reference.mp4").write_bytes(body)

            peak_ours, t_ours = await measure(ours)
            peak_ref, t_ref = await measure(reference)
    size = (data / "ours.mp4").stat().st_size
    assert size == (data / "reference.mp4").stat().st_size
    return {
        "file_mb": size / 1e6,
        "peak_ours_mb": peak_ours / 1e6,
        "peak_ref_mb": peak_ref / 1e6,
        "memory_ratio": peak_ours / peak_ref,
        "time_ratio": t_ours / t_ref,
    }


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", default="2k")
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args(argv)
    r = asyncio.run(run(args.resolution, args.duration))
    print(
        f"download of a {r['file_mb']:.1f} MB video ({args.resolution}, {args.duration}s):\n"
        f"  peak memory  ours {r['peak_ours_mb']:.2f} MB  whole-body {r['peak_ref_mb']:.2f} MB  "
        f"ratio {r['memory_ratio']:.3f}\n"
        f"  time ratio (ours / whole-body, includes verify + probe): {r['time_ratio']:.2f}"
    )
    return r


if __name__ == "__main__":
    main()

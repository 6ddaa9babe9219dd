"""Run every benchmark and write docs/benchmarks.md: ``python -m benchmarks`` (or ``make bench``).

Kept under about 18 minutes on two shared cores (the emulator's speed
compresses job times, but the kernel's 100 jobs in flight run at the real
service's pace; polling, two metrics shapes with cold starts, takes about 7 of
them); ``--quick`` is a smoke run whose figures mean little.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from . import (
    bench_download,
    bench_gallery,
    bench_import,
    bench_kernel,
    bench_memory,
    bench_polling,
    bench_store,
    bench_sweep,
    bench_team_sweep,
    report,
)

DOCS = Path(__file__).resolve().parent.parent / "docs"


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: few jobs, small video")
    parser.add_argument("--docs", type=Path, default=DOCS, help="where benchmarks.md goes")
    args = parser.parse_args(argv)
    started = time.monotonic()
    speed = 10.0
    polling_args = ["--speed", f"{speed:g}"]
    memory_args = ["--resolution", "4k", "--duration", "10"]
    download_args = ("2k", 10)
    kernel_args = ["--jobs", "100", "--speed", "1", "--seconds", "70", "--window", "40"]
    sweep_args = ["--speed", "20"]
    team_args = ["--speed", "20", "--postgres"]
    gallery_args = ["--rows", "1000", "5000"]
    store_args: list[str] = []
    if args.quick:
        kernel_args = ["--jobs", "20", "--speed", "1", "--seconds", "8", "--window", "4"]
        kernel_args += ["--repeat", "1"]
        sweep_args = ["--speed", "60"]
        team_args = ["--speed", "60", "--jobs", "3"]
        gallery_args = ["--rows", "20", "60"]
        store_args = ["--rows", "200", "--reads", "2", "--writes", "50"]
        speed = 100.0
        polling_args = ["--speed", "100", "--jobs", "4", "--histories", "1", "--probes", "2"]
        polling_args += ["--warm", "2", "--sim", "1", "40"]
        memory_args = ["--resolution", "1080p", "--duration", "6", "--repeat", "1", "--clips", "2"]
        download_args = ("1080p", 6)
    imports = bench_import.main(["--repeat", "1" if args.quick else "5"])
    print()
    polling = bench_polling.main(polling_args)
    print()
    memory = bench_memory.main(memory_args)
    print()
    resolution, duration = download_args
    download = bench_download.main(["--resolution", resolution, "--duration", str(duration)])
    print()
    kernel = bench_kernel.main(kernel_args)
    print()
    sweep = bench_sweep.main(sweep_args)
    print()
    team_sweep = bench_team_sweep.main(team_args)
    print()
    galleries = bench_gallery.main(gallery_args)
    print()
    store = bench_store.main(store_args)
    page = report.write(
        args.docs,
        polling=polling,
        speed=speed,
        memory=memory,
        download=download,
        download_args=download_args,
        minutes=(time.monotonic() - started) / 60,
        kernel=kernel,
        sweep=sweep,
        team_sweep=team_sweep,
        galleries=galleries,
        imports=imports,
        store=store,
    )
    print(f"\nwrote {page}")
    return page


if __name__ == "__main__":
    main()

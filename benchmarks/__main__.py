"""Run every benchmark: ``python -m benchmarks`` (or ``make bench``)."""

from __future__ import annotations

from . import bench_download, bench_polling

if __name__ == "__main__":
    bench_polling.main([])
    print()
    bench_download.main([])

"""The benchmarks keep running (their numbers are read by people, not asserted)."""

from __future__ import annotations

import pytest

from benchmarks import bench_download, bench_polling


@pytest.mark.slow
def test_polling_benchmark_runs() -> None:
    result = bench_polling.main(["--jobs", "4", "--speed", "100"])
    assert result["polls_ours"] > 0 and result["polls_sdk"] > 0


@pytest.mark.slow
def test_download_benchmark_runs() -> None:
    result = bench_download.main(["--resolution", "1080p", "--duration", "6"])
    assert result["file_mb"] > 0 and result["peak_ours_mb"] > 0

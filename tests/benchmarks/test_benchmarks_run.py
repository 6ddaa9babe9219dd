"""The benchmarks keep running (their numbers are read by people, not asserted)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from benchmarks import __main__ as run_all
from benchmarks import bench_polling


# Not `serial`: a smoke run's figures are not asserted, and most of its two minutes are
# spent waiting on emulated jobs, which overlaps well with the other worker's files.
@pytest.mark.slow
@pytest.mark.timeout(900)  # every benchmark in turn: minutes on a busy 2-core machine
def test_make_bench_writes_the_page_and_its_chart(tmp_path: Path) -> None:
    # A smoke run: every benchmark, few jobs, a small video; the figures mean little.
    page = run_all.main(["--quick", "--docs", str(tmp_path)])
    text = page.read_text()
    for shape in bench_polling.SHAPES:
        for metrics in ("full", "`inference_time` only"):  # both metrics shapes the emulator sends
            assert f"| {shape.name} | {metrics} |" in text
            for earlier in bench_polling.EARLIER:  # the cold-start rows
                assert f"| {shape.name} | {metrics} | {earlier} |" in text
    assert "## Memory" in text and "## Download" in text
    for section in (
        "## A kernel with",
        "## A sweep under a submit limit",
        "## Four kernels sweeping under one account's limit",
        "## Galleries",
        "## The store on PostgreSQL",
    ):
        assert section in text
    assert (tmp_path / "images" / "bench-polling.png").stat().st_size > 10_000


@pytest.mark.slow
def test_bench_memory_leaves_nothing_in_the_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks import bench_memory

    monkeypatch.setenv("TMPDIR", str(tmp_path))  # its child processes' too
    monkeypatch.setattr(tempfile, "tempdir", None)  # read again from TMPDIR
    result = bench_memory.run("1080p", 6, repeat=1, clips=1)
    assert result[f"ours_{bench_memory.STATES[0]}"]["runs"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == []

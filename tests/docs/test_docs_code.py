"""Every Python block in docs/ runs against the emulator, or says why it cannot.

The marks are described in ``tests/docs/blocks.py``. The runnable blocks of a
page are the cells of one notebook, executed top to bottom by nbclient in a
real kernel whose environment points at an in-process emulator, in a fresh
folder: the examples a reader copies are the examples that ran.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import API_KEY, make_emulator
from tests.docs.blocks import Block, read_blocks

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs").glob("*.md"))
BLOCKS = {page: read_blocks(page) for page in PAGES}
RUNNABLE = {
    page: [b for b in blocks if b.is_python and b.not_run is None]
    for page, blocks in BLOCKS.items()
}
# What starts a Python block that forgot its language (and so escaped this test). Blocks
# with no language that show magic cells and their output (`%%ltx ...`, `%ltx status 12`
# and what it prints) are transcripts: tests/magic/test_magic_docs.py checks their options.
LOOKS_PYTHON = ("import ", "from ltx_notebook", "ltx.", "%load_ext", "%config")


def test_every_python_block_runs_or_says_why() -> None:
    problems = []
    for blocks in BLOCKS.values():
        for block in blocks:
            if block.not_run is not None and not block.is_python:
                problems.append(f"{block.where}: a not-run mark on a {block.language!r} block")
            if block.not_run == "":
                problems.append(f"{block.where}: not-run needs its reason")
            if not block.language and block.code.lstrip().startswith(LOOKS_PYTHON):
                problems.append(f"{block.where}: Python without ```python: it would not run")
    assert not problems, "\n".join(problems)
    assert sum(map(len, RUNNABLE.values())) >= 20, "most examples should run"


def test_the_marks_are_read() -> None:
    page = ROOT / "docs" / "emulator.md"
    marked = [b for b in BLOCKS[page] if b.is_python and b.not_run]
    assert marked and all(len(b.not_run or "") > 10 for b in marked)
    assert any(b.setup for b in BLOCKS[page])


def _notebook(blocks: list[Block]) -> nbformat.NotebookNode:
    cells = []
    for block in blocks:
        if block.setup:
            cells.append(nbformat.v4.new_code_cell(block.setup, metadata={"where": block.where}))
        cells.append(nbformat.v4.new_code_cell(block.code, metadata={"where": block.where}))
    return nbformat.v4.new_notebook(cells=cells)


@pytest.mark.kernel
@pytest.mark.parametrize(
    "page", [p for p in PAGES if RUNNABLE[p]], ids=[p.stem for p in PAGES if RUNNABLE[p]]
)
def test_docs_page_runs(
    page: Path, render_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nb = _notebook(RUNNABLE[page])
    with make_emulator(render_cache, speed=200) as emu:
        # The kernel inherits this process's environment, as a reader's would.
        monkeypatch.setenv("SEGMIND_BASE_URL", emu.base_url)
        monkeypatch.setenv("SEGMIND_API_KEY", API_KEY)
        monkeypatch.setenv("LTX_NOTEBOOK_MEDIA_DIR", "ltx_media")
        monkeypatch.delenv("LTX_NOTEBOOK_STORE", raising=False)
        client = NotebookClient(
            nb,
            timeout=300,
            kernel_name="python3",
            allow_errors=True,
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
            resources={"metadata": {"path": str(tmp_path)}},
        )
        client.execute()
    failures = [
        f"{cell.metadata['where']}: {out['ename']}: {out['evalue']}\n{cell.source}"
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not failures, "\n\n".join(failures)
    assert API_KEY not in nbformat.writes(nb)

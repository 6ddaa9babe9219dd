"""docs/recovery.md's examples, run in order in this process against the emulator they start.

tests/docs/test_docs_code.py runs them in a real kernel too; here they run
without one, so the checks they make (their ``assert`` lines) hold wherever
the recovery code changes, and what they print matches the page's shape.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from ltx_notebook import _api
from ltx_notebook._core import config
from tests.docs.blocks import read_blocks

DOC = Path(__file__).parents[2] / "docs" / "recovery.md"


@pytest.fixture
def fresh_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The examples use the package's default session and settings: theirs alone, then gone."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(config, "_settings", None)
    monkeypatch.setattr(_api, "_default", None)
    yield
    session = _api._default
    if session is not None:
        session.runtime.stop()


def test_the_recovery_examples_run_and_print_what_the_page_shows(fresh_default: None) -> None:
    blocks = read_blocks(DOC)
    runnable = [b for b in blocks if b.is_python and b.not_run is None]
    shown = [b for b in blocks if b.language == "text"]
    assert len(runnable) == 4 and len(shown) == 3
    namespace: dict[str, object] = {}
    printed = []
    for block in runnable:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block.code, block.where, "exec"), namespace)
        printed.append(out.getvalue())
    # Each printing example's output has the lines the page shows, ids and times aside.
    for got, want in zip(printed[1:], shown, strict=True):
        assert len(got.splitlines()) == len(want.code.splitlines()), got
        for line, page in zip(got.splitlines(), want.code.splitlines(), strict=True):
            assert _shape(line) == _shape(page), (line, page)
    assert len(list(Path.cwd().glob("ltx_media/*.mp4"))) == 2


def _shape(line: str) -> str:
    """A line with what differs between runs (ids, clock times, paths' ids, cut tails) blanked."""
    line = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID", line)
    line = re.sub(r"\b\d\d:\d\d:\d\d\b", "TIME", line)
    line = re.sub(r"ltx-\d{4}-[0-9a-f]{8}\.mp4", "FILE", line)
    line = re.sub(r"\((PENDING|COMPLETED)", "(STATE", line)
    return line.split(" (the submit", 1)[0]  # the cause, cut at 300 characters

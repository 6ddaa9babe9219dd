"""docs/recovery.md's examples, run in order against the emulator they start, output checked."""

from __future__ import annotations

import doctest
from collections.abc import Iterator
from pathlib import Path

import pytest

import ltx_notebook
from ltx_notebook._core import config

DOC = Path(__file__).parents[2] / "docs" / "recovery.md"


@pytest.fixture
def fresh_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The examples use the package's default session and settings: theirs alone, then gone."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(config, "_settings", None)
    monkeypatch.setattr(ltx_notebook, "_default", None)
    yield
    session = ltx_notebook._default
    if session is not None:
        session.runtime.stop()


def test_the_recovery_examples_run_as_documented(fresh_default: None) -> None:
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testfile(str(DOC), module_relative=False, optionflags=flags, verbose=False)
    assert result.attempted > 20
    assert result.failed == 0
    assert not list(Path.cwd().glob("ltx_media/*.part"))
    assert len(list(Path.cwd().glob("ltx_media/*.mp4"))) == 2

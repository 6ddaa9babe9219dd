"""docs/spend.md's Python examples, executed in order against the emulator on loopback.

The emulator holds $5 of credits, and one job was already run with the same
key from another store ("another machine"), so the import example has
something to bring in.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path

import pytest

import ltx_notebook as ltx
from ltx_notebook import _api
from ltx_notebook._core import config as _config
from ltx_notebook._core.params import validate
from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY
from tests.harness.accounts import run_elsewhere

DOC = Path(__file__).parents[2] / "docs" / "spend.md"


@pytest.fixture
def emulator_options() -> dict[str, object]:
    return {"credits": 5.0}


@pytest.fixture
def default_session(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setattr(_config, "_settings", None)
    monkeypatch.setattr(_api, "_default", None)
    monkeypatch.chdir(tmp_path)
    ltx.configure(api_key=API_KEY, base_url=emulator.base_url, media_dir=tmp_path / "ltx_media")
    yield
    if _api._default is not None:
        _api._default.runtime.stop()


def blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", DOC.read_text(), re.MULTILINE | re.DOTALL)


def test_the_spend_page_examples_run_against_the_emulator(
    default_session: None, emulator: Emulator, tmp_path: Path
) -> None:
    heron = validate("ltx-2-fast", prompt="a heron on a lake", duration=8)
    run_elsewhere(emulator, tmp_path / "elsewhere", heron)
    examples = blocks()
    assert len(examples) >= 5
    namespace: dict[str, object] = {}
    out = io.StringIO()
    with redirect_stdout(out):
        for code in examples:
            exec(compile(code, str(DOC), "exec"), namespace)
    text = out.getvalue()
    assert "past the budget of $0.50" in text  # the budget refused the second job...
    assert "holds $4.24 of credits" in text  # ...and the credits the big sweep
    assert emulator.engine.count("submit") == 2  # the job elsewhere and the first one here
    assert "imported 1 job (1 with video)" in text
    store = _api._default.store if _api._default else None
    assert store is not None and store.count(origin="history") == 1

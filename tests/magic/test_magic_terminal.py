"""Terminal IPython (no kernel, no widgets): a plain text progress line, and the same options.

An in-process ``InteractiveShell`` is what terminal IPython runs on; the magic
must find no kernel there and wait with a ``\\r``-rewritten text line.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from ltx_notebook import Session
from ltx_notebook._magic.magics import LtxMagics
from ltx_notebook._view.frontend import Frontend, detect
from ltx_notebook.emulator import Emulator


@pytest.fixture
def shell(session: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    monkeypatch.delenv("LTX_NOTEBOOK_FRONTEND", raising=False)
    ip = InteractiveShell.instance()
    magics = LtxMagics(shell=ip, session=session)
    ip.register_magics(magics)
    yield ip
    ip.configurables[:] = [c for c in ip.configurables if c is not magics]


def test_a_terminal_shell_waits_with_a_text_line(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], emulator: Emulator
) -> None:
    assert detect() is Frontend.TERMINAL
    shell.run_cell_magic("ltx", "-d 6 -o job", "a red fox running through fresh snow")
    out = capsys.readouterr().out
    job = shell.user_ns["job"]
    assert job.done and job.status == "COMPLETED"
    assert f"[ltx] {job.request_id}" in out and "\r" in out
    assert "COMPLETED" in out.splitlines()[-2] and f"video: {job.video_path}" in out
    assert "<" not in out  # no HTML, no widget repr


def test_no_wait_prints_one_line_and_returns(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], emulator: Emulator
) -> None:
    shell.run_cell_magic("ltx", "--no-wait -o job", "a paper boat on a puddle")
    out = capsys.readouterr().out
    job = shell.user_ns["job"]
    assert "follows in the background" in out and f"%ltx status {job.request_id}" in out
    job.wait(60)


def test_the_override_variable_wins_and_a_typo_is_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LTX_NOTEBOOK_FRONTEND", "VSCode")
    assert detect() is Frontend.VSCODE
    monkeypatch.setenv("LTX_NOTEBOOK_FRONTEND", "jupyterlab")
    with pytest.warns(UserWarning, match="not one of"):
        assert detect() is Frontend.TERMINAL  # no kernel in this process


def test_usage_errors_raise_before_anything_is_sent(
    shell: InteractiveShell, emulator: Emulator
) -> None:
    with pytest.raises(UsageError, match="6, 8, 10"):
        shell.run_cell_magic("ltx", "-d 7", "a fox")
    assert emulator.engine.count() == 0


def test_the_line_says_how_long_a_job_takes_before_any_history(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], emulator: Emulator
) -> None:
    # A fresh store (a new emulator's URL): nothing learned yet, the model's typical time.
    shell.run_cell_magic("ltx", "-d 6 -o job", "a kite over the dunes")
    first = next(part for part in capsys.readouterr().out.split("\r") if part.strip())
    assert "QUEUED" in first or "PROCESSING" in first or "SUBMITTING" in first, first
    assert "(typically ~1:" in first, first


def test_emulator_start_says_how_long_a_job_takes(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_line_magic("ltx", "emulator start")
    try:
        out = capsys.readouterr().out
    finally:
        shell.run_line_magic("ltx", "emulator stop")
    # Speed 1 is the service's own pace: a reader is told what a job will take, and how
    # to make it quicker.
    assert "speed 1" in out and "ltx-2-pro" in out and "~1:" in out, out
    assert "speed=10" in out, out
    assert len(out.strip().splitlines()) == 1, out


def test_history_prints_the_notebooks_compact_table(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], emulator: Emulator
) -> None:
    shell.run_cell_magic("ltx", "-d 6 -o job", "a red fox running through fresh snow")
    shell.run_cell_magic("ltx", "-d 8", "a red fox running through fresh snow")
    capsys.readouterr()
    shell.run_cell("%ltx history")
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip() and not line.startswith("Out[")]
    # The caption, the heads, one line a job: not pandas' 37 columns.
    assert "columns]" not in out and "params_json" not in out and "request_id" not in out, out
    assert "2 jobs · all ltx-2-pro" in lines[0], out
    heads = lines[1].split()
    assert heads[:3] == ["#", "status", "duration"], heads
    assert {"cost", "seconds", "rating"} <= set(heads), heads
    assert sum("COMPLETED" in line for line in lines) == 2, out
    assert all(len(line) <= 120 for line in lines), out
    assert "<" not in out  # text, no HTML
    # A selection of columns prints those columns.
    capsys.readouterr()
    shell.run_cell("_.iloc[-1:][['request_id', 'status', 'cost']]")
    out = capsys.readouterr().out
    assert shell.user_ns["job"].request_id in out
    assert "request_id" in out and "status" in out and "duration" not in out, out

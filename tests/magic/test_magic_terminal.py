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

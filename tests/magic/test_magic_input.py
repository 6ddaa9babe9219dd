"""Bad magic input is a one-line ``UsageError`` raised before anything is sent.

The magics run in-process on an ``InteractiveShell`` (what terminal IPython
runs on), with a session pointed at a real emulator over loopback; what was
sent is read from the emulator's request log, never from the client's word.
tests/magic/test_magic_nasty_kernel.py replays a handful of these lines in a
real kernel, to see there is no traceback in the front end either.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from traitlets import TraitError

from ltx_notebook import Session
from ltx_notebook._core import config as _config
from ltx_notebook._magic.magics import LtxMagics
from ltx_notebook.emulator import Emulator


@pytest.fixture
def magics(
    session: Session, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[LtxMagics]:
    # Nothing here may reach the process's settings (an emulator started by mistake would).
    monkeypatch.setattr(_config, "_settings", None)
    monkeypatch.setenv("LTX_NOTEBOOK_FRONTEND", "terminal")
    monkeypatch.chdir(tmp_path)
    ip = InteractiveShell.instance()
    magics = LtxMagics(shell=ip, session=session)
    ip.register_magics(magics)
    yield magics
    magics._emulator.stop()
    ip.configurables[:] = [c for c in ip.configurables if c is not magics]


def refused(magics: LtxMagics, line: str, cell: str | None) -> str:
    """Run one magic; it must raise a one-line UsageError. Return its message."""
    shell = magics.shell
    assert shell is not None
    with pytest.raises(UsageError) as info:
        if cell is None:
            shell.run_line_magic("ltx", line)
        else:
            shell.run_cell_magic("ltx", line, cell)
    message = str(info.value)
    assert "\n" not in message and message, message
    return message


LONG_NAME = "a" * 300 + ".png"

# (magic line, cell body or None for %ltx, a fragment of the message)
BAD_TIMEOUTS = [
    ("--timeout inf", "fox", "--timeout must be a positive number of seconds"),
    ("--timeout nan", "fox", "--timeout must be a positive number of seconds"),
    ("--timeout 1e309", "fox", "--timeout must be a positive number of seconds"),
    ("--timeout -inf", "fox", "argument --timeout"),  # argparse reads -inf as an option
    ("--timeout 1e12", "fox", "up to 604800"),
    ("--timeout nan --dry-run", "fox", "--timeout must be a positive number of seconds"),
    ("--timeout inf --sweep duration=6,8", "fox", "--timeout must be a positive"),
    ("--concurrency 99999999999999999999", "a\n---\nb", "concurrency must be"),
    ("--concurrency 0", "a\n---\nb", "--concurrency must be"),
    ("--concurrency -3", "fox", "--concurrency must be"),
]

BAD_LINES = [
    ("--vars", "a {x", "--vars"),
    ("--vars", "a }x", "--vars"),
    ("--vars", "a {0}", "--vars"),
    ("--vars", "a {}", "--vars"),
    ("--vars", "a {x!z}", "--vars"),
    ("--tag '", "fox", "quotation"),
    ('--tag "', "fox", "quotation"),
    ("--sweep 'duration=6,8", "fox", "quotation"),
    ("status '", None, "quotation"),
    ("status ²", None, "no job '²'"),
    ("show ²", None, "no job '²'"),
    ("status 99999999999999999999", None, "no job 99999999999999999999"),
    ("show -99999999999999999999", None, "no job"),
    ("-i ~nosuchuser/x.png", "fox", "image file not found"),
    (f"-i {LONG_NAME}", "fox", "image file not found"),
    (f"--sweep image={LONG_NAME}", "fox", "image file not found"),
    ("--sweep image=~nosuchuser/x.png", "fox", "image file not found"),
]

BAD_EMULATOR = [
    ("emulator start speed=nan", None, "emulator speed"),
    ("emulator start speed=inf", None, "emulator speed"),
    ("emulator start speed=-inf", None, "emulator speed"),
    ("emulator start speed=1e309", None, "emulator speed"),
    ("emulator start speed=0", None, "emulator speed"),
    ("emulator start preset=fastest", None, "emulator preset"),
    ("emulator start credits=nan", None, "emulator credits"),
    ("emulator start credits=inf", None, "emulator credits"),
    ("emulator start credits=-1", None, "emulator credits"),
    ("emulator start render_scale=nan", None, "emulator render_scale"),
    ("emulator start render_scale=inf", None, "emulator render_scale"),
]

CASES = BAD_TIMEOUTS + BAD_LINES + BAD_EMULATOR


@pytest.mark.parametrize(("line", "cell", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_usage_error_and_sends_nothing(
    magics: LtxMagics, emulator: Emulator, line: str, cell: str | None, message: str
) -> None:
    assert message in refused(magics, line, cell)
    assert emulator.engine.count() == 0
    assert magics.session.store.count() == 0
    assert magics._emulator._emulator is None  # no emulator was started either


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 1e309, -1.0, 0.0, 1e12])
def test_config_refuses_a_timeout_that_is_not_a_finite_positive_number(
    magics: LtxMagics, value: float
) -> None:
    magics.timeout = 30.0
    with pytest.raises(TraitError, match=r"LtxMagics\.timeout must be a positive number"):
        magics.timeout = value
    assert magics.timeout == 30.0


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 1e309, -1.0])
def test_config_refuses_an_embed_cap_that_is_not_a_finite_size(
    magics: LtxMagics, value: float
) -> None:
    with pytest.raises(TraitError, match=r"LtxMagics\.embed_cap_mb must be"):
        magics.embed_cap_mb = value
    assert magics.embed_cap_mb == 20.0


def test_good_values_still_pass(magics: LtxMagics, emulator: Emulator) -> None:
    magics.timeout = 0.5
    magics.timeout = None
    magics.embed_cap_mb = 0.0
    magics.embed_cap_mb = 50
    shell = magics.shell
    assert shell is not None
    shell.run_cell_magic("ltx", "--dry-run --timeout 604800 --concurrency 50 --yes", "a\n---\nb")
    shell.run_line_magic("ltx", "status")
    assert emulator.engine.count() == 0


def test_an_image_that_is_not_a_small_real_image_is_refused_before_any_upload(
    magics: LtxMagics, emulator: Emulator, tmp_path: Path
) -> None:
    (tmp_path / "passwd.png").symlink_to("/etc/passwd")
    (tmp_path / "notes.png").write_text("meeting notes\n")
    with (tmp_path / "huge.png").open("wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        out.truncate(200 * 2**20)
    (tmp_path / "folder.png").mkdir()
    cases = [
        ("-i passwd.png", "is not a PNG, JPEG, WebP, GIF or BMP image"),
        ("-i notes.png", "is not a PNG, JPEG, WebP, GIF or BMP image"),
        ("-i huge.png", "is 200.0 MB, over the 20 MB limit"),
        ("-i folder.png", "is not a regular file"),
        ("--sweep image=notes.png,huge.png", "sweep combination 1 of 2"),
    ]
    for line, message in cases:
        assert message in refused(magics, line, "a fox"), line
    assert emulator.engine.count() == 0  # no upload, no submit
    assert magics.session.store.count() == 0


def test_a_damaged_store_is_one_usage_error_for_every_command(
    magics: LtxMagics, emulator: Emulator
) -> None:
    path = magics.session.settings.store_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database\n" * 200)
    for line, cell in [("", "a fox"), ("history", None), ("status 1", None), ("resume", None)]:
        message = refused(magics, line, cell)
        assert message.startswith("StoreError: the job store") and str(path) in message
        assert "damaged" in message
    assert emulator.engine.count() == 0

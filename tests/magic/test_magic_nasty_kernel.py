"""A handful of nasty lines in a real kernel: one UsageError line each, no traceback, no request.

tests/magic/test_magic_input.py and test_magic_fuzz.py cover many more lines
in-process; this checks what a notebook user actually sees.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ltx_notebook.emulator import Emulator
from tests.harness.kernel import Kernel, assert_no_key, assert_one_usage_error

pytestmark = pytest.mark.kernel

NASTY = [
    ("%%ltx --tag '\na fox", "No closing quotation"),
    ("%%ltx --timeout inf\na fox", "--timeout must be a positive number of seconds"),
    ("%%ltx --timeout nan\na fox", "--timeout must be a positive number of seconds"),
    ("%%ltx --vars\na {x", "--vars: cannot read"),
    ("%%ltx -i ~nosuchuser/x.png\na fox", "image file not found"),
    ("%%ltx -i " + "a" * 300 + ".png\na fox", "File name too long"),
    ("%%ltx --concurrency 99999999999999999999\na\n---\nb", "--concurrency must be"),
    ("%ltx status '", "No closing quotation"),
    ("%ltx status ²", "no job '²'"),
    ("%ltx status 99999999999999999999", "no job 99999999999999999999"),
    ("%ltx emulator start speed=nan", "emulator speed must be"),
    ("%ltx emulator start credits=nan", "emulator credits must be"),
]


@pytest.mark.parametrize(("code", "message"), NASTY, ids=[c for c, _ in NASTY])
def test_a_nasty_line_is_one_usage_error_line(
    kernel: Kernel, module_emulator: Emulator, code: str, message: str
) -> None:
    assert_one_usage_error(kernel, module_emulator, code, message)


@pytest.mark.parametrize(
    "value", ["float('inf')", "float('nan')", "1e309", "-1"], ids=lambda v: f"timeout={v}"
)
def test_config_refuses_a_timeout_that_is_not_finite(
    kernel: Kernel, module_emulator: Emulator, value: str
) -> None:
    run = kernel.run(f"%config LtxMagics.timeout = {value}")
    (line,) = run.stderr.strip().splitlines()  # %config logs a refused value in one line
    assert "LtxMagics.timeout must be a positive number of seconds" in line
    out = kernel.ok(
        "m = [c for c in get_ipython().configurables if type(c).__name__ == 'LtxMagics'][0]\n"
        "print(m.timeout)"
    ).stdout.strip()
    assert out == "None"
    assert module_emulator.engine.count() == 0


def test_the_api_key_never_reaches_the_front_end(kernel: Kernel) -> None:
    assert_no_key(kernel)


def test_a_damaged_store_is_one_line_in_the_notebook(
    kernel: Kernel, module_emulator: Emulator, root: Path
) -> None:
    (root / "damaged").mkdir()
    (root / "damaged" / "ltx-jobs.sqlite").write_bytes(b"not a database\n" * 200)
    kernel.ok("%config LtxMagics.media_dir = 'damaged'")
    before = module_emulator.engine.count()
    for code in ("%%ltx\na fox", "%ltx history"):
        run = kernel.run(code)
        (line,) = run.stderr.strip().splitlines()
        assert line.startswith("UsageError: StoreError: the job store") and "damaged" in line
        assert "Traceback" not in run.text()
    assert module_emulator.engine.count() == before

"""A real kernel whose SEGMIND_API_KEY came from a file: it works, and the key never shows.

Each test starts its own kernel, since the key is read from the kernel's
environment; its debug logging is on, so httpx's and httpcore's lines reach
the outputs too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ltx_notebook.emulator import Emulator
from tests.conftest import make_emulator
from tests.harness.kernel import Kernel, kernel_env, start_kernel
from tests.harness.secrets import assert_nowhere

pytestmark = pytest.mark.kernel

KEY = "sk-kernel-file-0123456789abcdef"
DEBUG_LOGS = "import logging, sys; logging.basicConfig(level=logging.DEBUG, stream=sys.stdout)"


@pytest.fixture(scope="module")
def keyed_emulator(render_cache: Path) -> Iterator[Emulator]:
    with make_emulator(render_cache, api_key=KEY) as emu:
        yield emu


def kernel_with_key(emulator: Emulator, root: Path, key: str) -> Kernel:
    kernel = start_kernel(root, kernel_env(emulator, root, SEGMIND_API_KEY=key))
    kernel.ok(DEBUG_LOGS)
    return kernel


def test_a_key_with_a_trailing_crlf_works_and_never_shows(
    keyed_emulator: Emulator, tmp_path: Path
) -> None:
    kernel = kernel_with_key(keyed_emulator, tmp_path, KEY + "\r\n")
    try:
        done = kernel.ok("%%ltx -o job --tag crlf\na heron in a misty river", timeout=120)
        assert "COMPLETED" in done.text()
        # A service echoing the key back in its refusal.
        keyed_emulator.engine.inject("submit", 401, body={"error": f"bad key {KEY!r}\r\n"})
        # --again: the same request is done and would otherwise be shown, not sent.
        refused = kernel.run("%%ltx --again --tag echo\na heron in a misty river")
        assert "UsageError: AuthenticationError" in refused.stderr, refused.text()
        kernel.ok("%ltx config")
        kernel.ok("import ltx_notebook; print(repr(job), repr(ltx_notebook.get_settings()))")
        store = tmp_path / "ltx_media" / "ltx-jobs.sqlite"
        files = [p.read_bytes() for p in store.parent.glob("ltx-jobs.sqlite*")]
        assert files
        assert_nowhere(KEY, kernel.all_text(), *files)
    finally:
        kernel.shutdown()


def test_a_non_ascii_key_is_a_one_line_error_that_does_not_show_it(
    keyed_emulator: Emulator, tmp_path: Path
) -> None:
    bad = "sk-kernel-fïle-0123456789abcdef"
    kernel = kernel_with_key(keyed_emulator, tmp_path, bad)
    try:
        submits = keyed_emulator.engine.count("submit")
        run = kernel.run("%%ltx\na heron in a misty river")
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("UsageError: "), run.text()  # no trace
        assert "SEGMIND_API_KEY" in lines[0] and "non-ASCII" in lines[0], lines[0]
        assert keyed_emulator.engine.count("submit") == submits  # nothing was sent
        text = kernel.all_text()
        runs = {bad[i : i + 6] for i in range(len(bad) - 5)}
        assert not [r for r in runs if r in text]
        assert_nowhere(bad, text)
    finally:
        kernel.shutdown()

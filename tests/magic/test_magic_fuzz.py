"""Fuzzing the magics' parsing: any line gives a dry run or a one-line UsageError, never more.

The magics run in-process on an ``InteractiveShell`` with a session pointed at
a real emulator over loopback. Every ``%%ltx`` line starts with ``--dry-run``,
so a line that parses prints its payload instead of paying for it; whatever
the line, the emulator's request log must stay empty. How many examples, and
under which seed, is the profile's choice (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from PIL import Image

from ltx_notebook import Session, Settings
from ltx_notebook._core import config as _config
from ltx_notebook._core.config import Secret
from ltx_notebook._magic.commands import COMMANDS
from ltx_notebook._magic.emulator import emulator_config
from ltx_notebook._magic.magics import LINE_COMMANDS, LtxMagics
from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY, make_emulator

FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def fuzz_emulator(render_cache: Path) -> Iterator[Emulator]:
    with make_emulator(render_cache) as emu:
        yield emu


@pytest.fixture(scope="module")
def magics(
    fuzz_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LtxMagics]:
    folder = tmp_path_factory.mktemp("fuzz")
    Image.new("RGB", (16, 9)).save(folder / "frame.png")
    (folder / "notes.png").write_text("not an image")
    settings_before, cwd = _config._settings, Path.cwd()
    os.environ["LTX_NOTEBOOK_FRONTEND"] = "terminal"
    os.chdir(folder)
    session = Session(
        Settings(
            api_key=Secret(API_KEY),
            base_url=fuzz_emulator.base_url,
            media_dir=folder / "media",
            store_path=folder / "media" / "jobs.sqlite",
        )
    )
    ip = InteractiveShell.instance()
    magics = LtxMagics(shell=ip, session=session)
    ip.register_magics(magics)
    ip.user_ns.update(animal="otter", n=3, items=[1, 2], nothing=None)
    try:
        yield magics
    finally:
        magics._emulator.stop()
        ip.configurables[:] = [c for c in ip.configurables if c is not magics]
        session.runtime.stop()
        os.chdir(cwd)
        os.environ.pop("LTX_NOTEBOOK_FRONTEND", None)
        _config._settings = settings_before


# Values that broke, or nearly broke, the magics: numbers argparse and float() accept
# and nothing else should, quotes, braces, odd digits, paths that make the OS raise.
NASTY = [
    "inf",
    "-inf",
    "nan",
    "NaN",
    "1e309",
    "-1e309",
    "1e12",
    "0",
    "-0",
    "-1",
    "0.0001",
    "99999999999999999999",
    "-99999999999999999999",
    "²",
    "١٢",
    "½",
    "6.0",
    " 6",
    "0x10",
    "'",
    '"',
    "''",
    "'a b'",
    "\\",
    "{",
    "}",
    "{x",
    "x}",
    "{0}",
    "{}",
    "{animal}",
    "{animal!z}",
    "{items[9]}",
    "{n.real.nope}",
    "{nothing:d}",
    "---",
    "--",
    "-",
    "=",
    ",",
    ",,",
    "=,",
    "~nosuchuser/x.png",
    "a" * 300 + ".png",
    "frame.png",
    "notes.png",
    "/etc/passwd",
    "/dev/null",
    "/",
    ".",
    "~",
    "file://frame.png",
    "ftp://x/y.png",
    "data:image/png;base64,",
    "http://",
    "duration=6,8",
    "duration=6,7",
    "resolution=1080p,8k",
    "image=frame.png",
    "image=~nosuchuser/x.png",
    "generate_audio=maybe",
    "model=ltx-9",
    "prompt=a,b",
    "fps=24",
    "duration=",
    "=6",
    "ltx-2-fast",
    "ltx-2-pro",
    "4k",
    "2k",
    "1080P",
    "auto",
    "always",
    "x",
    "\u200b",
    "\t",
    "é",
    "🦊",
    "None",
    "True",
]
OPTIONS = sorted(
    {s for a in LtxMagics.ltx_cell.parser._actions for s in a.option_strings} - {"-h", "--help"}
)
TOKENS = st.one_of(
    st.sampled_from(OPTIONS),
    st.sampled_from(NASTY),
    st.text(min_size=1, max_size=12),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
# An option followed by a nasty value reaches the checks behind the parser far more often.
PAIRS = st.tuples(st.sampled_from(OPTIONS), st.sampled_from(NASTY)).map(" ".join)
LINES = st.lists(st.one_of(PAIRS, TOKENS), max_size=6).map(" ".join)
BODIES = st.one_of(
    st.sampled_from(["a red fox", "", "   ", "a\n---\nb", "---", "{animal} at {n}", "{", "a {x"]),
    st.text(max_size=40),
)


def run(magics: LtxMagics, emulator: Emulator, line: str, cell: str | None) -> None:
    shell = magics.shell
    assert shell is not None
    before = emulator.engine.count()
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            if cell is None:
                shell.run_line_magic("ltx", line)
            else:
                shell.run_cell_magic("ltx", line, cell)
    except UsageError as exc:
        event("a UsageError")
        message = str(exc)
        assert message and "\n" not in message, repr(message)
        assert "Traceback" not in message
    else:
        printed = out.getvalue()
        event("answered")
        if "dry run: nothing sent" in printed:  # one job: its exact body is within the schema
            event("a dry run's body")
            body = json.loads(printed[printed.index("{") : printed.rindex("}") + 1])
            assert set(body) <= {"prompt", "duration", "resolution", "generate_audio", "image"}
            assert isinstance(body["prompt"], str) and body["prompt"].strip()
            assert body["duration"] in (6, 8, 10)
            assert body["resolution"] in ("1080p", "2k", "4k")
            assert isinstance(body["generate_audio"], bool)
    assert API_KEY not in out.getvalue()
    assert emulator.engine.count() == before, emulator.engine.log[before:]
    assert magics._emulator._emulator is None


@FUZZ
@given(line=LINES, cell=BODIES)
def test_any_cell_line_is_a_dry_run_or_one_usage_error(
    magics: LtxMagics, fuzz_emulator: Emulator, line: str, cell: str
) -> None:
    run(magics, fuzz_emulator, "--dry-run " + line, cell)


# credits and import ask the service, and a good emulator start starts one: fuzzed elsewhere
# (import's bad options in tests/magic/test_magic_money.py).
QUIET_COMMANDS = [c for c in LINE_COMMANDS if c not in ("credits", "emulator", "import")]


@FUZZ
@given(
    command=st.sampled_from([*QUIET_COMMANDS, "", "statu", "show status"]),
    rest=st.one_of(st.sampled_from(NASTY), LINES),
)
def test_any_line_magic_is_an_answer_or_one_usage_error(
    magics: LtxMagics, fuzz_emulator: Emulator, command: str, rest: str
) -> None:
    run(magics, fuzz_emulator, f"{command} {rest}", None)


# Words the line magic's shell-like split leaves whole, so the magic sees these options.
WORDS = st.one_of(
    st.sampled_from([v for v in NASTY if v.split() == [v] and not set(v) & set("'\"\\")]),
    st.text(st.characters(exclude_categories=("Z", "C"), exclude_characters="'\"\\"), max_size=8),
)


@FUZZ
@given(
    options=st.lists(
        st.tuples(
            st.sampled_from(["speed", "render_scale", "credits", "seed", "preset", "port", ""]),
            WORDS,
        ).map("=".join),
        min_size=1,
        max_size=4,
    )
)
def test_emulator_options_are_a_sound_config_or_one_usage_error(
    magics: LtxMagics, fuzz_emulator: Emulator, options: list[str]
) -> None:
    try:
        words = COMMANDS["emulator"].parser.parse_args(["start", *options])
        config = emulator_config(words.knobs)
    except UsageError as exc:
        assert str(exc) and "\n" not in str(exc)
        # The magic refuses the same line the same way, and starts nothing.
        run(magics, fuzz_emulator, "emulator start " + " ".join(options), None)
    else:
        assert 0 < config.speed < math.inf and 0 <= config.credits < math.inf
        assert 0 < config.render_scale <= 1

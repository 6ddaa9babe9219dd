"""Fixtures shared by the whole suite: a real emulator on loopback and sessions pointed at it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from ltx_notebook import Session, Settings
from ltx_notebook._core.config import Secret
from ltx_notebook.emulator import Emulator, EmulatorConfig

# The harnesses' fixtures, usable from any test folder (each module documents its own).
pytest_plugins = [
    "tests.harness.clips",
    "tests.harness.kernel",
    "tests.harness.lab_fixtures",
    "tests.harness.postgres",
    "tests.harness.s3",
]

API_KEY = "sk-test-0123456789abcdef"

# Tests never reach the real service, whatever the developer's shell holds.
for name in (
    "SEGMIND_API_KEY",
    "SEGMIND_BASE_URL",
    "SEGMIND_HISTORY_URL",
    "LTX_NOTEBOOK_MEDIA_DIR",
    "LTX_NOTEBOOK_CACHE_DIR",
    "LTX_NOTEBOOK_CACHE_MAX_GB",
    "LTX_NOTEBOOK_STORE",
    "LTX_NOTEBOOK_BUDGET",
    "LTX_NOTEBOOK_BUDGET_PERIOD",
    "LTX_NOTEBOOK_MATCH_GRACE",
    "LTX_NOTEBOOK_PLAYBACK",
):
    os.environ.pop(name, None)


# Hypothesis: the full 400 examples in CI, a quick 40 on a developer's machine; either
# way random, under one seed per run that the header prints (rerun with
# --hypothesis-seed=N). HYPOTHESIS_PROFILE or --hypothesis-profile picks one by name.
hypothesis_settings.register_profile("ci", max_examples=400, print_blob=True)
hypothesis_settings.register_profile("dev", max_examples=40, print_blob=True)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # Chosen once, by the controller; xdist's workers are handed it (pytest_configure_node)
    # so one number reproduces the whole run.
    handed: dict[str, str] = getattr(config, "workerinput", {})
    if config.getoption("hypothesis_seed", None) is None:
        config.option.hypothesis_seed = handed.get("hypothesis_seed", str(secrets.randbelow(2**32)))


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    node.workerinput["hypothesis_seed"] = node.config.getoption("hypothesis_seed")


def pytest_report_header(config: pytest.Config) -> str:
    profile = hypothesis_settings.get_current_profile_name()
    examples = hypothesis_settings.default.max_examples
    seed = config.getoption("hypothesis_seed")
    return f"hypothesis: profile {profile!r} ({examples} examples), --hypothesis-seed={seed}"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--group",
        choices=("all", "parallel", "serial"),
        default="all",
        help="make test's two passes: 'parallel' keeps the tests that may share the machine "
        "with others (run with -n 2), 'serial' the browser and serial ones (default: all)",
    )


def runs_alone(item: pytest.Item) -> bool:
    return any(item.get_closest_marker(name) for name in ("browser", "serial"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the tests of --group; start the long files first; run browser tests last.

    Long first: with ``-n 2 --dist loadfile --no-loadscope-reorder`` files are handed to
    the workers in this order, and a long file handed out last would end the run alone.
    A file is long when it holds a ``slow`` or ``kernel`` test.

    Browser last: Playwright's sync API keeps an asyncio loop running in the main thread
    for as long as its (session-wide) browser lives; any later ``asyncio.run`` or anyio
    test in that thread would fail with "another loop is running".
    """
    group = config.getoption("group")
    if group != "all":
        keep = [item for item in items if runs_alone(item) == (group == "serial")]
        dropped = [item for item in items if runs_alone(item) != (group == "serial")]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = keep
    rank: dict[Path, int] = {}  # a file's rank: its most costly test's
    for item in items:
        cost = (
            0 if item.get_closest_marker("slow") else 1 if item.get_closest_marker("kernel") else 2
        )
        rank[item.path] = min(cost, rank.get(item.path, 2))
    items.sort(key=lambda item: (item.get_closest_marker("browser") is not None, rank[item.path]))


@pytest.fixture(scope="session")
def render_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One render cache for the session, so the same clip is synthesised once."""
    return tmp_path_factory.mktemp("renders")


def poster_ok(poster: str, base: Path) -> bool:
    """A saved poster is inlined (a small JPEG data URI) or a file that exists beside *base*."""
    return poster.startswith("data:image/jpeg;base64,") or (base / poster).is_file()


def make_emulator(render_cache: Path, **overrides: object) -> Emulator:
    options: dict[str, object] = {
        "speed": 100.0,
        "render_scale": 0.1,
        "api_key": API_KEY,
        "seed": 7,
        "data_dir": render_cache,
        "preset": "ultrafast",
    }
    options.update(overrides)
    return Emulator(EmulatorConfig(**options))  # type: ignore[arg-type]


@pytest.fixture
def emulator_options() -> dict[str, object]:
    """What `emulator` changes of make_emulator's defaults: a test module may override this."""
    return {}


@pytest.fixture
def emulator(render_cache: Path, emulator_options: dict[str, object]) -> Iterator[Emulator]:
    with make_emulator(render_cache, **emulator_options) as emu:
        yield emu


@pytest.fixture
def settings(emulator: Emulator, tmp_path: Path) -> Settings:
    return Settings(
        api_key=Secret(API_KEY),
        base_url=emulator.base_url,
        media_dir=tmp_path / "media",
        store_path=tmp_path / "media" / "jobs.sqlite",
        match_settle=0.2,  # the emulator lists a request at once (history_lag 0)
    )


@pytest.fixture
def session(settings: Settings) -> Iterator[Session]:
    s = Session(settings)
    yield s
    s.runtime.stop()

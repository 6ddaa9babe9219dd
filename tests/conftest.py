"""Fixtures shared by the whole suite: a real emulator on loopback and sessions pointed at it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ltx_notebook import Session, Settings
from ltx_notebook._core.config import Secret
from ltx_notebook.emulator import Emulator, EmulatorConfig

# The harnesses' fixtures, usable from any test folder (each module documents its own).
pytest_plugins = [
    "tests.harness.clips",
    "tests.harness.kernel",
    "tests.harness.lab_fixtures",
    "tests.harness.postgres",
]

API_KEY = "sk-test-0123456789abcdef"

# Tests never reach the real service, whatever the developer's shell holds.
for name in (
    "SEGMIND_API_KEY",
    "SEGMIND_BASE_URL",
    "SEGMIND_HISTORY_URL",
    "LTX_NOTEBOOK_MEDIA_DIR",
    "LTX_NOTEBOOK_STORE",
    "LTX_NOTEBOOK_BUDGET",
    "LTX_NOTEBOOK_BUDGET_PERIOD",
    "LTX_NOTEBOOK_MATCH_GRACE",
):
    os.environ.pop(name, None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run browser tests last.

    Playwright's sync API keeps an asyncio loop running in the main thread for
    as long as its (session-wide) browser lives; any later ``asyncio.run`` or
    anyio test in that thread would fail with "another loop is running".
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


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
    )


@pytest.fixture
def session(settings: Settings) -> Iterator[Session]:
    s = Session(settings)
    yield s
    s.runtime.stop()

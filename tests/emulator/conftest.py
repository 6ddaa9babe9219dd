"""Fixtures for the emulator suite: in-process emulators on loopback with fast defaults."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from emu_support import KEY, StartEmulator

from ltx_notebook.emulator import Emulator, EmulatorConfig


@pytest.fixture
def start(tmp_path: Path) -> Iterator[StartEmulator]:
    """Start an emulator with fast test defaults; any EmulatorConfig field can be overridden."""
    running: list[Emulator] = []

    def make(clock: Callable[[], float] | None = None, **overrides: Any) -> Emulator:
        options: dict[str, Any] = {
            "speed": 200.0,
            "render_scale": 0.1,
            "preset": "ultrafast",
            "seed": 3,
            "api_key": KEY,
            "data_dir": tmp_path / f"data{len(running)}",
        }
        options.update(overrides)
        emu = Emulator(EmulatorConfig(**options), clock=clock).start()
        running.append(emu)
        return emu

    yield make
    for emu in running:
        emu.stop()


@pytest.fixture
def emu(start: StartEmulator) -> Emulator:
    return start()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(headers={"x-api-key": KEY}, timeout=30.0) as client:
        yield client

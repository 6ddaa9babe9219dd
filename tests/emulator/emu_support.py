"""Helpers shared by the emulator tests (a distinct module name: tests/ dirs are not packages)."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

import httpx
from PIL import Image

from ltx_notebook.emulator import Emulator
from tests.harness.clock import FakeClock

__all__ = [
    "KEY",
    "TERMINAL",
    "FakeClock",
    "StartEmulator",
    "png_bytes",
    "run_to_completion",
    "submit",
    "wait_for",
]

KEY = "emu-test-key-0123456789"
TERMINAL = ("COMPLETED", "FAILED")

StartEmulator = Callable[..., Emulator]
"""The ``start`` fixture: ``start(clock=None, **config_overrides) -> Emulator``."""


def wait_for(
    http: httpx.Client, url: str, states: tuple[str, ...] = TERMINAL, timeout: float = 30.0
) -> httpx.Response:
    """Poll *url* until its body's status is one of *states*."""
    deadline = time.monotonic() + timeout
    while True:
        response = http.get(url)
        if response.json().get("status") in states:
            return response
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} still {response.json()} after {timeout}s")
        time.sleep(0.02)


def submit(emu: Emulator, http: httpx.Client, **params: Any) -> dict[str, Any]:
    body = {"prompt": "a lighthouse at dusk, waves crashing", **params}
    response = http.post(emu.url("/v2/ltx-2-pro"), json=body)
    assert response.status_code == 200, response.text
    return response.json()


def run_to_completion(emu: Emulator, http: httpx.Client, **params: Any) -> dict[str, Any]:
    job = submit(emu, http, **params)
    assert wait_for(http, job["status_url"]).json()["status"] == "COMPLETED"
    result = http.get(job["response_url"])
    assert result.status_code == 200
    return result.json()


def png_bytes(
    colour: tuple[int, int, int] = (200, 30, 40), size: tuple[int, int] = (64, 36)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()

"""``%ltx emulator start|stop`` in-process: which settings it points at itself and puts back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ltx_notebook._core import config as _config
from ltx_notebook._core.config import configure, get_settings
from ltx_notebook._magic.emulator import InKernelEmulator, knob

ELSEWHERE = "https://records.example/inference-request"


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(_config, "_settings", None)
    yield


def test_an_explicit_history_url_gives_way_to_the_emulator_s_and_comes_back(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Else the emulator's jobs would be looked up on another service, with the emulator's key.
    configure(base_url="https://api.segmind.com/v1", history_url=ELSEWHERE)
    emulator = InKernelEmulator()
    emulator.start([knob(w) for w in ("speed=100", "render_scale=0.1", "preset=ultrafast")])
    try:
        settings = get_settings()
        root = settings.base_url.removesuffix("/v1")
        assert root.startswith("http://127.0.0.1:")
        assert settings.history_url == f"{root}/inference-request"
    finally:
        emulator.stop()
    assert get_settings().history_url == ELSEWHERE
    assert get_settings().base_url == "https://api.segmind.com/v1"
    assert "settings restored" in capsys.readouterr().out


def test_a_derived_history_url_stays_derived() -> None:
    configure(base_url="https://api.segmind.com/v1")
    emulator = InKernelEmulator()
    emulator.start([knob("speed=100")])
    emulator.stop()
    assert get_settings().history_base is None
    assert get_settings().history_url == "https://api.spotprod.segmind.com/inference-request"

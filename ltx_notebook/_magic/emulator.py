"""``%ltx emulator start|stop``: a local stand-in for the service, inside the kernel.

It points the settings at itself for as long as it runs and puts the previous
ones back when stopped, so a notebook can be tried with no key and no network.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from IPython.core.error import UsageError

from .._core.catalog import CATALOG
from .._core.config import configure, get_settings

if TYPE_CHECKING:
    from ..emulator import EmulatorConfig

__all__ = ["EMULATOR_USAGE", "InKernelEmulator", "emulator_config", "knob", "pace"]

EMULATOR_USAGE: Final = (
    "%ltx emulator start [speed=N] [render_scale=F] [preset=NAME] [seed=N] [credits=N] "
    "| %ltx emulator stop"
)
# What `%ltx emulator start key=value` may set: the EmulatorConfig fields worth a knob here.
EMULATOR_OPTIONS: Final[dict[str, type]] = {
    "speed": float,
    "render_scale": float,
    "preset": str,
    "seed": int,
    "credits": float,
}
# float() reads "nan" and "inf"; the config's own "> 0" checks let nan through.
FINITE_RANGES: Final[dict[str, tuple[str, Any]]] = {
    "speed": ("a number above 0", lambda v: 0 < v < math.inf),
    "render_scale": ("a number above 0 and at most 1", lambda v: 0 < v <= 1),
    "credits": ("a number, 0 or more", lambda v: 0 <= v < math.inf),
}
X264_PRESETS: Final = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
)


def knob(word: str) -> tuple[str, Any]:
    """One ``NAME=VALUE`` word of ``%ltx emulator start``, read and checked: argparse's ``type``.

    Checked in full by the parser, before anything starts, so a bad value never
    leaves a half-started emulator or changed settings behind. A bad word is an
    ``ArgumentError`` of no argument, so its message reaches the user as written.
    """
    name, _, value = word.partition("=")
    name = name.replace("-", "_")
    kind = EMULATOR_OPTIONS.get(name)
    if kind is None or not value:
        names = ", ".join(EMULATOR_OPTIONS)
        raise argparse.ArgumentError(
            None, f"emulator start takes NAME=VALUE, NAME one of {names} (got {word!r})"
        )
    try:
        knob_value = kind(value)
    except ValueError:
        raise argparse.ArgumentError(
            None, f"emulator {name} must be a {kind.__name__} (got {value!r})"
        ) from None
    if name in FINITE_RANGES:
        what, ok = FINITE_RANGES[name]
        if not ok(knob_value):
            raise argparse.ArgumentError(None, f"emulator {name} must be {what} (got {value!r})")
    if name == "preset" and value not in X264_PRESETS:
        raise argparse.ArgumentError(
            None, f"emulator preset must be one of {', '.join(X264_PRESETS)} (got {value!r})"
        )
    return name, knob_value


def emulator_config(knobs: Iterable[tuple[str, Any]]) -> EmulatorConfig:
    """The config the checked *knobs* of ``%ltx emulator start`` ask for (speed 1 unless set)."""
    from ..emulator import EmulatorConfig

    try:
        return EmulatorConfig(**{"speed": 1.0, **dict(knobs)})
    except ValueError as exc:
        raise UsageError(f"emulator: {exc}") from None


def pace(speed: float, model: str) -> str:
    """What *speed* means for a wait: how long a default clip of *model* takes at it."""
    from .._view.labels import clock

    spec = CATALOG.get(model) or CATALOG["ltx-2-pro"]
    wait = clock(spec.typical_for({}) / speed)
    clip = f"a {round(spec.seconds({}), 1):g} s {spec.slug} clip takes ~{wait}"
    if speed == 1:
        # The default is the service's own pace: say so, and how to wait less.
        return f"speed 1, the service's own pace: {clip}; speed=10 is ten times quicker"
    return f"speed {speed:g}: {clip}"


class InKernelEmulator:
    """At most one emulator per magic, and the settings it replaced."""

    def __init__(self) -> None:
        self._emulator: Any = None
        self._settings_before: dict[str, Any] | None = None

    def start(self, knobs: Iterable[tuple[str, Any]], *, model: str = "ltx-2-pro") -> None:
        from ..emulator import Emulator

        if self._emulator is not None:
            print(f"the emulator already runs at {self._emulator.base_url}")
            return
        config = emulator_config(knobs)
        settings = get_settings()
        self._settings_before = {
            "base_url": settings.base_url,
            "api_key": settings.api_key.get() if settings.api_key else "",
            "history_url": settings.history_base or "",
        }
        emulator = Emulator(config)
        emulator.start()
        self._emulator = emulator
        # history_url="" derives the history from the emulator's URL: an explicit one
        # would send the emulator's jobs to be looked up on another service.
        configure(base_url=emulator.base_url, api_key="emulator-key", history_url="")
        print(
            f"emulator running at {emulator.base_url} ({pace(config.speed, model)}); "
            "this session uses it until %ltx emulator stop"
        )

    def stop(self) -> None:
        if self._emulator is None:
            print("no emulator is running in this kernel")
            return
        self._emulator.stop()
        self._emulator = None
        if self._settings_before:
            configure(**self._settings_before)
            self._settings_before = None
        print(f"emulator stopped; settings restored (base_url {get_settings().base_url})")

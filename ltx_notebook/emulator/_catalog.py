"""The emulated service's model table: durations, resolutions, typical run times, prices.

This is the service's own copy, not the client's table imported: the emulator
stands in for an independent service, so a schema bug on the client side must
not be hidden by the emulator agreeing with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

__all__ = ["MODELS", "PRICE_PER_SECOND", "RESOLUTIONS", "RESOLUTION_FACTOR", "ModelSpec"]

RESOLUTIONS: Final = ("1080p", "2k", "4k")
# Inference slows with the pixel count, less than linearly (as GPU batches do).
RESOLUTION_FACTOR: Final = {"1080p": 1.0, "2k": 1.45, "4k": 2.6}
# Dollars per second of video, ltx-2-pro; other models scale it by ``price_factor``.
PRICE_PER_SECOND: Final = {"1080p": 0.06, "2k": 0.12, "4k": 0.24}


@dataclass(frozen=True)
class ModelSpec:
    """One model as this emulated service knows it (its own table, not the client's)."""

    slug: str
    durations: tuple[int, ...]
    default_duration: int
    reference_seconds: float  # typical total time at 1080p and the default duration
    price_factor: float = 1.0
    resolutions: tuple[str, ...] = RESOLUTIONS

    def price(self, duration: int, resolution: str) -> float:
        return round(PRICE_PER_SECOND[resolution] * self.price_factor * duration, 4)


MODELS: Final[Mapping[str, ModelSpec]] = {
    "ltx-2-pro": ModelSpec("ltx-2-pro", (6, 8, 10), 6, reference_seconds=70.0),
    "ltx-2-fast": ModelSpec(
        "ltx-2-fast", (6, 8, 10), 8, reference_seconds=47.0, price_factor=2 / 3
    ),
}

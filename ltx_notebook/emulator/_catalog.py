"""The emulated service's model table: each model's fields, output, run time and price.

This is the service's own copy, not the client's catalog imported: the emulator
stands in for an independent service, so a schema bug on the client side must
not be hidden by the emulator agreeing with it. It is written in the service's
terms (fields with an ``enum`` or ``low``/``high``, and a function per model
family saying what clip comes out), and knows a few fields the client's
catalog does not (``seed`` on Veo 3.1 Lite, ``skip_moderation`` on Seedance),
as a real service would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = [
    "MODELS",
    "PRICE_PER_SECOND",
    "RESOLUTIONS",
    "RESOLUTION_FACTOR",
    "Clip",
    "Field",
    "ModelSpec",
]

RESOLUTIONS: Final = ("1080p", "2k", "4k")
# Inference slows with the pixel count, less than linearly (as GPU batches do).
RESOLUTION_FACTOR: Final = {"1080p": 1.0, "2k": 1.45, "4k": 2.6}
# Dollars per second of video, ltx-2-pro; ltx-2-fast bills 1.25x less... see _ltx2.
PRICE_PER_SECOND: Final = {"1080p": 0.06, "2k": 0.12, "4k": 0.24}
_LTX_FRAMES: Final = {"1080p": (1920, 1080), "2k": (2560, 1440), "4k": (3840, 2160)}
_SHORT_SIDE: Final = {"480p": 480, "720p": 720, "1080p": 1080}
_RATIOS: Final = ("16:9", "4:3", "1:1", "3:4", "9:16")
_SEED_MAX: Final = 2**32 - 1


@dataclass(frozen=True)
class Field:
    """One request field: its JSON type, default (filled in when absent) and bounds."""

    type: str  # "string", "integer", "number", "boolean", "uri", "image"
    default: Any = None
    required: bool = False
    enum: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Clip:
    """What a run produces: frame size, length, frame rate, audio; its label for history."""

    width: int
    height: int
    frames: int
    fps: int
    audio: bool
    label: str

    @property
    def seconds(self) -> float:
        return self.frames / self.fps


@dataclass(frozen=True)
class ModelSpec:
    """One model as this emulated service knows it (its own table, not the client's)."""

    slug: str
    fields: Mapping[str, Field]
    reference_seconds: float  # typical total time with the defaults, queue included
    clip: Callable[[Mapping[str, Any]], Clip]
    cost: Callable[[Mapping[str, Any], Clip], float]
    reference: Mapping[str, Any] = field(default_factory=dict)

    @property
    def image_fields(self) -> tuple[str, ...]:
        return tuple(name for name, f in self.fields.items() if f.type == "image")

    def reference_clip(self) -> Clip:
        defaults = {k: f.default for k, f in self.fields.items() if f.default is not None}
        return self.clip({**defaults, **self.reference})


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def _turn(short: int, ratio: str) -> tuple[int, int]:
    across, down = (int(x) for x in ratio.split(":"))
    if across >= down:
        return _even(short * across / down), short
    return short, _even(short * down / across)


# -- LTX-2 ------------------------------------------------------------------------------
def _ltx2_clip(fps: int) -> Callable[[Mapping[str, Any]], Clip]:
    def clip(p: Mapping[str, Any]) -> Clip:
        width, height = _LTX_FRAMES[p["resolution"]]
        return Clip(width, height, p["duration"] * fps, fps, p["generate_audio"], p["resolution"])

    return clip


def _ltx2(slug: str, default_duration: int, seconds: float, rate: float) -> ModelSpec:
    return ModelSpec(
        slug,
        {
            "prompt": Field("string", required=True),
            "duration": Field("integer", default_duration, enum=(6, 8, 10)),
            "resolution": Field("string", "1080p", enum=RESOLUTIONS),
            "generate_audio": Field("boolean", True),
            "image": Field("image"),
        },
        seconds,
        _ltx2_clip(24),
        lambda p, c: round(PRICE_PER_SECOND[p["resolution"]] * rate * p["duration"], 4),
    )


def _ltx19b_clip(p: Mapping[str, Any]) -> Clip:
    width, height = p["width"], p["height"]
    # The 19B models generate sound with the picture (LTX-2 is an audio-video model).
    return Clip(width, height, p["num_frames"], p["fps"], True, f"{width}x{height}")


def _ltx19b(slug: str, image: bool) -> ModelSpec:
    fields = {
        "prompt": Field("string", required=True),
        "negative_prompt": Field("string"),
        "width": Field("integer", 720 if image else 1280, low=256, high=1280),
        "height": Field("integer", 1280 if image else 768, low=256, high=1280),
        "num_frames": Field("integer", 161, low=1, high=400),
        "fps": Field("integer", 24, low=1, high=30),
        "seed": Field("integer", low=0, high=_SEED_MAX),
        "guidance_scale": Field("number", 4, low=1, high=20),
    }
    if image:
        fields = {"image": Field("image", required=True), **fields}
    price = 0.455 if image else 0.416
    return ModelSpec(slug, fields, 108.89 if image else 100.95, _ltx19b_clip, lambda p, c: price)


# -- Veo 3 ------------------------------------------------------------------------------
def _veo_clip(p: Mapping[str, Any]) -> Clip:
    width, height = _turn(_SHORT_SIDE[p["resolution"]], p["aspect_ratio"])
    fps = p.get("fps", 24)
    return Clip(width, height, p["duration"] * fps, fps, p["generate_audio"], p["resolution"])


def _veo(slug: str, lite: bool) -> ModelSpec:
    fields: dict[str, Field] = {
        "prompt": Field("string", required=True),
        "aspect_ratio": Field("string", "16:9", enum=("16:9", "9:16") if lite else _RATIOS),
        "duration": Field("integer", 8, enum=(4, 6, 8)),
        "generate_audio": Field("boolean", lite),
        "resolution": Field("string", "720p", enum=("720p", "1080p")),
        "seed": Field("integer", low=0, high=_SEED_MAX),
    }
    if lite:
        fields |= {"image": Field("image"), "last_frame": Field("uri")}
    else:
        fields |= {"fps": Field("integer", 24, enum=(24, 30)), "image_url": Field("image")}
    low, high = (0.25, 1.00) if lite else (0.40, 1.20)

    def cost(p: Mapping[str, Any], c: Clip) -> float:
        # The listed band: 4 s silent at the low end, 8 s with sound at the high end.
        place = (float(p["duration"] - 4) / 4 + (1.0 if p["generate_audio"] else 0.0)) / 2
        return round(low + (high - low) * place, 4)

    return ModelSpec(slug, fields, 50.40 if lite else 80.33, _veo_clip, cost)


# -- Kling ------------------------------------------------------------------------------
def _kling_clip(p: Mapping[str, Any]) -> Clip:
    width, height = _turn(720, p["aspect_ratio"])
    return Clip(width, height, p["duration"] * 24, 24, False, f"{width}x{height}")


_KLING16: Final = ModelSpec(
    "kling-1.6-text2video",
    {
        "prompt": Field("string", required=True),
        "negative_prompt": Field("string"),
        "aspect_ratio": Field("string", "16:9", enum=("16:9", "9:16", "1:1")),
        "cfg_scale": Field("number", 0.5, low=0, high=1),
        "duration": Field("integer", 5, enum=(5, 10)),
        "mode": Field("string", "std", enum=("std",)),
    },
    304.08,
    _kling_clip,
    lambda p, c: 0.56 if p["duration"] == 5 else 1.96,
)


# -- Seedance ---------------------------------------------------------------------------
def _seedance_clip(p: Mapping[str, Any]) -> Clip:
    width, height = _turn(_SHORT_SIDE[p["resolution"]], p.get("aspect_ratio", "16:9"))
    return Clip(width, height, p["duration"] * 24, 24, False, p["resolution"])


def _seedance(slug: str, lite: bool) -> ModelSpec:
    fields: dict[str, Field] = {
        "prompt": Field("string", required=True),
        "duration": Field("integer", 5, required=True, enum=(5, 10)),
        "resolution": Field(
            "string",
            "720p",
            required=True,
            enum=("480p", "720p") if lite else ("480p", "720p", "1080p"),
        ),
        "camera_fixed": Field("boolean", False),
        "image_url": Field("image", required=lite),
        "skip_moderation": Field("string", enum=("true", "false")),
    }
    if lite:
        fields |= {"first_frame_url": Field("uri"), "seed": Field("integer", 1, low=1, high=999999)}
    else:
        fields |= {
            "aspect_ratio": Field("string", "16:9", required=True, enum=_RATIOS),
            "seed": Field("integer", low=0, high=_SEED_MAX),
        }

    def cost(p: Mapping[str, Any], c: Clip) -> float:
        if not lite:
            return 0.35
        place = (float(p["duration"] - 5) / 5 + (1.0 if p["resolution"] == "720p" else 0.0)) / 2
        return round(0.091 + (0.450 - 0.091) * place, 4)

    return ModelSpec(slug, fields, 39.62 if lite else 63.58, _seedance_clip, cost)


MODELS: Final[Mapping[str, ModelSpec]] = {
    spec.slug: spec
    for spec in (
        _ltx2("ltx-2-pro", 6, 70.0, 1.0),
        # Listed at "$0.300 - $2.00 per generation": 5/6 of ltx-2-pro's per-second rates.
        _ltx2("ltx-2-fast", 8, 47.0, 5 / 6),
        _ltx19b("ltx-2-19b-t2v", image=False),
        _ltx19b("ltx-2-19b-i2v", image=True),
        _veo("veo-3-fast", lite=False),
        _veo("veo-3.1-lite", lite=True),
        _KLING16,
        _seedance("seedance-pro", lite=False),
        _seedance("seedance-v1-lite-image-to-video", lite=True),
    )
}

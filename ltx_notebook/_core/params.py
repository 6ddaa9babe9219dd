"""Model schemas, validation and cost estimates: bad input stops here.

Everything in this module is pure: no network, no store. A request is only
ever built from a :class:`Params` that passed :func:`validate`, so an invalid
value can never cost credits.
"""

from __future__ import annotations

import mimetypes
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlparse

from .errors import InvalidParams

__all__ = [
    "MAX_IMAGE_BYTES",
    "MAX_WAIT_S",
    "MODELS",
    "PARAM_NAMES",
    "PRICES",
    "ModelSpec",
    "Params",
    "PriceTable",
    "check_timeout",
    "estimate_cost",
    "format_param",
    "image_type",
    "read_image",
    "validate",
]

RESOLUTIONS: Final = ("1080p", "2k", "4k")
FRAME_SIZES: Final = {"1080p": (1920, 1080), "2k": (2560, 1440), "4k": (3840, 2160)}
IMAGE_SUFFIXES: Final = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp")
# Room for a 4k PNG first frame; what is bigger is almost surely not one. Documented in
# docs/magic.md and docs/client.md.
MAX_IMAGE_BYTES: Final = 20 * 2**20
_BMP_HEADERS: Final = frozenset({12, 40, 52, 56, 64, 108, 124})


@dataclass(frozen=True)
class ModelSpec:
    """What a model accepts. ``typical_seconds`` seeds the ETA before any history exists."""

    slug: str
    durations: tuple[int, ...]
    default_duration: int
    resolutions: tuple[str, ...] = RESOLUTIONS
    default_resolution: str = "1080p"
    default_audio: bool = True
    typical_seconds: float = 70.0

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(name for name in PARAM_NAMES if name != "model")


MODELS: Final[Mapping[str, ModelSpec]] = {
    "ltx-2-pro": ModelSpec("ltx-2-pro", durations=(6, 8, 10), default_duration=6),
    "ltx-2-fast": ModelSpec(
        "ltx-2-fast", durations=(6, 8, 10), default_duration=8, typical_seconds=47.0
    ),
}
"""The models ltx-notebook knows, by name: their durations, defaults and typical times."""


@dataclass(frozen=True)
class Params:
    """Validated parameters of one job. ``payload()`` is exactly what is sent.

    Made by :func:`validate`: ``model``, ``prompt``, ``duration`` (seconds),
    ``resolution`` (``1080p``, ``2k``, ``4k``), ``generate_audio``, and
    ``image`` (a URL, or a checked local path uploaded at submit) or None.
    """

    model: str
    prompt: str
    duration: int
    resolution: str
    generate_audio: bool
    image: str | None = None

    @property
    def image_is_local(self) -> bool:
        return self.image is not None and not _is_url(self.image)

    def payload(self, image_url: str | None = None) -> dict[str, Any]:
        """The JSON body of the submit. A local image must be given as its uploaded URL."""
        body: dict[str, Any] = {
            "prompt": self.prompt,
            "duration": self.duration,
            "resolution": self.resolution,
            "generate_audio": self.generate_audio,
        }
        image = image_url or self.image
        if image is not None:
            body["image"] = image
        return body

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in PARAM_NAMES}

    def summary(self) -> str:
        """One line for panels and placeholders."""
        names = ("model", "duration", "resolution", "generate_audio")
        text = " · ".join(format_param(name, getattr(self, name)) for name in names)
        if self.image:
            text += f" · image {Path(self.image).name if self.image_is_local else self.image}"
        return text


# Every column, table, grid axis and label that lists parameters reads this one tuple.
PARAM_NAMES: Final = tuple(f.name for f in fields(Params))
PROMPT_LABEL_CHARS: Final = 48


def format_param(
    name: str | None, value: Any, *, prompt_chars: int | None = PROMPT_LABEL_CHARS
) -> str:
    """A parameter value as a short label: ``6s``, ``1080p``, ``audio``, a clipped prompt.

    *prompt_chars* clips a prompt to that many characters (None: never).
    """
    if value is None:
        return "—"
    if name in ("duration", "video_seconds") and isinstance(value, int | float):
        return f"{value:g}s"
    if isinstance(value, bool):
        if name in ("generate_audio", "has_audio"):
            return "audio" if value else "no audio"
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value)
    if name == "prompt" and prompt_chars is not None and len(text) > prompt_chars:
        text = text[: prompt_chars - 1].rstrip() + "…"
    return text


def _is_url(value: str) -> bool:
    return urlparse(value).scheme in ("http", "https")


def _choices(values: tuple[Any, ...]) -> str:
    return ", ".join(str(v) for v in values)


def validate(model: str = "ltx-2-pro", **given: Any) -> Params:
    """Check *given* against *model*'s schema and fill in defaults.

    Raises :class:`InvalidParams` naming the parameter and what it accepts.
    """
    spec = MODELS.get(model) if isinstance(model, str) else None
    if spec is None:
        raise InvalidParams(
            f"unknown model {model!r}; known models: {', '.join(MODELS)}", param="model"
        )
    unknown = sorted(set(given) - set(spec.param_names))
    if unknown:
        raise InvalidParams(
            f"unknown parameter {unknown[0]!r} for {model}; "
            f"known parameters: {', '.join(spec.param_names)}",
            param=unknown[0],
        )

    prompt = given.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise InvalidParams("prompt must be a non-empty string", param="prompt")

    duration = given.get("duration")
    if duration is None:
        duration = spec.default_duration
    if isinstance(duration, str) and duration.strip().isdigit():
        duration = int(duration)
    is_int = isinstance(duration, int) and not isinstance(duration, bool)
    if not is_int or duration not in spec.durations:
        raise InvalidParams(
            f"duration must be one of {_choices(spec.durations)} seconds (got {duration!r})",
            param="duration",
        )

    resolution = given.get("resolution")
    if resolution is None:
        resolution = spec.default_resolution
    if isinstance(resolution, str):
        resolution = resolution.strip().lower()
    if resolution not in spec.resolutions:
        raise InvalidParams(
            f"resolution must be one of {_choices(spec.resolutions)} "
            f"(got {given.get('resolution')!r})",
            param="resolution",
        )

    audio = given.get("generate_audio")
    if audio is None:
        audio = spec.default_audio
    if not isinstance(audio, bool):
        raise InvalidParams(
            f"generate_audio must be True or False (got {audio!r})", param="generate_audio"
        )

    image = given.get("image")
    if image is not None:
        image = _check_image(image)

    return Params(model, prompt.strip(), duration, resolution, audio, image)


def _clip(text: str, limit: int = 80) -> str:
    # Messages are one line of at most 300 characters: keep room for the reason.
    return text if len(text) <= limit else f"{text[: limit - 20]}…{text[-19:]}"


def _check_image(image: Any) -> str:
    if isinstance(image, os.PathLike):
        image = os.fspath(image)
    if not isinstance(image, str) or not image.strip():
        raise InvalidParams(
            "image must be an http(s) URL or a path to a local image", param="image"
        )
    text = str(image).strip()
    scheme = urlparse(text).scheme
    if scheme in ("http", "https"):
        return text
    if scheme not in ("", "file") and len(scheme) > 1:  # one letter: a Windows drive
        raise InvalidParams(
            f"image must be an http(s) URL or a local file path (got a {scheme}: URL)",
            param="image",
        )
    given = text.removeprefix("file://")
    target = _resolve(given)
    name = Path(given).name
    kind = mimetypes.guess_type(name)[0] or ""
    if Path(name).suffix.lower() not in IMAGE_SUFFIXES or not kind.startswith("image/"):
        raise InvalidParams(
            f"image must be one of {', '.join(IMAGE_SUFFIXES)} (got {_clip(name)})", param="image"
        )
    read_image(target)
    return str(target)


def _resolve(given: str | os.PathLike[str]) -> Path:
    try:
        return Path(given).expanduser().resolve(strict=True)
    except FileNotFoundError:
        raise InvalidParams(f"image file not found: {_clip(str(given))}", param="image") from None
    except (OSError, RuntimeError, ValueError) as exc:
        # No such user (~nobody), a name too long for the filesystem, a NUL byte, a loop.
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InvalidParams(
            f"image file not found: {_clip(str(given))} ({why})", param="image"
        ) from None


def image_type(head: bytes) -> str | None:
    """The MIME type of a PNG, JPEG, WebP, GIF or BMP from its first 32 bytes, else None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    # "BM" alone would take a text file that starts so; the DIB header's size is telling.
    if head[:2] == b"BM" and int.from_bytes(head[14:18], "little") in _BMP_HEADERS:
        return "image/bmp"
    return None


def read_image(path: str | os.PathLike[str]) -> tuple[str, int]:
    """The MIME type (by its bytes) and size of the local image at *path*, checked.

    Symlinks are followed; the target must be a regular file of at most
    :data:`MAX_IMAGE_BYTES` that starts as a PNG, JPEG, WebP, GIF or BMP does.
    Raises :class:`InvalidParams` otherwise, naming the file. Called by
    ``validate()`` and again by the upload, in case the file changed since.
    """
    target = _resolve(path)
    shown = _clip(str(path))
    try:
        # Non-blocking, then fstat: a FIFO put there since would otherwise hang the open.
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InvalidParams(
            f"image {shown} cannot be read ({exc.strerror or exc})", param="image"
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InvalidParams(f"image {shown} is not a regular file", param="image")
        if info.st_size > MAX_IMAGE_BYTES:
            raise InvalidParams(
                f"image {shown} is {info.st_size / 2**20:.1f} MB, over the "
                f"{MAX_IMAGE_BYTES // 2**20} MB limit: save it smaller (a first frame "
                "needs no more than the video's 3840x2160)",
                param="image",
            )
        mime = image_type(os.read(fd, 32))
    finally:
        os.close(fd)
    if mime is None:
        raise InvalidParams(
            f"image {shown} is not a PNG, JPEG, WebP, GIF or BMP image (by its contents)",
            param="image",
        )
    return mime, info.st_size


# The longest wait anyone may ask for: the service keeps outputs 7 days, and a cap
# keeps every deadline (monotonic() + timeout, a lock's timeout) representable.
MAX_WAIT_S: Final = 7 * 24 * 3600.0


def check_timeout(
    value: Any, name: str = "timeout", *, zero: bool = False, optional: bool = True
) -> float | None:
    """*value* as a number of seconds to wait, or None for no limit.

    Raises :class:`InvalidParams` for anything but a finite number above 0
    (from 0 with *zero*) up to :data:`MAX_WAIT_S`: ``inf``, ``nan`` and
    ``1e309`` are refused, not read as "forever" or "not at all".
    """
    if value is None:
        return None
    number = isinstance(value, int | float) and not isinstance(value, bool)
    # Written so that nan, which compares False with everything, fails every branch.
    if number and (value >= 0 if zero else value > 0) and value <= MAX_WAIT_S:
        return float(value)
    span = "a number of seconds from 0" if zero else "a positive number of seconds"
    none = ", or None for no limit" if optional else ""
    raise InvalidParams(
        f"{name} must be {span} up to {MAX_WAIT_S:.0f} (a week){none} (got {value!r})",
        param="timeout",
    )


@dataclass
class PriceTable:
    """US dollars per second of video, by model and resolution: an estimate, never a bill.

    The figures are published third-party rates; the real charge is read from
    the result's ``metrics.cost`` when the service reports it. Adjust in place:
    ``ltx_notebook.PRICES.per_second["ltx-2-pro"]["4k"] = 0.3``.
    """

    per_second: dict[str, dict[str, float]] = field(
        default_factory=lambda: {
            "ltx-2-pro": {"1080p": 0.06, "2k": 0.12, "4k": 0.24},
            "ltx-2-fast": {"1080p": 0.04, "2k": 0.08, "4k": 0.16},
        }
    )

    def estimate(self, params: Params) -> float:
        rates = self.per_second.get(params.model, self.per_second["ltx-2-pro"])
        return round(rates[params.resolution] * params.duration, 4)


PRICES: Final = PriceTable()
"""The price table behind every estimate (a `PriceTable`): dollars per second, by model."""


def estimate_cost(params: Params) -> float:
    """Estimated cost in US dollars of one run with *params* (see :class:`PriceTable`)."""
    return PRICES.estimate(params)

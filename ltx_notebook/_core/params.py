"""Parameters of one job: validation against the model catalog, defaults, cost estimates.

Everything in this module is pure: no network, no store. A request is only
ever built from a :class:`Params` that passed :func:`validate`, so an invalid
value can never cost credits. What each model takes is data in
:mod:`.catalog`; the checks here read it and never ask which model it is.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from .catalog import CATALOG, Model, Param
from .errors import InvalidParams
from .images import MAX_IMAGE_BYTES, check_image, clip, image_type, is_url, read_image

__all__ = [
    "MAX_IMAGE_BYTES",
    "MAX_WAIT_S",
    "MODELS",
    "PARAM_NAMES",
    "PRICES",
    "Params",
    "PriceTable",
    "check_timeout",
    "estimate_cost",
    "format_param",
    "image_type",
    "read_image",
    "validate",
    "with_defaults",
]

# The LTX-2 labels, in size order (views sort resolutions by this, others after).
RESOLUTIONS: Final = ("1080p", "2k", "4k")

MODELS: Final[Mapping[str, Model]] = CATALOG

Pairs = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Params:
    """Validated parameters of one job. ``payload()`` is exactly what is sent.

    ``settings`` holds the values of the model's catalog params (defaults filled
    in), ``extra`` those the catalog does not know, sent unchecked. ``duration``
    (seconds), ``resolution`` (a label), ``generate_audio`` and ``image`` are
    what every model has in common, derived through the catalog: the store's
    columns and the views' axes.
    """

    model: str
    prompt: str
    settings: Pairs = ()
    extra: Pairs = ()

    @property
    def spec(self) -> Model | None:
        return CATALOG.get(self.model)

    @property
    def values(self) -> dict[str, Any]:
        """The catalog params' values, as sent (the prompt apart)."""
        return dict(self.settings)

    @property
    def extras(self) -> dict[str, Any]:
        """The params the catalog does not know, sent unchecked (``--param``)."""
        return dict(self.extra)

    @property
    def seconds(self) -> float:
        spec = self.spec
        if spec is None:
            return float(self.values.get("duration") or 0)
        return spec.seconds(self.values)

    @property
    def duration(self) -> int:
        """The clip's length in whole seconds (num_frames / fps where the model counts frames)."""
        return max(1, round(self.seconds))

    @property
    def resolution(self) -> str:
        spec = self.spec
        if spec is None:
            return str(self.values.get("resolution", ""))
        return spec.resolution_label(self.values)

    @property
    def frame_size(self) -> tuple[int, int] | None:
        spec = self.spec
        return spec.frame_size(self.values) if spec is not None else None

    @property
    def generate_audio(self) -> bool:
        spec = self.spec
        if spec is None:
            return bool(self.values.get("generate_audio"))
        return spec.has_audio(self.values)

    @property
    def image_param(self) -> str | None:
        spec = self.spec
        return spec.image_param if spec is not None else None

    @property
    def image(self) -> str | None:
        name = self.image_param
        value = self.values.get(name) if name else None
        return value if isinstance(value, str) else None

    @property
    def seed(self) -> int | None:
        value = self.values.get("seed", self.extras.get("seed"))
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def image_is_local(self) -> bool:
        return self.image is not None and not is_url(self.image)

    def payload(self, image_url: str | None = None) -> dict[str, Any]:
        """The JSON body of the submit. A local image must be given as its uploaded URL."""
        body: dict[str, Any] = {"prompt": self.prompt, **self.values, **self.extras}
        name = self.image_param
        if image_url is not None and name is not None:
            body[name] = image_url
        return body

    def as_dict(self) -> dict[str, Any]:
        """The common params, one per store column (see :data:`PARAM_NAMES`)."""
        return {name: getattr(self, name) for name in PARAM_NAMES}

    def all_values(self) -> dict[str, Any]:
        """Every param of the job: the common ones, then the model's own, then the unchecked."""
        return {**self.as_dict(), **self.values, **self.extras}

    @classmethod
    def from_payload(
        cls, model: str, payload: Mapping[str, Any], *, image: str | None = None
    ) -> Params:
        """The params of a recorded job from the body that was sent (not re-validated).

        *image* is the local path the job was given, which the body holds as its
        uploaded URL.
        """
        spec = CATALOG.get(model)
        known = set(spec.names) if spec is not None else set()
        body = {k: v for k, v in payload.items() if k != "prompt"}
        name = spec.image_param if spec is not None else None
        if image is not None and name is not None:
            body[name] = image
        # The store keeps the body with sorted keys: catalog order, then names, as validate() has.
        order = spec.names if spec is not None else ()
        settings = tuple((k, body[k]) for k in order if k in body)
        extra = tuple(sorted((k, v) for k, v in body.items() if k not in known))
        return cls(model, str(payload.get("prompt", "")), settings, extra)

    def summary(self) -> str:
        """One line for panels and placeholders."""
        names = ("model", "duration", "resolution", "generate_audio")
        text = " · ".join(format_param(name, getattr(self, name)) for name in names)
        shown = {"duration", "resolution", "generate_audio", self.image_param}
        for key, value in {**self.values, **self.extras}.items():
            if key not in shown and key in _SUMMARY_EXTRAS:
                text += f" · {key} {format_param(key, value)}"
        if self.image:
            text += f" · image {Path(self.image).name if self.image_is_local else self.image}"
        return text


# Every column, table, grid axis and label that lists the common parameters reads this.
PARAM_NAMES: Final = ("model", "prompt", "duration", "resolution", "generate_audio", "image")
PROMPT_LABEL_CHARS: Final = 48
# Model-specific values worth a place in a one-line summary (a seed makes a clip repeatable).
_SUMMARY_EXTRAS: Final = frozenset({"seed", "fps", "num_frames", "aspect_ratio"})


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


def _choices(values: tuple[Any, ...]) -> str:
    return ", ".join(str(v) for v in values)


def validate(
    model: str = "ltx-2-pro", *, extra: Mapping[str, Any] | None = None, **given: Any
) -> Params:
    """Check *given* against *model*'s catalog entry and fill in its defaults.

    A ``None`` value means "not given". *extra* holds params the catalog does
    not know, sent as given (checked only to be JSON). Raises
    :class:`InvalidParams` naming the parameter and what it accepts.
    """
    spec = CATALOG.get(model) if isinstance(model, str) else None
    if spec is None:
        raise InvalidParams(
            f"unknown model {model!r}; known models: {', '.join(CATALOG)}", param="model"
        )
    names = [n for n in spec.names if n != "prompt"]
    unknown = sorted(k for k, v in given.items() if k not in spec.names and v is not None)
    if unknown:
        raise InvalidParams(
            f"unknown parameter {unknown[0]!r} for {model}; "
            f"known parameters: {', '.join(names)} (send others with extra=/--param)",
            param=unknown[0],
        )

    prompt = given.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise InvalidParams("prompt must be a non-empty string", param="prompt")

    settings: list[tuple[str, Any]] = []
    for p in spec.params:
        if p.name == "prompt":
            continue
        value = given.get(p.name)
        if value is None:
            value = p.default
        if value is None:
            if p.required:
                raise InvalidParams(f"{p.name} is required by {model}", param=p.name)
            continue
        settings.append((p.name, check_value(p, value)))
    return Params(model, prompt.strip(), tuple(settings), _check_extra(spec, extra))


def with_defaults(
    models: Iterable[str], values: Mapping[str, Any], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """*values*, then each default that is set and that one of *models* takes.

    One model, or several (a sweep across models, where each value then applies
    to the models that take it): a default never lands on a model that would
    refuse it, and never replaces a value given.
    """
    specs = [CATALOG[m] for m in models if m in CATALOG]
    out = dict(values)
    for name, value in defaults.items():
        if value is not None and name not in out and any(name in s.names for s in specs):
            out[name] = value
    return out


def check_value(p: Param, value: Any) -> Any:
    """*value* for the catalog param *p*, normalised; or :class:`InvalidParams` saying why."""
    if p.type == "image":
        try:
            return check_image(value)
        except InvalidParams as exc:
            if p.name == "image":
                raise
            raise InvalidParams(str(exc).replace("image", p.name, 1), param=p.name) from None
    if p.type == "uri":
        if isinstance(value, str) and is_url(value.strip()):
            return value.strip()
        raise InvalidParams(f"{p.name} must be an http(s) URL (got {_short(value)})", param=p.name)
    if p.type == "boolean":
        if isinstance(value, bool):
            return value
        raise InvalidParams(f"{p.name} must be True or False (got {_short(value)})", param=p.name)
    if p.type == "string":
        return _check_string(p, value)
    number = _integer(value) if p.type == "integer" else _number(value)
    if number is None or not _in_range(p, number):
        raise InvalidParams(f"{p.name} must be {_accepts(p)} (got {_short(value)})", param=p.name)
    return number


def _check_string(p: Param, value: Any) -> str:
    text = value.strip() if isinstance(value, str) else None
    if p.choices is None:
        if text:
            return text
        raise InvalidParams(
            f"{p.name} must be a non-empty string (got {_short(value)})", param=p.name
        )
    for choice in p.choices:
        if text is not None and text.lower() == str(choice).lower():
            return str(choice)
    raise InvalidParams(f"{p.name} must be {_accepts(p)} (got {_short(value)})", param=p.name)


def _integer(value: Any) -> int | None:
    # Text of digits is taken (the magic's options are text); 6.0 and True are not whole numbers.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and value.strip().isascii():
        return int(value.strip())
    return None


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
        if value.is_integer():
            value = int(value)
    if isinstance(value, int | float) and math.isfinite(value):
        return value
    return None


def _in_range(p: Param, value: float) -> bool:
    if p.choices is not None:
        return value in p.choices
    low = -math.inf if p.minimum is None else p.minimum
    high = math.inf if p.maximum is None else p.maximum
    return low <= value <= high


def _accepts(p: Param) -> str:
    unit = {"s": " seconds", "px": " pixels"}.get(p.unit, "")
    if p.choices is not None:
        return f"one of {_choices(p.choices)}{unit}"
    whole = "a whole number" if p.type == "integer" else "a number"
    if p.minimum is None and p.maximum is None:
        return whole
    if p.maximum is None:
        return f"{whole} from {p.minimum:g}{unit}"
    if p.minimum is None:
        return f"{whole} up to {p.maximum:g}{unit}"
    return f"{whole} from {p.minimum:g} to {p.maximum:g}{unit}"


def _short(value: Any) -> str:
    return clip(repr(value), 60)


def _check_extra(spec: Model, extra: Mapping[str, Any] | None) -> Pairs:
    if extra is None:
        return ()
    if not isinstance(extra, Mapping):
        raise InvalidParams("extra must be a dict of parameter names to values", param="extra")
    out = []
    for name, value in extra.items():
        if not isinstance(name, str) or not name.strip() or name != name.strip():
            raise InvalidParams(
                f"extra parameter names must be plain text (got {name!r})", param="extra"
            )
        if name == "prompt" or name in spec.names:
            raise InvalidParams(
                f"{name!r} is a known parameter of {spec.slug}: give it as {name}=..., not in "
                "extra (which sends a parameter the catalog does not know, unchecked)",
                param=name,
            )
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            raise InvalidParams(
                f"extra parameter {name!r} must be a JSON value (got {_short(value)})", param=name
            ) from None
        out.append((name, value))
    return tuple(sorted(out, key=lambda pair: pair[0]))


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

    Filled from the catalog's per-second models (the rest are priced by their
    catalog rule); the real charge is read from the result's ``metrics.cost``
    when the service reports it. Adjust in place:
    ``ltx_notebook.PRICES.per_second["ltx-2-pro"]["4k"] = 0.3``.
    """

    per_second: dict[str, dict[str, float]] = field(
        default_factory=lambda: {
            slug: dict(model.price.per_second)
            for slug, model in CATALOG.items()
            if model.price.rule == "per_second"
        }
    )

    def estimate(self, params: Params) -> float:
        spec = params.spec
        if spec is None:
            return 0.0
        return spec.estimate(params.values, self.per_second.get(params.model))


PRICES: Final = PriceTable()
"""The price table behind every estimate (a `PriceTable`): dollars per second, by model."""


def estimate_cost(params: Params) -> float:
    """Estimated cost in US dollars of one run with *params* (see :class:`PriceTable`)."""
    return PRICES.estimate(params)

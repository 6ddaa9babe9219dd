"""The shape of a catalog entry: a model's parameters, its output, its time and its price.

Plain frozen data plus the few rules every model shares (how a frame size, a
length in seconds and an audio track follow from the values sent), so the code
path reads the entry and never asks which model it is. Each fact carries how
sure it is: ``seen`` on Segmind's page, ``reported`` by another source, or
``unknown`` (a guess the catalog had to make, said so wherever it is shown).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

__all__ = [
    "CERTAINTIES",
    "KINDS",
    "TYPES",
    "Certainty",
    "Model",
    "Output",
    "Param",
    "Price",
]

Certainty = Literal["seen", "reported", "unknown"]
CERTAINTIES: Final = ("seen", "reported", "unknown")
# "image" takes an http(s) URL or a local file (uploaded before the submit); "uri" a URL only.
TYPES: Final = ("string", "integer", "number", "boolean", "image", "uri")
KINDS: Final = ("text-to-video", "image-to-video")


@dataclass(frozen=True)
class Param:
    """One parameter a model takes, as the catalog knows it.

    ``default`` is sent when the caller gives nothing (so every payload says what
    it asked for); None means the default is not known and nothing is sent.
    ``assumed`` is the value the catalog reckons the service then uses, for the
    frame size, length and price only: never sent. ``guessed`` names the facts of
    this row that are guesses (``default``, ``range``, ``type``).
    """

    name: str
    type: str
    help: str
    required: bool = False
    default: Any = None
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    certainty: Certainty = "seen"
    guessed: tuple[str, ...] = ()
    assumed: Any = None

    @property
    def option(self) -> str:
        """The magic's spelling: ``--num-frames``."""
        return "--" + self.name.replace("_", "-")

    @property
    def effective(self) -> Any:
        """What the service is taken to use when this is not sent."""
        return self.default if self.default is not None else self.assumed

    def allowed(self) -> str:
        """What it accepts, in words: ``6, 8, 10``, ``1–30``, ``any``."""
        if self.choices is not None:
            return ", ".join(_show(c) for c in self.choices)
        if self.minimum is not None or self.maximum is not None:
            low = "" if self.minimum is None else _show(self.minimum)
            high = "" if self.maximum is None else _show(self.maximum)
            return f"{low}–{high}"
        return {"boolean": "true, false", "image": "URL or local file", "uri": "URL"}.get(
            self.type, "any"
        )


@dataclass(frozen=True)
class Output:
    """How the clip's frame size, length, frame rate and audio follow from the values.

    Frame size: ``width``/``height`` params when the model takes them; else the
    landscape size of the ``resolution`` param's value (``sizes``), or ``size``,
    turned to the ``aspect`` param's ratio, short side kept. Length: the
    ``seconds`` param, or ``frames`` / ``fps``. Audio: the ``audio`` param, else
    ``has_audio``.
    """

    size: tuple[int, int] = (1920, 1080)
    sizes: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    resolution: str | None = None
    aspect: str | None = None
    width: str | None = None
    height: str | None = None
    seconds: str | None = None
    frames: str | None = None
    fps: str | int = 24
    audio: str | None = None
    has_audio: bool = False
    certainty: Certainty = "reported"


@dataclass(frozen=True)
class Price:
    """How a run's price is estimated: never a bill (``metrics.cost`` is).

    ``per_second``: dollars per second of video by resolution label.
    ``per_generation``: one figure. ``range``: the listed low and high, the
    estimate placed between them by where the ``by`` params sit in their ranges
    (the shortest, smallest, silent run at the low end).
    """

    rule: Literal["per_second", "per_generation", "range"]
    per_second: Mapping[str, float] = field(default_factory=dict)
    amount: float = 0.0
    low: float = 0.0
    high: float = 0.0
    by: tuple[str, ...] = ()
    listed: str = ""
    certainty: Certainty = "seen"

    def describe(self) -> str:
        if self.rule == "per_second":
            rates = ", ".join(f"{k} {_usd(v)}" for k, v in self.per_second.items())
            return f"per second: {rates}"
        if self.rule == "per_generation":
            return f"~{_usd(self.amount)} a generation"
        return f"{_usd(self.low)}–{_usd(self.high)} a generation (by {', '.join(self.by)})"


def _usd(amount: float) -> str:
    # Cents as people write them ($0.10, $1.20); a listed price finer than a cent kept whole.
    return f"${amount:.2f}" if round(amount, 2) == amount else f"${amount:g}"


@dataclass(frozen=True)
class Model:
    """One model on Segmind's ``/v2/{slug}``: everything the client knows of it."""

    slug: str
    family: str
    kind: str
    title: str
    url: str
    params: tuple[Param, ...]
    output: Output
    typical_seconds: float
    price: Price
    seconds_certainty: Certainty = "seen"
    # False where the page's parameter list was cut off: more may exist (see --param).
    complete: bool = False
    notes: str = ""

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name:
                return p
        return None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @property
    def image_param(self) -> str | None:
        """The param that takes a local image (uploaded first), if any."""
        return next((p.name for p in self.params if p.type == "image"), None)

    def _value(self, values: Mapping[str, Any], name: str | None) -> Any:
        if name is None:
            return None
        if values.get(name) is not None:
            return values[name]
        p = self.param(name)
        return p.effective if p is not None else None

    # -- what the output will be --------------------------------------------------------
    def frame_size(self, values: Mapping[str, Any]) -> tuple[int, int]:
        out = self.output
        width, height = self._value(values, out.width), self._value(values, out.height)
        if isinstance(width, int) and isinstance(height, int):
            return width, height
        label = self._value(values, out.resolution)
        base = out.sizes.get(str(label).lower(), out.size) if label is not None else out.size
        ratio = self._value(values, out.aspect)
        if not isinstance(ratio, str) or ":" not in ratio:
            return base
        a, _, b = ratio.partition(":")
        try:
            across, down = float(a), float(b)
        except ValueError:
            return base
        if across <= 0 or down <= 0:
            return base
        short = min(base)
        if across >= down:
            return _even(short * across / down), short
        return short, _even(short * down / across)

    def fps(self, values: Mapping[str, Any]) -> float:
        rate = self.output.fps
        if isinstance(rate, str):
            rate = self._value(values, rate) or 24
        return float(rate)

    def seconds(self, values: Mapping[str, Any]) -> float:
        out = self.output
        given = self._value(values, out.seconds)
        if isinstance(given, int | float) and not isinstance(given, bool):
            return float(given)
        frames = self._value(values, out.frames)
        if isinstance(frames, int | float) and not isinstance(frames, bool):
            return float(frames) / max(self.fps(values), 1.0)
        return 5.0

    def has_audio(self, values: Mapping[str, Any]) -> bool:
        audio = self._value(values, self.output.audio)
        return bool(audio) if audio is not None else self.output.has_audio

    def resolution_label(self, values: Mapping[str, Any]) -> str:
        """``1080p`` where the model takes a resolution; else the frame size, ``720x1280``."""
        label = self._value(values, self.output.resolution)
        if label is not None:
            return str(label).lower()
        width, height = self.frame_size(values)
        return f"{width}x{height}"

    def typical_for(self, values: Mapping[str, Any]) -> float:
        """The ETA before any history: the typical time, scaled by the clip's length
        against the length at the defaults (a 400-frame run is not a 161-frame one)."""
        usual = self.seconds({})
        return self.typical_seconds * (self.seconds(values) / usual if usual > 0 else 1.0)

    # -- what it will cost ------------------------------------------------------------
    def estimate(
        self, values: Mapping[str, Any], per_second: Mapping[str, float] | None = None
    ) -> float:
        price = self.price
        if price.rule == "per_second":
            rates = per_second if per_second is not None else price.per_second
            label = self.resolution_label(values)
            rate = rates.get(label, max(rates.values(), default=0.0))
            return round(rate * self.seconds(values), 4)
        if price.rule == "per_generation":
            return price.amount
        spots = [self._place(name, values) for name in price.by]
        place = sum(spots) / len(spots) if spots else 0.5
        return round(price.low + (price.high - price.low) * place, 4)

    def _place(self, name: str, values: Mapping[str, Any]) -> float:
        # Where the value sits in its param's range, 0 (cheapest) to 1.
        value = self._value(values, name)
        p = self.param(name)
        if p is None or value is None:
            return 0.5
        if p.type == "boolean":
            return 1.0 if value else 0.0
        if p.choices and value in p.choices and len(p.choices) > 1:
            return p.choices.index(value) / (len(p.choices) - 1)
        if isinstance(value, int | float) and p.minimum is not None and p.maximum is not None:
            span = p.maximum - p.minimum
            return min(max((value - p.minimum) / span, 0.0), 1.0) if span else 0.5
        return 0.5


def _even(value: float) -> int:
    # H.264 in yuv420p wants even sides; services round the same way.
    return max(2, round(value / 2) * 2)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

"""The ``%%ltx`` options that come from the model catalog: one per model parameter.

Every parameter some model takes is an option (``--seed``, ``--num-frames``), parsed as
text and read into the catalog's type; which options a model takes is checked here,
before anything is sent, with a one-line ``UsageError`` that names the ones it does take.
They are hidden from ``%%ltx?``, which stays the general options and a pointer to
``%ltx models SLUG``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument

from .._core.catalog import CATALOG, Model, all_params
from .._core.errors import InvalidParams
from .cell import coerce, parse_param

__all__ = [
    "CATALOG_OPTIONS",
    "catalog_options",
    "extra_params",
    "given_values",
    "options_taken",
    "taken_values",
]

F = TypeVar("F", bound=Callable[..., Any])

# Spelled by the magic's own general options (-d, -r, --audio, -i) rather than generated.
_GENERAL: Final = {
    "duration": "-d/--duration",
    "resolution": "-r/--resolution",
    "generate_audio": "--audio/--no-audio",
}
# Every other param of the catalog: its option's dest is the param's name.
CATALOG_OPTIONS: Final = tuple(
    name for name in all_params() if name not in _GENERAL and name != "image"
)


def catalog_options(func: F) -> F:
    """Add one hidden ``--name`` option per catalog param (magic_arguments' decorator)."""
    for name in reversed(CATALOG_OPTIONS):
        p = all_params()[name]
        func = argument(p.option, dest=name, metavar="VALUE", help=argparse.SUPPRESS)(func)
    return func


def option_of(model: Model, name: str) -> str:
    if name in _GENERAL:
        return _GENERAL[name]
    if name == model.image_param:
        return "-i/--image"
    p = model.param(name)
    return p.option if p is not None else f"--{name}"


def options_taken(model: Model) -> str:
    """The options *model* takes, for a message: ``-d/--duration, --seed, ...``."""
    return ", ".join(option_of(model, n) for n in model.names if n != "prompt")


def given_values(args: argparse.Namespace) -> dict[str, Any]:
    """The model options given on the line, read into the catalog's types."""
    out: dict[str, Any] = {}
    if args.duration is not None:
        out["duration"] = args.duration
    if args.resolution is not None:
        out["resolution"] = args.resolution
    if args.audio is not None:
        out["generate_audio"] = args.audio
    for name in CATALOG_OPTIONS:
        text = getattr(args, name, None)
        if text is not None:
            out[name] = coerce(name, text)
    return out


def taken_values(model_slug: str, given: Mapping[str, Any], image: str | None) -> dict[str, Any]:
    """The line's values for *model_slug*, the image under the model's own image param.

    An option the model does not take is a UsageError naming the ones it does
    (the ``%config`` defaults are :func:`~.._core.params.with_defaults`'s).
    """
    model = CATALOG.get(model_slug)
    if model is None:
        # validate() words the unknown-model error; nothing model-specific to add here.
        return dict(given)
    for name in given:
        if name not in model.names:
            shown = _GENERAL.get(name) or all_params()[name].option
            raise UsageError(
                f"{model.slug} does not take {shown}; it takes: {options_taken(model)} "
                f"(see %ltx models {model.slug})"
            )
    values = dict(given)
    if image is not None:
        if model.image_param is None:
            raise UsageError(f"{model.slug} takes no image; it takes: {options_taken(model)}")
        values[model.image_param] = image
    return values


def extra_params(options: list[str] | None) -> dict[str, Any] | None:
    """``--param NAME=VALUE`` options as the ``extra`` dict (None when there are none)."""
    if not options:
        return None
    out: dict[str, Any] = {}
    for option in options:
        try:
            name, value = parse_param(option)
        except InvalidParams as exc:
            raise UsageError(str(exc)) from None
        out[name] = value
    return out

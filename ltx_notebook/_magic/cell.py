"""Reading a ``%%ltx`` cell: prompt variants in the body, ``--sweep`` grammar on the line.

Text in, plain values out; checking those values is the params layer's job,
so a value parsed here is only ever sent after it passed validation.
"""

from __future__ import annotations

import argparse
import json
import string
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import parse_argstring

from .._core.catalog import param_type
from .._core.errors import InvalidParams
from .._jobs.sweeps.plan import SWEEPABLE

__all__ = ["coerce", "fill_vars", "parse_grid", "parse_param", "read_line", "split_prompts"]


def split_prompts(text: str) -> list[str]:
    """Prompt variants of a cell: blocks separated by lines holding only ``---``.

    Blank blocks are dropped; each prompt is stripped (inner newlines kept).
    """
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip() == "---":
            blocks.append([])
        else:
            blocks[-1].append(line)
    return [p for p in ("\n".join(b).strip() for b in blocks) if p]


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def coerce(key: str, text: str) -> Any:
    """A magic option's text as the catalog's type for *key* (the checking comes later)."""
    text = text.strip()
    kind = param_type(key)
    if kind == "boolean":
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
    if kind == "integer" and text.lstrip("-").isdigit() and text.isascii():
        return int(text)
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() else number
    return text


def parse_param(option: str) -> tuple[str, Any]:
    """``--param NAME=VALUE``: a param the catalog does not know; VALUE read as JSON if it
    is JSON (``7``, ``true``, ``[1, 2]``), else as text."""
    name, sep, text = option.partition("=")
    name = name.strip()
    if not sep or not name:
        raise InvalidParams(f"--param takes NAME=VALUE (got {option!r})", param=name or None)
    try:
        return name, json.loads(text)
    except ValueError:
        return name, text


def parse_grid(options: Iterable[str]) -> dict[str, list[Any]]:
    """``["duration=6,8,10", "resolution=1080p,4k"]`` → ``{"duration": [6, 8, 10], ...}``.

    What the magic's repeated ``--sweep k=v1,v2`` options become. A key given
    twice has its values appended. Raises :class:`InvalidParams` on a malformed
    option; values are validated later, with the rest of the plan.
    """
    grid: dict[str, list[Any]] = {}
    for option in options:
        key, sep, values = option.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise InvalidParams(
                f"--sweep takes name=value1,value2 (got {option!r})", param=key or None
            )
        if key not in SWEEPABLE:
            raise InvalidParams(
                f"cannot sweep {key!r}; sweepable: {', '.join(SWEEPABLE)}", param=key
            )
        items = [v for v in values.split(",") if v.strip()]
        if not items:
            raise InvalidParams(f"--sweep {key}= has no values", param=key)
        grid.setdefault(key, []).extend(coerce(key, v) for v in items)
    return grid


def read_line(magic: Callable[..., Any], line: str) -> argparse.Namespace:
    """The magic *line* parsed by *magic*'s arguments; a line that cannot be split is a
    UsageError (it is split like a shell's, so an unclosed quote is shlex's ValueError)."""
    try:
        args: argparse.Namespace = parse_argstring(magic, line)
        return args
    except ValueError as exc:
        raise UsageError(
            f"cannot read the magic line: {exc}; check its quotes and backslashes"
        ) from None


def fill_vars(prompt: str, namespace: Mapping[str, Any]) -> str:
    """``--vars``: *prompt* with its ``{name}`` fields filled from the notebook's variables."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(prompt) if name]
    except ValueError as exc:  # unbalanced braces
        raise UsageError(f"--vars: cannot read the prompt's {{names}}: {exc}") from None
    missing = [n for n in names if n.split(".")[0].split("[")[0] not in namespace]
    if missing:
        raise UsageError(f"--vars: no variable named {missing[0]!r} in the notebook")
    try:
        return prompt.format_map(namespace)
    except Exception as exc:  # the notebook's own objects format themselves: anything goes
        raise UsageError(f"--vars: cannot fill the prompt: {type(exc).__name__}: {exc}") from None

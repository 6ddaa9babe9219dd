"""Which parameters tell a set of jobs apart, read from the payloads they sent.

The review tables show only the parameters that differ between their rows
(the rest once, above them). They are found in each job's stored payload,
whatever keys it has, not from a fixed list, so a model with parameters of
its own shows them with no change here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlsplit

from .._core.params import PARAM_NAMES, format_param

__all__ = ["param_text", "payload_of", "split_params"]

VALUE_CHARS: Final = 60


def payload_of(params_json: str | None, model: str | None = None) -> dict[str, Any]:
    """A stored payload as a dict (``{}`` if unreadable), with the model beside it."""
    try:
        body = json.loads(params_json) if params_json else {}
    except ValueError:
        body = {}
    out = dict(body) if isinstance(body, dict) else {}
    if model is not None:
        out.setdefault("model", model)
    return out


def _key(value: Any) -> str:
    # Lists and dicts are unhashable; their JSON text compares them.
    return json.dumps(value, sort_keys=True, default=str)


def _order(names: Iterable[str]) -> list[str]:
    known = {name: i for i, name in enumerate(PARAM_NAMES)}
    seen = list(dict.fromkeys(names))
    # The prompt is long: after every short parameter.
    return sorted(
        seen,
        key=lambda n: (n == "prompt", known.get(n, len(known)), seen.index(n)),
    )


def split_params(payloads: Sequence[Mapping[str, Any]]) -> tuple[list[str], dict[str, Any]]:
    """The names whose values differ between *payloads*, and the values all share.

    A key missing from some payloads differs from one that has it. The model
    counts as a parameter (``payload_of`` puts it in).
    """
    names = _order(k for p in payloads for k in p)
    varying: list[str] = []
    shared: dict[str, Any] = {}
    for name in names:
        values = {_key(p.get(name)) for p in payloads}
        if len(values) > 1:
            varying.append(name)
        elif payloads:
            shared[name] = payloads[0].get(name)
    return varying, shared


def param_text(name: str, value: Any, limit: int = VALUE_CHARS) -> str:
    """A payload value as a short label: ``6s``, ``1080p``, an image's file name, clipped."""
    if isinstance(value, str) and value.startswith("data:"):
        return "inline image"
    if isinstance(value, str) and urlsplit(value).scheme in ("http", "https"):
        value = urlsplit(value).path.rsplit("/", 1)[-1] or value
    if isinstance(value, dict | list):
        value = _key(value)
    text = format_param(name, value, prompt_chars=None)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

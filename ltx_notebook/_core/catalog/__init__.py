"""The model catalog: every model the client can send to, as data.

Validation, defaults, dry runs, cost estimates, sweep planning, the ETA prior,
the magic's options and docs/models.md all read :data:`CATALOG`; no code path
asks which model it is. See :mod:`.schema` for an entry's shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from .ltx import LTX_MODELS
from .others import OTHER_MODELS
from .schema import CERTAINTIES, KINDS, TYPES, Certainty, Model, Output, Param, Price

__all__ = [
    "CATALOG",
    "CERTAINTIES",
    "KINDS",
    "TYPES",
    "Certainty",
    "Model",
    "Output",
    "Param",
    "Price",
    "all_params",
    "param_type",
]

CATALOG: Final[Mapping[str, Model]] = MappingProxyType(
    {m.slug: m for m in (*LTX_MODELS, *OTHER_MODELS)}
)


def all_params() -> dict[str, Param]:
    """Every parameter name any model takes (besides the prompt), first declaration wins.

    A name means one thing across models (a test checks their types agree), so
    the magic can read ``--seed 7`` before it knows which models will take it.
    """
    out: dict[str, Param] = {}
    for model in CATALOG.values():
        for p in model.params:
            if p.name != "prompt":
                out.setdefault(p.name, p)
    return out


def param_type(name: str) -> str | None:
    p = all_params().get(name)
    return p.type if p is not None else None

"""A sweep's plan: prompts times a grid of parameters, every combination validated.

Pure: nothing here sends, stores or waits, so a plan can be shown (``--dry-run``),
priced and refused at the confirmation gate before anything costs credits.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ..._core.catalog import CATALOG, all_params
from ..._core.errors import InvalidParams
from ..._core.params import PARAM_NAMES, Params, format_param, validate

__all__ = ["SWEEPABLE", "SWEEP_MAX_JOBS", "Refused", "plan_grid", "plan_sweep", "varied_params"]

# The common params, then every other param some catalog model takes.
SWEEPABLE: Final = (*PARAM_NAMES, *(n for n in all_params() if n not in PARAM_NAMES))
# A grid this large is almost surely a typo; it would also take minutes just to validate.
SWEEP_MAX_JOBS: Final = 1000
# plan_sweep() takes a parameter named zip (the public spelling); keep the builtin.
builtin_zip = zip


def _axis(key: str, value: Any) -> tuple[list[Any], bool]:
    """The values of one grid entry, and whether it was a single fixed value."""
    if value is None or isinstance(value, str | bytes | bool | int | float | os.PathLike):
        return [value], True
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise InvalidParams(
            f"grid[{key!r}] must be a list of values or a single value (got {value!r})",
            param=key,
        )
    values = list(value)
    if not values:
        raise InvalidParams(f"grid[{key!r}] is empty: give at least one value", param=key)
    return values, False


def _prompt_list(prompts: str | Sequence[str] | None) -> list[str]:
    if prompts is None:
        return []
    if isinstance(prompts, str):
        return [prompts]
    if not isinstance(prompts, Iterable):
        raise InvalidParams("prompts must be a string or a list of strings", param="prompt")
    return list(prompts)


def _describe(combo: Mapping[str, Any], keys: Sequence[str]) -> str:
    parts = []
    for key in keys:
        value = combo.get(key)
        if key == "prompt" and isinstance(value, str):
            value = format_param(key, value, prompt_chars=30)
        elif isinstance(value, str) and len(value) > 60:
            # Errors are clipped to one line: a long path would push out the reason.
            value = f"{value[:40]}…{value[-15:]}"
        parts.append(f"{key}={value!r}")
    return ", ".join(parts)


@dataclass(frozen=True)
class Refused:
    """A combination of a cross-model sweep its model does not accept: never sent."""

    number: int
    total: int
    model: str
    where: str
    reason: str
    param: str | None = None

    def __str__(self) -> str:
        return f"combination {self.number} of {self.total} ({self.where}): {self.reason}"


def plan_sweep(
    prompts: str | Sequence[str] | None,
    grid: Mapping[str, Any] | None = None,
    *,
    zip: bool = False,
    model: str = "ltx-2-pro",
    extra: Mapping[str, Any] | None = None,
) -> list[Params]:
    """Every combination of the sweep, validated, in run order. Sends nothing.

    Prompts are the outermost axis; grid keys follow in the order given.
    Without *zip* the grid is a Cartesian product; with it, the grid's lists
    are paired element by element (equal lengths required) and the prompts
    are still crossed with the pairs. A single value (not a list) is held
    fixed. ``grid["prompt"]`` may replace *prompts* (then *zip* pairs it too).
    Raises :class:`InvalidParams` naming the first bad value (see
    :func:`plan_grid` for the cross-model rules).
    """
    plan, refused = plan_grid(prompts, grid, zip=zip, model=model, extra=extra)
    if refused:
        raise InvalidParams(f"sweep {refused[0]}; nothing was sent", param=refused[0].param)
    return plan


def plan_grid(
    prompts: str | Sequence[str] | None,
    grid: Mapping[str, Any] | None = None,
    *,
    zip: bool = False,
    model: str = "ltx-2-pro",
    extra: Mapping[str, Any] | None = None,
) -> tuple[list[Params], list[Refused]]:
    """The valid combinations in run order, and those refused, each checked against its model.

    Across several models (``grid["model"]`` a list) each of the other keys is
    applied only to the models that take it, and combinations that end up alike
    are run once; a key no model of the sweep takes is an error. With one model,
    a key it does not take is refused like any bad value.
    """
    paired = zip
    grid = dict(grid or {})
    for key in grid:
        if key not in SWEEPABLE:
            raise InvalidParams(
                f"cannot sweep {key!r}; sweepable: {', '.join(SWEEPABLE)}", param=key
            )
    prompt_list = _prompt_list(prompts)
    if "prompt" in grid and prompt_list:
        raise InvalidParams(
            "give the prompts either as the first argument or as grid['prompt'], not both",
            param="prompt",
        )
    if "prompt" not in grid and not prompt_list:
        raise InvalidParams("a sweep needs at least one prompt", param="prompt")

    axes = {key: _axis(key, value) for key, value in grid.items()}
    lists = {k: v for k, (v, fixed) in axes.items() if not fixed}
    fixed = {k: v[0] for k, (v, is_fixed) in axes.items() if is_fixed}
    if paired and lists:
        lengths = {k: len(v) for k, v in lists.items()}
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"{k}: {n}" for k, n in lengths.items())
            raise InvalidParams(
                f"zip pairs the grid's lists, so they must have equal lengths ({shown})",
                param=next(iter(lengths)),
            )
        rows = [dict(builtin_zip(lists, values)) for values in builtin_zip(*lists.values())]
    else:
        rows = [dict(builtin_zip(lists, values)) for values in itertools.product(*lists.values())]
    prompt_rows = [{"prompt": p} for p in prompt_list] or [{}]
    total = len(prompt_rows) * len(rows)
    if total > SWEEP_MAX_JOBS:
        raise InvalidParams(
            f"this sweep has {total} combinations, more than the limit of {SWEEP_MAX_JOBS}; "
            "split it into smaller sweeps",
            param=None,
        )
    models = [m for m in lists.get("model", [fixed.get("model", model)])]
    cross = len({repr(m) for m in models}) > 1
    if cross:
        for m in models:
            if not isinstance(m, str) or m not in CATALOG:
                raise InvalidParams(
                    f"unknown model {m!r} in the sweep; known models: {', '.join(CATALOG)}; "
                    "nothing was sent",
                    param="model",
                )
        _check_taken(grid, models)

    varying = (["prompt"] if len(prompt_list) > 1 else []) + list(lists)
    plan: list[Params] = []
    refused: list[Refused] = []
    seen: set[str] = set()
    for i, (p, row) in enumerate(itertools.product(prompt_rows, rows), start=1):
        combo = {**fixed, **p, **row}
        chosen_model = combo.pop("model", model)
        spec = CATALOG.get(chosen_model) if isinstance(chosen_model, str) else None
        dropped = False
        if cross and spec is not None:
            # One image across models goes to each model's own image param (image_url...).
            if "image" in combo and "image" not in spec.names and spec.image_param:
                combo[spec.image_param] = combo.pop("image")
            taken = {k: v for k, v in combo.items() if k == "prompt" or k in spec.names}
            dropped, combo = len(taken) < len(combo), taken
        try:
            params = validate(chosen_model, extra=extra, **combo)
        except InvalidParams as exc:
            where = _describe({"model": chosen_model, **combo}, varying) or "the fixed values"
            refused.append(Refused(i, total, str(chosen_model), where, str(exc), exc.param))
            continue
        # Values a model does not take fall away, and its combinations may then coincide:
        # those run once. Repeats the user wrote (duration=6,6) still run twice.
        key = json.dumps([params.model, params.payload()], sort_keys=True, default=str)
        if dropped and key in seen:
            continue
        seen.add(key)
        plan.append(params)
    return plan, refused


def _check_taken(grid: Mapping[str, Any], models: Sequence[Any]) -> None:
    specs = [CATALOG[m] for m in models if isinstance(m, str) and m in CATALOG]
    for key in grid:
        if key in ("model", "prompt") or not specs:
            continue
        if key == "image" and any(spec.image_param for spec in specs):
            continue
        if not any(key in spec.names for spec in specs):
            raise InvalidParams(
                f"no model of this sweep takes {key!r} "
                f"({', '.join(spec.slug for spec in specs)}); see %ltx models SLUG",
                param=key,
            )


def varied_params(plan: Sequence[Params]) -> list[str]:
    """The parameters that take more than one value across the plan, in display order."""
    out = []
    for name in PARAM_NAMES:
        if len({getattr(p, name) for p in plan}) > 1:
            out.append(name)
    return out

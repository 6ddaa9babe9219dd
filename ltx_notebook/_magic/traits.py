"""The ``%config LtxMagics.*`` settings: their defaults, and the checks that refuse a bad one.

A bad ``%config`` is refused when it is set, with the values allowed, so a cell
never finds out after a submit. Budget and media folder changes go straight to
the package settings, so the Python API sees them too.
"""

from __future__ import annotations

import math
from typing import Any

from traitlets import Bool, Enum, Float, Integer, TraitError, Unicode, Union, observe, validate
from traitlets.config import Configurable

from .._core.catalog import CATALOG
from .._core.config import check_budget, check_period, configure
from .._core.errors import InvalidParams
from .._core.params import check_timeout
from .._jobs.reuse import reuse_scope
from .._view.cell import Embed

__all__ = ["EMBED_MODES", "LtxTraits"]

EMBED_MODES = tuple(mode.value for mode in Embed)
# What %config may set: any value some catalog model takes (each applies where taken).
_DURATIONS = sorted(
    {c for m in CATALOG.values() if (p := m.param("duration")) for c in p.choices or ()}
)
_RESOLUTIONS = list(
    dict.fromkeys(
        str(c).lower()
        for m in CATALOG.values()
        if (p := m.param("resolution"))
        for c in p.choices or ()
    )
)


class LtxTraits(Configurable):
    """The magic's defaults; ``LtxMagics`` inherits them (``%config LtxMagics.<name>``)."""

    model = Unicode("ltx-2-pro", help="Model used when -m/--model is not given.").tag(config=True)
    duration = Integer(
        None, allow_none=True, help="Duration in seconds when -d is not given (None: the model's)."
    ).tag(config=True)
    resolution = Unicode(
        None, allow_none=True, help="Resolution when -r is not given (None: the model's)."
    ).tag(config=True)
    audio = Bool(True, help="Generate audio unless --no-audio is given.").tag(config=True)
    wait = Enum(
        ("auto", "always", "never"),
        "auto",
        help="auto: wait when nobody watches live (nbclient, nbconvert, papermill, terminal "
        "IPython) and return at once in JupyterLab, Notebook, VS Code and Colab.",
    ).tag(config=True)
    embed = Enum(
        EMBED_MODES,
        "auto",
        help="auto: inline the video's bytes only where local files cannot be served (VS Code, "
        "Colab) and under embed_cap_mb; always; never.",
    ).tag(config=True)
    embed_cap_mb = Float(20.0, help="Largest video (MB) that --embed auto inlines.").tag(
        config=True
    )
    media_dir = Unicode(
        None, allow_none=True, help="Folder for videos and the job store (default ltx_media/)."
    ).tag(config=True)
    timeout = Float(
        None, allow_none=True, help="Longest wait in seconds; the job goes on afterwards."
    ).tag(config=True)
    reuse = Union(
        [Bool(), Unicode()],
        default_value=True,
        help="Re-run guard: a cell whose request (model, params, prompt, image) is already "
        "in the store, in flight or COMPLETED, shows that job again and sends nothing "
        "(--again sends anyway). True or 'mine': your own jobs; 'team': every teammate's "
        "in a shared store too. False: every run sends.",
    ).tag(config=True)
    budget = Float(
        None,
        allow_none=True,
        help="Cap in USD on this store's spend over budget_period (None: no cap); a job or "
        "sweep that would pass it is refused before anything is sent.",
    ).tag(config=True)
    budget_period = Unicode(
        "session", help="The budget's period: session, day, month, all, or a span like 24h, 7d."
    ).tag(config=True)

    # -- trait checks: a bad %config is refused at once ---------------------------------
    @validate("model")
    def _check_model(self, proposal: dict[str, Any]) -> str:
        value: str = proposal["value"]
        if value not in CATALOG:
            raise TraitError(f"LtxMagics.model must be one of {', '.join(CATALOG)} (got {value!r})")
        return value

    @validate("duration")
    def _check_duration(self, proposal: dict[str, Any]) -> int | None:
        value: int | None = proposal["value"]
        allowed = _DURATIONS
        if value is not None and value not in allowed:
            raise TraitError(
                f"LtxMagics.duration must be one of {', '.join(map(str, allowed))} seconds "
                f"(got {value!r})"
            )
        return value

    @validate("reuse")
    def _check_reuse(self, proposal: dict[str, Any]) -> bool | str:
        try:
            scope = reuse_scope(proposal["value"], name="LtxMagics.reuse")
        except InvalidParams as exc:
            raise TraitError(str(exc)) from None
        # True stays True (the default, as %config shows it); a scope is spelled as taken.
        return proposal["value"] if isinstance(proposal["value"], bool) else scope or False

    @validate("resolution")
    def _check_resolution(self, proposal: dict[str, Any]) -> str | None:
        value: str | None = proposal["value"]
        if value is not None and value.lower() not in _RESOLUTIONS:
            raise TraitError(
                f"LtxMagics.resolution must be one of {', '.join(_RESOLUTIONS)} (got {value!r})"
            )
        return value.lower() if value else value

    @validate("timeout")
    def _check_timeout(self, proposal: dict[str, Any]) -> float | None:
        try:
            return check_timeout(proposal["value"], "LtxMagics.timeout")
        except InvalidParams as exc:
            raise TraitError(str(exc)) from None

    @validate("embed_cap_mb")
    def _check_embed_cap(self, proposal: dict[str, Any]) -> float:
        value: float = proposal["value"]
        # inf would pass ">= 0" and then fail converting to bytes, after the job was billed.
        if not 0 <= value < math.inf:
            raise TraitError(
                f"LtxMagics.embed_cap_mb must be a number of MB, 0 or more (got {value!r})"
            )
        return value

    @validate("budget")
    def _check_budget(self, proposal: dict[str, Any]) -> float | None:
        try:
            return check_budget(proposal["value"], "LtxMagics.budget")
        except InvalidParams as exc:
            raise TraitError(str(exc)) from None

    @validate("budget_period")
    def _check_budget_period(self, proposal: dict[str, Any]) -> str:
        try:
            check_period(proposal["value"], "LtxMagics.budget_period")
        except InvalidParams as exc:
            raise TraitError(str(exc)) from None
        return str(proposal["value"])

    @observe("budget", "budget_period")
    def _budget_changed(self, change: dict[str, Any]) -> None:
        if change["name"] == "budget":
            configure(budget=math.inf if change["new"] is None else change["new"])
        else:
            configure(budget_period=change["new"])

    @observe("media_dir")
    def _media_dir_changed(self, change: dict[str, Any]) -> None:
        if change["new"]:
            configure(media_dir=change["new"])

"""``%ltx credits``, ``config`` and ``emulator``: setting up and checking the account."""

from __future__ import annotations

from typing import Any

from IPython.core.magic_arguments import argument

from .._view import frontend as _frontend
from .commands import Host, command
from .emulator import EMULATOR_USAGE, knob

__all__: list[str] = []


@command("%ltx credits", "the account's credits")
def credits(host: Host) -> None:
    reply = host.session.credits()
    print(f"credits: {reply['credits']:.4f} · free credits: {reply['free_credits']:.4f}")


@command("%ltx config", "the settings in force (the key masked) and LtxMagics traits")
def config(host: Host) -> None:
    settings = host.session.settings.describe()
    traits = host.traits_in_force()
    width = max(len(k) for k in [*settings, *(f"LtxMagics.{t}" for t in traits)])
    for key, value in settings.items():
        print(f"{key:<{width}}  {value}")
    print(f"{'front end':<{width}}  {_frontend.detect().value}")
    for key, value in traits.items():
        print(f"{'LtxMagics.' + key:<{width}}  {value!r}")


@command(
    EMULATOR_USAGE,
    "start: run a local emulator and point this session at it;",
    "stop: stop it and restore the previous settings",
)
@argument("action", choices=("start", "stop"))
@argument("knobs", nargs="*", type=knob, metavar="NAME=VALUE")
def emulator(host: Host, action: str, knobs: list[tuple[str, Any]]) -> None:
    host.run_emulator(action, knobs)

"""What a subcommand needs beyond the package's own dependencies, checked before it starts.

A pip user has the extras they asked for and no more: a subcommand that lacks a module
says so in one line, with the install that brings it, before it starts an emulator or a
kernel for nothing.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

__all__ = ["DEMO", "LAB", "install", "missing", "play_in_lab", "refusal"]

# Module -> the extra that brings it.
_EMULATOR: Final = {"starlette": "emulator", "uvicorn": "emulator", "numpy": "emulator"}
# Executing and exporting a notebook against the emulator.
DEMO: Final[Mapping[str, str]] = {
    "nbclient": "emulator",
    "nbconvert": "emulator",
    "ipykernel": "emulator",
    **_EMULATOR,
}
# JupyterLab wired to an emulator.
LAB: Final[Mapping[str, str]] = {"jupyterlab": "lab", **_EMULATOR}


def missing(needs: Mapping[str, str]) -> list[str]:
    """The modules of *needs* that are not installed here."""
    return [name for name in needs if importlib.util.find_spec(name) is None]


def install(needs: Mapping[str, str], names: Sequence[str]) -> str:
    """The pip command that brings *names*."""
    extras = ",".join(sorted({needs[name] for name in names}))
    return f'pip install "ltx-notebook[{extras}]"'


def refusal(command: str, needs: Mapping[str, str]) -> str | None:
    """The one line that stops *command* when something it needs is missing, else None."""
    names = missing(needs)
    if not names:
        return None
    return (
        f"ltx-notebook {command}: needs {', '.join(names)}, not installed here: "
        f"{install(needs, names)}"
    )


def play_in_lab(out_dir: Path) -> str:
    """How to play the demo's notebook in JupyterLab, with the install it takes if any."""
    lab = f"`ltx-notebook lab --dir {out_dir}`"
    names = missing(LAB)
    if names:
        return f"play it in JupyterLab: {install(LAB, names)}, then {lab}"
    return f"play it in JupyterLab: {lab}"

"""The ``%ltx`` line commands: one registry, filled by the rooms that own them.

Each command is a plain function registered with :func:`command`; the magic
class only parses the line and dispatches. A new command is a new function in
the module of its kind (jobs, account, money, models...), never an edit of the
magic class, and ``%ltx?`` lists it from its registration.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from IPython.core.error import UsageError

from .._core.errors import LtxError
from .._jobs.job import Job
from .._jobs.session import Session

__all__ = ["COMMANDS", "Command", "Host", "command", "dispatch", "line_doc"]


class Host(Protocol):
    """What a command may use of the magic that runs it."""

    session: Session
    shell: Any

    @property
    def timeout(self) -> float | None: ...

    def job(self, key: str) -> Job: ...

    def present(
        self, job: Job, *, wait: bool | None, timeout: float | None, embed: str | None
    ) -> None: ...

    def show_final(self, job: Job, final_html: Callable[[Job], str] | None = None) -> None: ...

    def traits_in_force(self) -> dict[str, Any]: ...

    def run_emulator(self, action: str, options: tuple[str, ...]) -> None: ...


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    # Lines for %ltx?, already wrapped: the first one beside the usage, the rest under it.
    help: tuple[str, ...]
    run: Callable[..., Any]


COMMANDS: dict[str, Command] = {}

F = TypeVar("F", bound=Callable[..., Any])


def command(usage: str, *help: str) -> Callable[[F], F]:
    """Register ``func(host, *args)`` as ``%ltx NAME``, NAME being the usage's second word."""

    def register(func: F) -> F:
        name = usage.split()[1]
        COMMANDS[name] = Command(name, usage, help, func)
        return func

    return register


def line_doc() -> str:
    """The ``%ltx`` docstring: one summary line, then every command with its help."""
    names = ", ".join(COMMANDS)
    lines = [f"Look after jobs: {names}.", ""]
    for cmd in COMMANDS.values():
        if len(cmd.usage) < 24:
            lines.append(f"{cmd.usage:<24}{cmd.help[0] if cmd.help else ''}".rstrip())
            lines.extend(" " * 24 + more for more in cmd.help[1:])
        else:
            # A long grammar takes its own line(s), its help below it.
            lines.extend(cmd.usage.split(" | "))
            lines.extend(" " * 24 + more for more in cmd.help)
    return "\n".join(lines) + "\n"


def dispatch(host: Host, name: str, args: list[str]) -> Any:
    cmd = COMMANDS[name]
    try:
        # Checked up front, so a TypeError raised inside a command is never misread.
        inspect.signature(cmd.run).bind(host, *args)
    except TypeError:
        raise UsageError(f"usage: {cmd.usage}") from None
    try:
        return cmd.run(host, *args)
    except LtxError as exc:
        raise UsageError(f"{type(exc).__name__}: {exc}") from None

"""The ``%ltx`` line commands: one registry, filled by the rooms that own them.

Each command is a plain function registered with :func:`command`; the magic
class only splits off the command's name and dispatches. A new command is a new
function in the module of its kind (jobs, account, money, models...), never an
edit of the magic class, and ``%ltx?`` lists it from its registration.

Every command's words are read one way, as ``%%ltx``'s line is: IPython's
``magic_arguments`` (its ``@argument`` decorators under ``@command``, an
argparse parser that raises ``UsageError`` rather than exiting the kernel). Bad
words are one line, argparse's reason and the command's usage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from IPython.core.error import UsageError
from IPython.core.magic_arguments import MagicArgumentParser

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

    def run_emulator(self, action: str, knobs: list[tuple[str, Any]]) -> None: ...


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    # Lines for %ltx?, already wrapped: the first one beside the usage, the rest under it.
    help: tuple[str, ...]
    run: Callable[..., Any]
    parser: MagicArgumentParser


COMMANDS: dict[str, Command] = {}

F = TypeVar("F", bound=Callable[..., Any])


def command(usage: str, *help: str) -> Callable[[F], F]:
    """Register ``func(host, **words)`` as ``%ltx NAME``, NAME being the usage's second word.

    The words are those *func*'s ``@argument`` decorators (IPython's) declare,
    each passed by its argparse ``dest``.
    """

    def register(func: F) -> F:
        name = usage.split()[1]
        parser = MagicArgumentParser(prog=f"%ltx {name}", usage=usage)
        group = None
        # The decorators were collected bottom up; the parser takes them as written.
        for deco in reversed(getattr(func, "decorators", [])):
            group = deco.add_to_parser(parser, group) or group
        COMMANDS[name] = Command(name, usage, help, func, parser)
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
        words = cmd.parser.parse_args(args)
    except UsageError as exc:
        raise UsageError(f"{exc}; usage: {cmd.usage}") from None
    try:
        return cmd.run(host, **vars(words))
    except LtxError as exc:
        raise UsageError(f"{type(exc).__name__}: {exc}") from None

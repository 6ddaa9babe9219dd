"""``%ltx spend`` and ``import``: what the jobs cost, and the account's jobs run elsewhere."""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from IPython.core.error import UsageError

from .._jobs.recovery.importer import import_history
from .commands import Host, command

__all__: list[str] = []

SPEND_USAGE = "%ltx spend [--since WHEN] [--by day,model,sweep]"
IMPORT_USAGE = "%ltx import [--since WHEN] [--model SLUG]"


class _Parser(argparse.ArgumentParser):
    # argparse would print and exit the kernel's process; a magic says one line instead.
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}; usage: {self.usage}")


def _options(usage: str, options: tuple[str, ...], *names: str) -> dict[str, Any]:
    parser = _Parser(prog=usage.split(" [")[0], usage=usage, add_help=False)
    for name in names:
        parser.add_argument(f"--{name}")
    return vars(parser.parse_args(list(options)))


@command(
    SPEND_USAGE,
    "charged and estimated spend, by day, model and sweep;",
    "WHEN: a date, session, day, month, 24h, 7d (default: every job)",
)
def spend_command(host: Host, *options: str) -> None:
    from .._view.spend import DEFAULT_BY, spend  # pandas: loaded when first asked for

    given = _options(SPEND_USAGE, options, "since", "by")
    by = [k.strip() for k in given["by"].split(",") if k.strip()] if given["by"] else DEFAULT_BY
    print(spend(host.session.store, since=given["since"], by=by, settings=host.session.settings))


@command(
    IMPORT_USAGE,
    "bring the account's jobs run elsewhere (console, other",
    "machines) into the store, videos too while kept (7 days)",
)
def import_command(host: Host, *options: str) -> None:
    given = _options(IMPORT_USAGE, options, "since", "model")
    report = import_history(
        host.session, since=given["since"], model=given["model"], timeout=host.timeout
    )
    print(report)

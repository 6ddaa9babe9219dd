"""``%ltx spend`` and ``import``: what the jobs cost, and the account's jobs run elsewhere."""

from __future__ import annotations

from IPython.core.magic_arguments import argument

from .._jobs.recovery.importer import import_history
from .commands import Host, command

__all__: list[str] = []

SPEND_USAGE = "%ltx spend [--since WHEN] [--by day,model,sweep]"
IMPORT_USAGE = "%ltx import [--since WHEN] [--model SLUG]"


@command(
    SPEND_USAGE,
    "charged and estimated spend, by day, model and sweep;",
    "WHEN: a date, session, day, month, 24h, 7d (default: every job)",
)
@argument("--since", metavar="WHEN")
@argument("--by", metavar="day,model,sweep")
def spend_command(host: Host, since: str | None, by: str | None) -> None:
    from .._view.spend import DEFAULT_BY, spend  # pandas: loaded when first asked for

    keys = [k.strip() for k in by.split(",") if k.strip()] if by else DEFAULT_BY
    print(spend(host.session.store, since=since, by=keys, settings=host.session.settings))


@command(
    IMPORT_USAGE,
    "bring the account's jobs run elsewhere (console, other",
    "machines) into the store, videos too while kept (7 days)",
)
@argument("--since", metavar="WHEN")
@argument("--model", metavar="SLUG")
def import_command(host: Host, since: str | None, model: str | None) -> None:
    print(import_history(host.session, since=since, model=model, timeout=host.timeout))

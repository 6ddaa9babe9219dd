"""The budget: a cap in USD on this store's spend over a period, checked before every send.

Spend is what the service charged plus the estimate of what it has not
billed yet (jobs in flight, or whose charge is unknown); see
:func:`~.._storage.ledger.outlay`. A submit whose estimate would take that
past the cap raises :class:`BudgetExceeded` before anything is sent, and a
sweep is checked whole before its first submit. The period is the kernel
session by default (since this process loaded ltx-notebook), or the local
day, the local month, all time, or a rolling ``timedelta``.

Whose spend: ``budget_scope="mine"`` (the default) counts the rows whose
``owner`` is this user (and rows that name none, written before rows had an
owner); ``"team"`` counts everyone's in the store, so a team's kernels share
one cap.

The check and the row it admits are one transaction of the store, under its
``submit`` lock (:data:`~.._storage.store.ADMIT_LOCK`: SQLite's write lock on
the file, a PostgreSQL advisory lock): the spend is read through that
transaction, and the new row (counted at its estimate from then on) is
written before the lock is let go. So no two submits, of this kernel or of
any other sharing the store, on this machine or another, can both squeeze
under the cap: N kernels racing for the last dollars pass it by not one job.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Final

from ..._core.config import Settings, check_period
from ..._core.errors import BudgetExceeded, InvalidParams
from ..._core.params import Params
from ..._storage.ledger import Outlay, outlay
from ..._storage.records import JobRecord
from ..._storage.store import Store
from .costs import learn

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = [
    "SESSION_START",
    "check",
    "check_credits",
    "owner",
    "period_name",
    "period_start",
    "record_within_budget",
    "since_time",
    "spent",
]

# "This kernel session": the process, from when it loaded ltx-notebook.
SESSION_START: Final = datetime.now(UTC)
HOW_TO_RAISE: Final = "raise it with configure(budget=...) or %config LtxMagics.budget"


def period_start(period: str | timedelta, now: datetime | None = None) -> datetime | None:
    """When *period* began (None: all time). Days and months are the machine's local ones."""
    now = (now or datetime.now(UTC)).astimezone()
    if isinstance(period, timedelta):
        return now - period
    if period == "session":
        return SESSION_START
    if period == "day":
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "month":
        return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return None


def since_time(value: Any, now: datetime | None = None) -> datetime | None:
    """A start time from what a user writes: a date or datetime (naive = local), ISO text,
    a period name (session, day, month, all), a timedelta or a span such as ``24h``/``7d``.
    """
    if value is None:
        return None
    try:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.astimezone()
        if isinstance(value, date):
            return datetime.combine(value, time()).astimezone()
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return since_time(datetime.fromisoformat(value.strip()), now)
        return period_start(check_period(value, "since"), now)
    except (InvalidParams, ValueError, OverflowError):  # the last two: near year 1 or 9999
        raise InvalidParams(
            "since must be a date, a datetime, an ISO date such as 2026-01-31, session, day, "
            f"month, all, a timedelta or a span such as 24h or 7d (got {value!r})",
            param="since",
        ) from None


def period_name(period: str | timedelta) -> str:
    if isinstance(period, timedelta):
        hours = period.total_seconds() / 3600
        return f"the last {hours / 24:g} days" if hours >= 48 else f"the last {hours:g} hours"
    return {"session": "this session", "day": "today", "month": "this month"}.get(period, "ever")


def owner(settings: Settings) -> str | None:
    """Whose rows the budget counts: this user's (``mine``), or everyone's (None)."""
    return None if settings.budget_scope == "team" else settings.user


def spent(store: Store, settings: Settings, *, conn: sa.Connection | None = None) -> Outlay:
    """The spend the budget counts over the settings' period (see :func:`owner`).

    With *conn*, read in that transaction (the admitting one).
    """
    return outlay(store, period_start(settings.budget_period), owner=owner(settings), conn=conn)


def check(
    store: Store,
    settings: Settings,
    requested: float,
    *,
    what: str,
    conn: sa.Connection | None = None,
) -> None:
    """Raise :class:`BudgetExceeded` if *requested* more would pass the budget; else nothing."""
    limit = settings.budget
    if limit is None:
        return
    so_far = spent(store, settings, conn=conn)
    if so_far.total + requested <= limit + 1e-9:
        return
    name = period_name(settings.budget_period)
    raise BudgetExceeded(
        f"{what} (~${requested:.2f} estimated) would take {name}'s spend to "
        f"${so_far.total + requested:.2f}, past the budget of ${limit:.2f} "
        f"(${so_far.charged:.2f} charged + ~${so_far.estimated:.2f} estimated so far); "
        f"nothing was sent: {HOW_TO_RAISE}",
        cap="budget",
        limit=limit,
        charged=so_far.charged,
        estimated=so_far.estimated,
        requested=requested,
        period=name,
    )


def record_within_budget(
    store: Store,
    settings: Settings,
    params: Params,
    *,
    tag: str | None = None,
    sweep_id: str | None = None,
    admit: Callable[[sa.Connection], None] | None = None,
) -> JobRecord:
    """The new SUBMITTING row for *params*, priced by what was charged before, if in budget.

    The budget is checked in the transaction that writes the row, under the
    store's submit lock (see the module); *admit*, another check of that
    transaction (a sweep's shared pace), runs there too, and may refuse the row
    by raising. Blocking: run it in a worker thread from the event loop.
    """
    estimate = learn(store, base_url=settings.base_url).estimate(params)

    def within(conn: sa.Connection) -> None:
        check(store, settings, estimate, what=f"this {params.model} job", conn=conn)
        if admit is not None:
            admit(conn)

    return store.create(
        params,
        cost_estimate=estimate,
        base_url=settings.base_url,
        tag=tag,
        sweep_id=sweep_id,
        admit=within,
        fields={"owner": settings.user},
    )


def check_credits(balance: Mapping[str, float | None], requested: float, *, jobs: int) -> None:
    """Refuse a sweep of *jobs* estimated at *requested* that the account cannot pay for.

    The balance is credits plus free credits as the service reports them; a
    service that reports neither is not second-guessed.
    """
    figures = [v for v in (balance.get("credits"), balance.get("free_credits")) if v is not None]
    if not figures:
        return
    available = round(sum(figures), 4)
    if requested <= available + 1e-9:
        return
    raise BudgetExceeded(
        f"this sweep of {jobs} jobs is estimated at ${requested:.2f} but the account holds "
        f"${available:.2f} of credits, so it would stop part-way with HTTP 406; nothing was "
        "sent: top up, or sweep fewer combinations",
        cap="credits",
        limit=available,
        charged=0.0,
        estimated=0.0,
        requested=requested,
    )

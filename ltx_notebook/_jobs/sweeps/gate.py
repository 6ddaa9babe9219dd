"""The sweep's gate: what must hold before its first submit, checked with nothing sent.

In order: the budget, combinations invalid for their model (named, need
``yes``), the confirmation threshold (jobs or dollars, need ``yes``), and the
account's credits (read now, so a sweep it cannot pay for stops here rather
than with a 406 half-way). Each refusal is an exception with the figures.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from ..._core.errors import AuthenticationError, LtxError
from ..money.budget import check, check_credits
from ..session import Session
from .plan import Refused

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ConfirmationRequired", "Gated", "admit"]

log = logging.getLogger("ltx_notebook")


class ConfirmationRequired(LtxError):
    """The sweep is above the confirmation threshold and ``yes=True`` was not given.

    Nothing was sent. ``jobs``, ``estimated_cost`` and ``plan`` (a DataFrame of
    the combinations) say what would have run.
    """

    def __init__(
        self, message: str, *, jobs: int, estimated_cost: float, plan: pd.DataFrame
    ) -> None:
        super().__init__(message)
        self.jobs = jobs
        self.estimated_cost = estimated_cost
        self.plan = plan


class Gated(Protocol):
    """What the gate reads of a sweep (:class:`~.sweep.Sweep`)."""

    @property
    def session(self) -> Session: ...
    @property
    def sweep_id(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def to_send(self) -> int: ...
    @property
    def reused(self) -> int: ...
    @property
    def estimated_cost(self) -> float: ...
    def plan(self) -> pd.DataFrame: ...


def admit(
    handle: Gated, refused: Sequence[Refused], *, yes: bool, max_jobs: float, max_cost: float
) -> None:
    """Raise if *handle* may not start; return with nothing sent either way."""
    if handle.session.settings.budget is not None:  # the store is read only when there is a cap
        what = f"this sweep of {handle.to_send} jobs"
        check(handle.session.store, handle.session.settings, handle.estimated_cost, what=what)
    cost = handle.estimated_cost
    if refused and not yes:
        shown = "; ".join(str(r) for r in refused[:5])
        more = f" and {len(refused) - 5} more" if len(refused) > 5 else ""
        raise ConfirmationRequired(
            f"{len(refused)} of {len(refused) + handle.size} combinations are invalid for "
            f"their model and would be skipped: {shown}{more}; nothing was sent. Pass "
            f"yes=True (%%ltx --yes) to run the other {handle.to_send} jobs (estimated "
            f"${cost:.2f}), or dry_run=True (--dry-run) to list the grid",
            jobs=handle.to_send,
            estimated_cost=cost,
            plan=handle.plan(),
        )
    if not yes and (handle.to_send > max_jobs or cost > max_cost):
        reused = f" ({handle.reused} more reused from the store)" if handle.reused else ""
        raise ConfirmationRequired(
            f"this sweep would run {handle.to_send} jobs{reused} at an estimated ${cost:.2f} "
            "(an estimate; the service bills the real cost), above the confirmation threshold "
            f"of {max_jobs} jobs or ${max_cost:.2f}; nothing was sent. Pass yes=True "
            "(%%ltx --yes) to run it, or dry_run=True (--dry-run) to list the grid",
            jobs=handle.to_send,
            estimated_cost=cost,
            plan=handle.plan(),
        )
    # Read now, so a sweep the account cannot pay for stops here, not with a 406 half-way.
    # A key the service rejects is said at once; a balance that cannot be read (a proxy
    # without the route, a flaky service) leaves the sweep to run as it did before.
    try:
        balance = handle.session.credits()
    except AuthenticationError:
        raise
    except LtxError as exc:
        log.warning(
            "sweep %s: could not read the credits before starting: %s", handle.sweep_id, exc
        )
    else:
        check_credits(balance, cost, jobs=handle.to_send)

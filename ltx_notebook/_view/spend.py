"""``spend()``: what the store's jobs cost, charged and estimated apart, by day, model, sweep.

A charge is what the service billed (``cost``); a job with no known charge
counts at its estimate (``cost_estimate``), in a column of its own, so a
figure never passes an estimate off as a bill. Imported jobs (run elsewhere)
are included and can be told apart with ``by="origin"``; the budget line
counts only this store's own, as the budget does.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import pandas as pd

from .._core.config import Settings
from .._core.errors import InvalidParams
from .._jobs.money.budget import period_name, since_time, spent
from .._storage.ledger import Outlay
from .._storage.store import Store
from .._storage.tables import history_frame

__all__ = ["Spend", "spend"]

DEFAULT_BY: Final = ("day", "model", "sweep")
# Friendlier names for grouping columns; any other history column may be named as it is.
ALIASES: Final = {"sweep": "sweep_id"}
NONE_LABEL: Final = "—"


@dataclass(frozen=True)
class Spend:
    """Spend grouped by ``by``: ``frame`` has ``jobs``, ``charged``, ``estimated``, ``total``.

    ``since`` is where the count starts (None: every job); ``budget`` and
    ``budget_spent`` say where the budget stands, when one is set.
    """

    frame: pd.DataFrame
    by: tuple[str, ...]
    since: datetime | None
    budget: float | None
    budget_period: str
    budget_spent: Outlay | None

    @property
    def charged(self) -> float:
        return round(float(self.frame["charged"].sum()), 4)

    @property
    def estimated(self) -> float:
        return round(float(self.frame["estimated"].sum()), 4)

    @property
    def total(self) -> float:
        return round(self.charged + self.estimated, 4)

    def summary(self) -> str:
        """One line: the totals and, with a budget, what is left of it."""
        when = f"since {self.since.astimezone():%Y-%m-%d %H:%M}" if self.since else "all jobs"
        jobs = int(self.frame["jobs"].sum())
        line = (
            f"{when}: {jobs} job{'s' * (jobs != 1)}, ${self.charged:.2f} charged + "
            f"~${self.estimated:.2f} estimated = ${self.total:.2f}"
        )
        if self.budget is not None and self.budget_spent is not None:
            used = self.budget_spent
            left = max(0.0, self.budget - used.total)
            line += (
                f" · budget ${self.budget:.2f} {self.budget_period}: ${used.charged:.2f} "
                f"charged + ~${used.estimated:.2f} estimated, ${left:.2f} left"
            )
        return line

    def __str__(self) -> str:
        if self.frame.empty:
            return self.summary()
        shown = self.frame.copy()
        for name in ("charged", "estimated", "total"):
            shown[name] = shown[name].map(lambda v: f"{v:.2f}")
        shown["estimated"] = "~" + shown["estimated"]
        return f"{shown.to_string()}\n{self.summary()}"

    def __repr__(self) -> str:
        return f"<Spend {self.summary()}>"

    def _repr_html_(self) -> str:
        table = self.frame.to_html(float_format=lambda v: f"{v:.2f}", na_rep=NONE_LABEL)
        return f"{table}<p>{html.escape(self.summary())}</p>"


def spend(
    store: Store,
    *,
    since: Any = None,
    by: str | Sequence[str] = DEFAULT_BY,
    settings: Settings | None = None,
) -> Spend:
    """Charged and estimated spend of *store*'s jobs since *since*, grouped by *by*.

    *by* names ``day`` (the local date of the submit), ``model``, ``sweep``,
    or any ``history()`` column (``resolution``, ``status``, ``origin``...).
    """
    now = datetime.now(UTC)
    start = since_time(since, now)
    keys = [by] if isinstance(by, str) else list(by)
    frame = history_frame(store)
    columns = {"day", *ALIASES, *frame.columns}
    for key in keys:
        if key not in columns:
            raise InvalidParams(
                f"spend() cannot group by {key!r}; use day, model, sweep or a history() column",
                param="by",
            )
    if start is not None:
        frame = frame[frame["submitted_at"] >= pd.Timestamp(start)]
    data = pd.DataFrame(index=frame.index)
    for key in keys:
        if key == "day":
            local = frame["submitted_at"].dt.tz_convert(now.astimezone().tzinfo)
            data["day"] = local.dt.strftime("%Y-%m-%d")
        else:
            data[key] = frame[ALIASES.get(key, key)].astype("string")
        data[key] = data[key].fillna(NONE_LABEL)
    cost = frame["cost"].astype("Float64")
    data["charged"] = cost.fillna(0.0)
    data["estimated"] = frame["cost_estimate"].astype("Float64").where(cost.isna(), 0.0)
    data["estimated"] = data["estimated"].fillna(0.0)
    data["jobs"] = 1
    if keys:
        out = data.groupby(keys, sort=True)[["jobs", "charged", "estimated"]].sum()
    else:
        out = data[["jobs", "charged", "estimated"]].sum().to_frame().T
    out["jobs"] = out["jobs"].astype("Int64")
    out["total"] = out["charged"] + out["estimated"]
    for name in ("charged", "estimated", "total"):
        out[name] = out[name].astype("Float64").round(4)
    budget = settings.budget if settings else None
    period = settings.budget_period if settings else "session"
    return Spend(
        frame=out,
        by=tuple(keys),
        since=start,
        budget=budget,
        budget_period=period_name(period),
        budget_spent=spent(store, settings) if settings and budget is not None else None,
    )

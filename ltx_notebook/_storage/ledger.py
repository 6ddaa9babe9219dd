"""The store's money, each read in one query: recent charges, and spend since a time.

``cost`` is what the service charged (``metrics.cost`` or the history's
``credits_deduction``); ``cost_estimate`` what was expected when the job was
sent. They are kept apart in the row; here they are summed apart too, so no
figure ever passes an estimate off as a charge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from .records import clean_base_url, to_iso
from .store import Store

__all__ = ["Outlay", "charges", "outlay"]

# Enough to follow a price change within days, few enough to read in one short query.
RECENT_CHARGES: Final = 500


def charges(
    store: Store, *, base_url: str | None = None, limit: int = RECENT_CHARGES
) -> list[tuple[str, int, str, float]]:
    """``(model, duration, resolution, charge)`` of the most recent charged jobs, newest first.

    With *base_url*, only that service's: an emulator's prices say nothing of the real one's.
    """
    service = " AND base_url = ?" if base_url is not None else ""
    args: list[object] = [clean_base_url(base_url)] if base_url is not None else []
    rows = store._select(
        "SELECT model, duration, resolution, cost FROM jobs "
        f"WHERE cost IS NOT NULL{service} "
        "ORDER BY COALESCE(completed_at, submitted_at) DESC, id DESC LIMIT ?",
        (*args, int(limit)),
    )
    return [(str(m), int(d), str(r), float(c)) for m, d, r, c in rows]


@dataclass(frozen=True)
class Outlay:
    """What this store's own jobs cost since a time: billed, and estimated where not yet billed."""

    charged: float
    estimated: float
    jobs: int

    @property
    def total(self) -> float:
        return round(self.charged + self.estimated, 4)


def outlay(store: Store, since: datetime | None) -> Outlay:
    """Jobs submitted from this store since *since* (None: ever); imported rows not counted.

    A job with no known charge counts at its estimate whatever its state: a
    completed one was billed, a running one will be, and an UNKNOWN submit may
    have been. Refused submits leave no row, so they count nothing.
    """
    where = "origin IS NULL" + (" AND submitted_at >= ?" if since is not None else "")
    args = [to_iso(since)] if since is not None else []
    row = store._select(
        "SELECT COALESCE(SUM(cost), 0), "
        "COALESCE(SUM(CASE WHEN cost IS NULL THEN cost_estimate END), 0), COUNT(*) "
        f"FROM jobs WHERE {where}",
        args,
    )[0]
    return Outlay(charged=round(float(row[0]), 4), estimated=round(float(row[1]), 4), jobs=row[2])

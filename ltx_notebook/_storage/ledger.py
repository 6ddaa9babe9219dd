"""The store's money, each read in one query: recent charges, and spend since a time.

``cost`` is what the service charged (``metrics.cost`` or the history's
``credits_deduction``); ``cost_estimate`` what was expected when the job was
sent. They are kept apart in the row; here they are summed apart too, so no
figure ever passes an estimate off as a charge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

from .records import clean_base_url, owned_by, to_iso
from .store import Store

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["Outlay", "charges", "outlay"]

# Enough to follow a price change within days, few enough to read in one short query.
RECENT_CHARGES: Final = 500


def charges(
    store: Store, *, base_url: str | None = None, limit: int = RECENT_CHARGES
) -> list[tuple[str, int, str, float]]:
    """``(model, duration, resolution, charge)`` of the most recent charged jobs, newest first.

    With *base_url*, only that service's: an emulator's prices say nothing of the real one's.
    """
    import sqlalchemy as sa

    jobs = store._table
    stmt = (
        sa.select(jobs.c.model, jobs.c.duration, jobs.c.resolution, jobs.c.cost)
        .where(jobs.c.cost.is_not(None))
        .order_by(
            sa.func.coalesce(jobs.c.completed_at, jobs.c.submitted_at).desc(), jobs.c.id.desc()
        )
        .limit(int(limit))
    )
    if base_url is not None:
        stmt = stmt.where(jobs.c.base_url == clean_base_url(base_url))
    rows = store._select(stmt)
    return [(str(m), int(d), str(r), float(c)) for m, d, r, c in rows]


@dataclass(frozen=True)
class Outlay:
    """What jobs (one person's, or everyone's) cost since a time: billed, and estimated."""

    charged: float
    estimated: float
    jobs: int

    @property
    def total(self) -> float:
        return round(self.charged + self.estimated, 4)


def outlay(
    store: Store,
    since: datetime | None,
    *,
    owner: str | None = None,
    conn: sa.Connection | None = None,
) -> Outlay:
    """Jobs submitted from this store since *since* (None: ever); imported rows not counted.

    A job with no known charge counts at its estimate whatever its state: a
    completed one was billed, a running one will be, and an UNKNOWN submit may
    have been. Refused submits leave no row, so they count nothing. With
    *owner*, only that person's rows and rows that name no owner (written
    before rows had one); else everyone's. With *conn*, read in that
    connection's transaction (the budget's check, under the lock its new row
    is written under); else in a read of its own.
    """
    import sqlalchemy as sa

    jobs = store.table
    unbilled = sa.case((jobs.c.cost.is_(None), jobs.c.cost_estimate))
    stmt = sa.select(
        sa.func.coalesce(sa.func.sum(jobs.c.cost), 0),
        sa.func.coalesce(sa.func.sum(unbilled), 0),
        sa.func.count(),
    ).where(jobs.c.origin.is_(None))
    if since is not None:
        stmt = stmt.where(jobs.c.submitted_at >= to_iso(since))
    if owner is not None:
        from . import jobs_sql  # SQLAlchemy's, loaded with the store, never at import

        stmt = stmt.where(*jobs_sql.where(jobs, {"owner": owned_by(owner)}))
    if conn is None:
        row = store.reading(lambda c: c.execute(stmt).one(), doing="reading its spend")
    else:
        row = conn.execute(stmt).one()
    return Outlay(charged=round(float(row[0]), 4), estimated=round(float(row[1]), 4), jobs=row[2])

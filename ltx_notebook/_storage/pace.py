"""The submit pace every kernel of an account shares: what was learned, and the submits.

The service limits submits per account, not per kernel, so what a sweep
learns from a 429 is kept in the store (table ``submit_pace``, revision
0007), one row per service (``base_url``, never a key): the limit, its kind,
until when the service's hint holds submits back, and a climb's quiet-spell
bookkeeping. The submits themselves are the jobs table's rows of that
service: a row is written (under the store's submit lock) before its submit
goes, and a refused submit's row is deleted, so the rows stamped within the
window are exactly the submits taken from it, by every kernel.

Every function here takes a connection, so the reads and the write of one
decision are one transaction under that lock (``Store.writing(...,
lock=ADMIT_LOCK)``, or ``Store.create(admit=...)``): two kernels cannot both
take the last submit of a window.

Times are wall-clock epoch seconds, stored as ISO-8601 UTC text like every
time in the store: the kernels' clocks must agree to well within the pace's
margin (a fraction of a second; NTP keeps machines within milliseconds).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .records import clean_base_url, to_datetime, to_iso
from .store import Store

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["Learned", "learned", "remember", "submits"]


@dataclass(frozen=True)
class Learned:
    """What the account's kernels learned of one service's submit limit."""

    limit: int | None = None  # submits per window; None: not known (or not a rate)
    kind: str | None = None  # "unknown", "rate", "concurrency"; None: nothing learned
    hint_until: float = 0.0  # epoch seconds the service's own hint holds submits until
    quiet_since: float = 0.0  # epoch seconds: start of the quiet spell a climb waits out
    climbs_refused: int = 0


def learned(conn: sa.Connection, base_url: str) -> Learned | None:
    """What was learned of *base_url*'s limit, or None if nothing yet."""
    import sqlalchemy as sa

    table = _table()
    row = conn.execute(sa.select(table).where(table.c.base_url == clean_base_url(base_url))).first()
    if row is None:
        return None
    return Learned(
        limit=row.rate_limit,
        kind=row.kind,
        hint_until=_seconds(row.hint_until),
        quiet_since=_seconds(row.quiet_since),
        climbs_refused=int(row.climbs_refused or 0),
    )


def remember(conn: sa.Connection, base_url: str, state: Learned, *, now: float) -> None:
    """Keep *state* as what is known of *base_url*'s limit (call under the submit lock)."""
    import sqlalchemy as sa

    table = _table()
    values = {
        "rate_limit": state.limit,
        "kind": state.kind,
        "hint_until": to_iso(state.hint_until) if state.hint_until else None,
        "quiet_since": to_iso(state.quiet_since) if state.quiet_since else None,
        "climbs_refused": int(state.climbs_refused),
        "updated_at": to_iso(now),
    }
    key = clean_base_url(base_url)
    # Under the lock no other writer is between the two: an update, else the first insert.
    done = conn.execute(sa.update(table).where(table.c.base_url == key).values(values))
    if not done.rowcount:
        conn.execute(sa.insert(table).values(base_url=key, **values))


def submits(
    store: Store,
    conn: sa.Connection,
    base_url: str,
    *,
    since: float,
    leave_out: int | None = None,
) -> list[float]:
    """When the account's submits to *base_url* after *since* were taken, oldest first.

    Every row counts (any kernel's, any state: a submit in flight has taken its
    place), but the row *leave_out* (the submit being judged).
    """
    import sqlalchemy as sa

    jobs = store.table
    stmt = (
        sa.select(jobs.c.submitted_at)
        .where(jobs.c.base_url == clean_base_url(base_url))
        .where(jobs.c.submitted_at > to_iso(since))
        .order_by(jobs.c.submitted_at)
    )
    if leave_out is not None:
        stmt = stmt.where(jobs.c.id != leave_out)
    return [_seconds(at) for (at,) in conn.execute(stmt)]


def _seconds(value: str | None) -> float:
    return to_datetime(value).timestamp() if value else 0.0


@functools.cache
def _table() -> sa.Table:
    # Declared, not reflected: revision 0007 makes exactly this.
    import sqlalchemy as sa

    return sa.Table(
        "submit_pace",
        sa.MetaData(),
        sa.Column("base_url", sa.Text, primary_key=True),
        sa.Column("rate_limit", sa.Integer),
        sa.Column("kind", sa.Text),
        sa.Column("hint_until", sa.Text),
        sa.Column("quiet_since", sa.Text),
        sa.Column("climbs_refused", sa.Integer),
        sa.Column("updated_at", sa.Text),
    )

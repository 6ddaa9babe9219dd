"""The arena's votes: one row per blind A/B verdict, in the store's own file.

A table of its own (``votes``, made by the store's migrations), read and
written only here: the job table stays as it is, and a vote outlives nothing
it names (a job's row is never deleted once it may exist). Each row says

- ``arena_id``: the arena (one drawing of the widget) it was cast in;
- ``voter``: who (``configure(user=...)`` where set, else the login name);
- ``voted_at``: when, ISO-8601 UTC text like every time in the store;
- ``left_job`` / ``right_job``: the local job ids, as the sides were *shown*
  (the sides are random, so which was where is part of the record), with
  their ``*_request_id`` so the pair is known in any store;
- ``outcome``: ``left``, ``right``, ``tie`` or ``skip`` (a skip is kept: it
  says the pair was seen and could not be judged, and a skipped pair is not
  shown again at once).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from .._core.config import get_settings
from .._core.errors import redact
from .records import to_datetime, to_iso
from .store import BUSY_TIMEOUT_S, Store

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["OUTCOMES", "Vote", "cast", "copy_in", "read", "voter"]

OUTCOMES: Final = ("left", "right", "tie", "skip")
_COLUMNS: Final = (
    "arena_id",
    "voter",
    "voted_at",
    "left_job",
    "right_job",
    "left_request_id",
    "right_request_id",
    "outcome",
)


@dataclass(frozen=True)
class Vote:
    id: int
    arena_id: str
    voter: str
    voted_at: datetime
    left_job: int
    right_job: int
    left_request_id: str | None
    right_request_id: str | None
    outcome: str

    @property
    def winner(self) -> int | None:
        """The job that won, None for a tie or a skip."""
        return {"left": self.left_job, "right": self.right_job}.get(self.outcome)

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> Vote:
        return cls(
            id=int(row["id"]),
            arena_id=row["arena_id"],
            voter=row["voter"],
            voted_at=to_datetime(row["voted_at"]),
            left_job=int(row["left_job"]),
            right_job=int(row["right_job"]),
            left_request_id=row["left_request_id"],
            right_request_id=row["right_request_id"],
            outcome=row["outcome"],
        )


def cast(
    store: Store,
    *,
    arena_id: str,
    voter: str,
    left: tuple[int, str | None],
    right: tuple[int, str | None],
    outcome: str,
    clock: Callable[[], float] = time.time,
) -> Vote:
    """Record one vote: *left* and *right* as ``(job id, request id)``, as they were shown."""
    if outcome not in OUTCOMES:
        raise ValueError(f"a vote is one of {', '.join(OUTCOMES)}, not {outcome!r}")
    if left[0] == right[0]:
        raise ValueError(f"a vote compares two jobs, not job {left[0]} with itself")
    values = (
        redact(arena_id),
        redact(voter),
        to_iso(clock()),
        int(left[0]),
        int(right[0]),
        left[1],
        right[1],
        outcome,
    )
    row = dict(zip(_COLUMNS, values, strict=True))

    def insert(conn: sa.Connection) -> Vote:
        table = _table()
        made = conn.execute(table.insert().values(**row).returning(*table.c)).one()
        return Vote.from_row(made._mapping)

    # A vote is a person's judgement, not paid work, but losing it silently would waste it.
    return store.writing(insert, doing="recording a vote", wait=BUSY_TIMEOUT_S)


def read(store: Store, jobs: Collection[int] | None = None) -> list[Vote]:
    """Every vote, oldest first; with *jobs*, only those between two of them."""
    table = _table()
    query = table.select().order_by(table.c.id)
    if jobs is not None:
        ids = sorted({int(j) for j in jobs})
        query = query.where(table.c.left_job.in_(ids), table.c.right_job.in_(ids))

    def select(conn: sa.Connection) -> list[Vote]:
        return [Vote.from_row(r._mapping) for r in conn.execute(query)]

    return store.reading(select, doing="reading its votes")


def copy_in(store: Store, votes: Iterable[Vote], ids: Mapping[int, int]) -> int:
    """Add *votes*, cast in another store, with their jobs' ids there mapped by *ids*.

    A vote naming a job *ids* does not map stays behind; one *store* has already
    (the same arena, voter and instant) is not added again. How many were added.
    """
    rows = [
        {
            "arena_id": v.arena_id,
            "voter": v.voter,
            "voted_at": to_iso(v.voted_at),
            "left_job": ids[v.left_job],
            "right_job": ids[v.right_job],
            "left_request_id": v.left_request_id,
            "right_request_id": v.right_request_id,
            "outcome": v.outcome,
        }
        for v in votes
        if v.left_job in ids and v.right_job in ids
    ]

    def insert(conn: sa.Connection) -> int:
        table = _table()
        seen = table.select().with_only_columns(table.c.arena_id, table.c.voter, table.c.voted_at)
        have = {(r.arena_id, r.voter, r.voted_at) for r in conn.execute(seen)}
        new = [r for r in rows if (r["arena_id"], r["voter"], r["voted_at"]) not in have]
        if new:
            conn.execute(table.insert(), new)
        return len(new)

    if not rows:
        return 0
    return store.writing(insert, doing="copying votes in", wait=BUSY_TIMEOUT_S, lock="copy")


@functools.cache
def _table() -> sa.Table:
    # Declared, not reflected: revision 0005 makes exactly this. SQLAlchemy loads with the
    # first vote, never with %load_ext.
    import sqlalchemy as sa

    return sa.Table(
        "votes",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        *(sa.Column(name, sa.Integer if name.endswith("_job") else sa.Text) for name in _COLUMNS),
    )


def voter(user: str | None = None) -> str:
    """Who votes: *user*, else the settings' ``user`` (by default the login name)."""
    return user or get_settings().user

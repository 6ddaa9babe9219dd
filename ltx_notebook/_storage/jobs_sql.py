"""The statements on the ``jobs`` table, in SQLAlchemy Core: one text for every database.

Imported when a store is opened, never before (``%load_ext`` must not load
SQLAlchemy). The table is reflected from the database, so a store a newer
release has migrated (more columns) is read and written as it is.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

__all__ = [
    "bind",
    "by_id",
    "claim",
    "delete",
    "insert",
    "reflect",
    "release",
    "renew",
    "select",
    "update",
    "where",
]


def reflect(conn: sa.Connection) -> sa.Table:
    return sa.Table("jobs", sa.MetaData(), autoload_with=conn)


def where(table: sa.Table, filters: Mapping[str, Any]) -> list[sa.ColumnElement[bool]]:
    """Equality on each column; ``None`` is NULL, a list/tuple/set any of its values (NULL too
    when it holds ``None``)."""
    clauses: list[sa.ColumnElement[bool]] = []
    for name, value in filters.items():
        column = table.c[name]
        if value is None:
            clauses.append(column.is_(None))
        elif isinstance(value, list):
            known = [v for v in value if v is not None]
            match = column.in_(known) if known else sa.false()
            # None among the values is NULL too: the rows an owner made before 0006.
            clauses.append(sa.or_(match, column.is_(None)) if len(known) < len(value) else match)
        else:
            clauses.append(column == value)
    return clauses


def select(
    table: sa.Table,
    clauses: Sequence[sa.ColumnElement[bool]] = (),
    *,
    columns: Sequence[str] | None = None,
    order: Sequence[sa.ColumnElement[Any]] = (),
    limit: int | None = None,
    lock: bool = False,
) -> sa.Select[Any]:
    chosen = [table.c[n] for n in columns] if columns else [table]
    stmt = sa.select(*chosen).where(*clauses).order_by(*order)
    if limit is not None:
        stmt = stmt.limit(int(limit))
    if lock:
        # PostgreSQL locks the rows read until commit; SQLite's BEGIN IMMEDIATE already
        # holds the whole file (SQLAlchemy renders nothing there).
        stmt = stmt.with_for_update()
    return stmt


def bind(name: str) -> sa.BindParameter[Any]:
    """A value given when the statement runs: the statement itself is built once."""
    return sa.bindparam(name)


def by_id(table: sa.Table, ids: Iterable[int]) -> sa.ColumnElement[bool]:
    # The ids inline (they are ints): no bound-variable limit, however many.
    wanted: sa.BindParameter[list[int]] = sa.bindparam(
        "ids", [int(i) for i in ids], expanding=True, literal_execute=True
    )
    return table.c.id.in_(wanted)


def insert(
    conn: sa.Connection, table: sa.Table, values: Mapping[str, Any], *, unless_known: bool = False
) -> int | None:
    """Add a row; its id. *unless_known*: nothing, and None, if its request id is on record."""
    if not unless_known:
        key = conn.execute(sa.insert(table).values(dict(values))).inserted_primary_key
        assert key is not None
        return int(key[0])
    # ON CONFLICT DO NOTHING: one statement, so two writers cannot both add the request.
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        stmt = postgresql.insert(table).on_conflict_do_nothing(index_elements=["request_id"])
        added = conn.execute(stmt.values(dict(values)).returning(table.c.id)).first()
        return None if added is None else int(added[0])
    from sqlalchemy.dialects import sqlite

    # Not RETURNING: it needs SQLite 3.35, and some Python builds link an older one.
    lite = sqlite.insert(table).on_conflict_do_nothing(index_elements=["request_id"])
    result = conn.execute(lite.values(dict(values)))
    return int(result.lastrowid) if result.rowcount else None


def update(conn: sa.Connection, table: sa.Table, id: int, values: Mapping[str, Any]) -> None:
    # One statement per table: the columns set are those the parameters name.
    stmt = table.info.get("update_by_id")
    if stmt is None:
        stmt = table.info["update_by_id"] = sa.update(table).where(
            table.c.id == sa.bindparam("_row_id")
        )
    conn.execute(stmt, {**values, "_row_id": id})


def delete(conn: sa.Connection, table: sa.Table, id: int) -> bool:
    return conn.execute(sa.delete(table).where(table.c.id == id)).rowcount > 0


# -- leases: which kernel drives a job (see Store.claim) ----------------------------------
# Each is one UPDATE, then the rows read back in the same transaction (RETURNING needs
# SQLite 3.35): the rows just written stay locked (PostgreSQL) or the file (SQLite) until
# it commits, so what is read back is what the UPDATE did.


def claim(
    conn: sa.Connection,
    table: sa.Table,
    ids: Sequence[int],
    kernel: str,
    until: str,
    now: str,
    dead: Collection[str],
) -> list[int]:
    """Set *kernel* and *until* on the rows of *ids* no live lease of another kernel holds."""
    if not ids:
        return []
    free = sa.or_(
        table.c.kernel.is_(None),
        table.c.kernel == kernel,
        table.c.lease_until.is_(None),
        table.c.lease_until < now,
        table.c.kernel.in_(sorted(dead)) if dead else sa.false(),
    )
    conn.execute(
        sa.update(table).where(by_id(table, ids), free).values(kernel=kernel, lease_until=until)
    )
    won = sa.select(table.c.id).where(
        by_id(table, ids), table.c.kernel == kernel, table.c.lease_until == until
    )
    return sorted(int(r[0]) for r in conn.execute(won))


def renew(
    conn: sa.Connection, table: sa.Table, ids: Sequence[int], kernel: str, until: str
) -> list[int]:
    """Move *kernel*'s leases among *ids* to *until*; the ids it still holds."""
    if not ids:
        return []
    mine = [by_id(table, ids), table.c.kernel == kernel]
    conn.execute(sa.update(table).where(*mine).values(lease_until=until))
    return sorted(int(r[0]) for r in conn.execute(sa.select(table.c.id).where(*mine)))


def release(conn: sa.Connection, table: sa.Table, id: int, kernel: str) -> bool:
    stmt = sa.update(table).where(table.c.id == id, table.c.kernel == kernel)
    return conn.execute(stmt.values(lease_until=None)).rowcount > 0

"""Bring a store's schema up to date: Alembic run in-process on the store's own connection.

Opening a store asks one cheap question (which revision is it at?) and imports
Alembic only when something is to be applied. Applying runs inside the
store's write transaction, its lock held (SQLite's ``BEGIN IMMEDIATE``, an
advisory lock on PostgreSQL), and asks again under the lock: two kernels
opening one old store migrate it once.
"""

from __future__ import annotations

import sqlalchemy as sa

from . import schema

__all__ = ["current", "needs_upgrade", "upgrade"]


def current(conn: sa.Connection) -> str | None:
    """The store's revision: Alembic's, else the one a pre-Alembic SQLite file counted.

    ``None`` for an empty database (nothing applied yet).
    """
    return _stamped(conn) or _legacy(conn)


def _stamped(conn: sa.Connection) -> str | None:
    if sa.inspect(conn).has_table("alembic_version"):
        row = conn.execute(sa.text("SELECT version_num FROM alembic_version")).first()
        if row is not None:
            return str(row[0])
    return None


def _legacy(conn: sa.Connection) -> str | None:
    if conn.dialect.name == "sqlite":
        legacy = int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
        if 0 < legacy <= len(schema.REVISIONS):
            return schema.REVISIONS[legacy - 1]
    return None


def needs_upgrade(conn: sa.Connection) -> bool:
    """Whether *conn*'s database lacks a revision, or Alembic's record of the ones it has."""
    revision = _stamped(conn)
    # A revision this release does not know is a newer one: read it as it is (unknown
    # columns are ignored), never "upgrade" it backwards.
    return revision is None or (revision in schema.REVISIONS and revision != schema.HEAD)


def upgrade(conn: sa.Connection, target: str | None = None) -> None:
    """Apply the revisions *conn*'s database lacks up to *target* (the head), in its transaction."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("path_separator", "os")
    config.set_main_option("script_location", str(schema.MIGRATIONS_DIR))
    config.set_main_option("version_locations", str(schema.MIGRATIONS_DIR / "versions"))
    config.attributes["connection"] = conn
    legacy = None if _stamped(conn) else _legacy(conn)
    if legacy is not None:
        command.stamp(config, legacy)  # a pre-Alembic file: start from what it counted
    command.upgrade(config, target or schema.HEAD)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA user_version = {schema.LEGACY_USER_VERSION}")

"""The job table's schema: Alembic migrations shipped in the package, applied on open.

The scripts live in ``migrations/versions/`` (one revision each, named ``0001``,
``0002``, ...) and run on SQLite and PostgreSQL alike; opening a store applies
the ones it lacks (:mod:`.migrate`), with no ``alembic.ini`` to keep. Adding a
column means adding a revision, naming it in :data:`REVISIONS`, *and* adding a
field (defaulting to ``None``) to :class:`~.records.JobRecord`; tests check the
three agree.

A SQLite file written before Alembic counted its migrations in ``PRAGMA
user_version`` (1 to 3, the first three revisions here): it is stamped with
the matching revision and upgraded from there. Fresh SQLite files get
``user_version`` :data:`LEGACY_USER_VERSION` too, so an older ltx-notebook
still opens a store this one made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

__all__ = ["HEAD", "LEGACY_USER_VERSION", "MIGRATIONS_DIR", "REVISIONS"]

# Oldest first. Never edit a released revision; add one.
REVISIONS: Final[tuple[str, ...]] = ("0001", "0002", "0003", "0004", "0005", "0006", "0007")
HEAD: Final = REVISIONS[-1]
# The migrations the last release before Alembic counted (its SCHEMA_VERSION).
LEGACY_USER_VERSION: Final = 4
MIGRATIONS_DIR: Final = Path(__file__).with_name("migrations")

"""The ``request_key`` column: filled for rows written before it existed.

Every row carries ``request_key`` (:func:`~.._core.request_key.request_key`:
model + exact body, a local image by its content), indexed, so the re-run
guard asks one question of the store however many combinations a sweep has.
New rows get it in :meth:`Store.create <.store.Store.create>`; older ones here,
inside the migration that added it (the hash needs Python, not SQL).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .._core.request_key import request_key

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["fill_keys"]


def fill_keys(conn: sa.Connection) -> None:
    """Give every row that has no key its key (inside the migration's transaction)."""
    import sqlalchemy as sa

    rows = conn.execute(
        sa.text("SELECT id, model, params_json FROM jobs WHERE request_key IS NULL")
    ).fetchall()
    update = sa.text("UPDATE jobs SET request_key = :key WHERE id = :id")
    for row_id, model, params_json in rows:
        try:
            body = json.loads(params_json)
        except ValueError:
            continue
        key = request_key(model, body) if isinstance(body, dict) else None
        if key is not None:
            conn.execute(update, {"key": key, "id": row_id})

"""Alembic's entry point, run by :mod:`ltx_notebook._storage.migrate` on a store's connection.

Never from the command line: the connection (inside the store's write
transaction, its lock held) comes in ``config.attributes``, so the migrations
commit together with the store's own bookkeeping, or not at all.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, transaction_per_migration=False)
with context.begin_transaction():  # the store's transaction is already open: joins it
    context.run_migrations()

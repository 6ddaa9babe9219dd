"""The re-run guard's key: model + exact body hashed, so "is this request already in
the store?" is one indexed query. Rows written before it are filled in here (the
hash needs Python, not SQL).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ltx_notebook._storage.keys import fill_keys

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("request_key", sa.Text))
    op.create_index("jobs_request_key", "jobs", ["request_key"])
    fill_keys(op.get_bind())


def downgrade() -> None:
    op.drop_index("jobs_request_key", "jobs")
    op.drop_column("jobs", "request_key")

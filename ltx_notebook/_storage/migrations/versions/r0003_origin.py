"""Where a row came from: NULL for a job submitted from this store, "history" for one
imported from the account's request history (run elsewhere).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("origin", sa.Text))


def downgrade() -> None:
    op.drop_column("jobs", "origin")

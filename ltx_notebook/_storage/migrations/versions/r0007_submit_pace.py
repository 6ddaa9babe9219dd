"""The submit pace a sweep learned from a 429, shared by every kernel of the account.

One row per service (``base_url``, as the jobs table writes it: never a key):
the limit learned (submits per window), its kind, until when the service's
own hint holds submits back, and the quiet-spell bookkeeping of a climb. The
submits themselves are not kept here: they are the jobs table's rows of that
service (see _storage/pace.py).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submit_pace",
        sa.Column("base_url", sa.Text, primary_key=True),
        sa.Column("rate_limit", sa.Integer),
        sa.Column("kind", sa.Text),
        sa.Column("hint_until", sa.Text),
        sa.Column("quiet_since", sa.Text),
        sa.Column("climbs_refused", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("submit_pace")

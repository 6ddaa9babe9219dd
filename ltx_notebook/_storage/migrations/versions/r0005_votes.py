"""The arena's votes: one row per blind A/B verdict (see _storage/votes.py).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "votes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("arena_id", sa.Text, nullable=False),
        sa.Column("voter", sa.Text, nullable=False),
        sa.Column("voted_at", sa.Text, nullable=False),
        sa.Column("left_job", sa.Integer, nullable=False),
        sa.Column("right_job", sa.Integer, nullable=False),
        sa.Column("left_request_id", sa.Text),
        sa.Column("right_request_id", sa.Text),
        sa.Column("outcome", sa.Text, nullable=False),
    )
    op.create_index("votes_pair", "votes", ["left_job", "right_job"])


def downgrade() -> None:
    op.drop_index("votes_pair", table_name="votes")
    op.drop_table("votes")

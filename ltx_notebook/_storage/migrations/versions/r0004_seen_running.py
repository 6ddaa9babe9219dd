"""When a poll last saw the job running, in seconds after the submit: with total_s (when a
poll first saw it done) the interval its end is known to lie in. The service's own
total_time is not promised, so the poll schedule learns from these intervals.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("seen_running_s", sa.Float))


def downgrade() -> None:
    op.drop_column("jobs", "seen_running_s")

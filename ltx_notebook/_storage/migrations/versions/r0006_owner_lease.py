"""Who did what, and which kernel drives a job: a team shares one store.

``owner`` is the person whose kernel made the row (``configure(user=...)``,
default the login name); ``kernel`` the id of the kernel driving it now (its
polls and download) and ``lease_until`` when that claim lapses unless the
kernel renews it: another kernel may take an unfinished job over only after.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name in ("owner", "kernel", "lease_until"):
        op.add_column("jobs", sa.Column(name, sa.Text))
    op.create_index("jobs_owner", "jobs", ["owner"])


def downgrade() -> None:
    op.drop_index("jobs_owner", table_name="jobs")
    for name in ("lease_until", "kernel", "owner"):
        op.drop_column("jobs", name)

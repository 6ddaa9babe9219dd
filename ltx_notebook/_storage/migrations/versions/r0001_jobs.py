"""The jobs table.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None

# SQLite's INTEGER PRIMARY KEY (the rowid); a BIGSERIAL elsewhere.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Times are ISO-8601 UTC text of one fixed shape on every backend: text order is
    # time order, and one code path reads them (see records.to_iso).
    op.create_table(
        "jobs",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("request_id", sa.Text, unique=True),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("duration", sa.BigInteger, nullable=False),
        sa.Column("resolution", sa.Text, nullable=False),
        sa.Column("generate_audio", sa.Boolean, nullable=False),
        sa.Column("image", sa.Text),
        sa.Column("params_json", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("submitted_at", sa.Text),
        sa.Column("started_at", sa.Text),
        sa.Column("completed_at", sa.Text),
        sa.Column("queue_s", sa.Float),
        sa.Column("run_s", sa.Float),
        sa.Column("total_s", sa.Float),
        sa.Column("metrics_json", sa.Text),
        sa.Column("cost", sa.Float),
        sa.Column("cost_estimate", sa.Float),
        sa.Column("output_url", sa.Text),
        sa.Column("url_expires_at", sa.Text),
        sa.Column("status_url", sa.Text),
        sa.Column("response_url", sa.Text),
        sa.Column("video_path", sa.Text),
        sa.Column("file_bytes", sa.BigInteger),
        sa.Column("video_seconds", sa.Float),
        sa.Column("video_width", sa.BigInteger),
        sa.Column("video_height", sa.BigInteger),
        sa.Column("video_fps", sa.Float),
        sa.Column("has_audio", sa.Boolean),
        sa.Column("poster_path", sa.Text),
        sa.Column("sweep_id", sa.Text),
        sa.Column("tag", sa.Text),
        sa.Column("rating", sa.BigInteger),
        sa.Column("notes", sa.Text),
        sa.Column("base_url", sa.Text),
        sa.Column("updated_at", sa.Text, nullable=False),
    )
    op.create_index("jobs_status", "jobs", ["status"])
    op.create_index(
        "jobs_eta", "jobs", ["model", "duration", "resolution", "status", "completed_at"]
    )
    op.create_index("jobs_sweep", "jobs", ["sweep_id"])


def downgrade() -> None:
    op.drop_table("jobs")

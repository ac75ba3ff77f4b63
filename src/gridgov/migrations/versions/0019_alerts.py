"""alerts: the early-warning alerts (异常上升, 反复发生, 超期风险, 走访逾期)

Revision ID: 0019_alerts
Revises: 0018_analytics
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridgov.db

revision: str = "0019_alerts"
down_revision: str | None = "0018_analytics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=14), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("category_code", sa.String(length=20), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=True),
        sa.Column("event_ids", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("detected_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.Column("closed_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index(op.f("ix_alerts_region_path"), "alerts", ["region_path"], unique=False)
    op.create_index("ix_alerts_status_region", "alerts", ["status", "region_path"], unique=False)
    op.create_index("ix_alerts_kind_key", "alerts", ["kind", "dedupe_key"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_alerts_kind_key", table_name="alerts")
    op.drop_index("ix_alerts_status_region", table_name="alerts")
    op.drop_index(op.f("ix_alerts_region_path"), table_name="alerts")
    op.drop_table("alerts")

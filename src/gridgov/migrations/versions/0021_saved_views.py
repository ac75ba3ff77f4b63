"""专题研判: saved analysis views

Revision ID: 0021_saved_views
Revises: 0020_assessment
Create Date: 2026-11-30 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridgov.db

revision: str = "0021_saved_views"
down_revision: str | None = "0020_assessment"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analytics_saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("owner_name", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("region_code", sa.String(length=40), nullable=True),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("preset", sa.String(length=16), nullable=True),
        sa.Column("start", sa.Date(), nullable=True),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("category_code", sa.String(length=20), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("panels", sa.JSON(), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_analytics_saved_views_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_saved_views")),
        sa.UniqueConstraint("owner_id", "name", name=op.f("uq_analytics_saved_views_owner_id")),
    )
    op.create_index(
        op.f("ix_analytics_saved_views_owner_id"), "analytics_saved_views", ["owner_id"]
    )
    op.create_index(
        op.f("ix_analytics_saved_views_region_path"), "analytics_saved_views", ["region_path"]
    )


def downgrade() -> None:
    op.drop_table("analytics_saved_views")

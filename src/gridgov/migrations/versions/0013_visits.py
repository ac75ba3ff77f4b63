"""household and special-group visits

Revision ID: 0013_visits
Revises: 0012_patrol
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridgov.db

revision: str = "0013_visits"
down_revision: str | None = "0012_patrol"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("visited_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("media_ids", sa.JSON(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_visits_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
        sa.UniqueConstraint("user_id", "client_id", name=op.f("uq_visits_user_id")),
    )
    op.create_index(op.f("ix_visits_household_id"), "visits", ["household_id"])
    op.create_index(op.f("ix_visits_member_id"), "visits", ["member_id"])
    op.create_index(op.f("ix_visits_kind"), "visits", ["kind"])
    op.create_index(op.f("ix_visits_region_path"), "visits", ["region_path"])
    op.create_index("ix_visits_user_visited", "visits", ["user_id", "visited_at"])
    op.create_index("ix_visits_visited_region", "visits", ["visited_at", "region_path"])


def downgrade() -> None:
    op.drop_table("visits")

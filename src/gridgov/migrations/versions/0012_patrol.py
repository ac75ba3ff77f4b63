"""patrol tracks, points and worker status

Revision ID: 0012_patrol
Revises: 0011_citizen
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridgov.db

revision: str = "0012_patrol"
down_revision: str | None = "0011_citizen"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "patrols",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("grid_code", sa.String(length=32), nullable=False),
        sa.Column("started_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("ended_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("last_point_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("closed_by", sa.String(length=12), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column("moving_s", sa.Integer(), nullable=False),
        sa.Column("point_count", sa.Integer(), nullable=False),
        sa.Column("kept_count", sa.Integer(), nullable=False),
        sa.Column("dropped_count", sa.Integer(), nullable=False),
        sa.Column("coverage", sa.Float(), nullable=True),
        sa.Column("stops", sa.JSON(), nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("path_t", sa.JSON(), nullable=False),
        sa.Column("stats_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("points_pruned", sa.Boolean(), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_patrols_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrols")),
        sa.UniqueConstraint("user_id", "client_id", name=op.f("uq_patrols_user_id")),
    )
    op.create_index(op.f("ix_patrols_region_path"), "patrols", ["region_path"])
    op.create_index("ix_patrols_user_started", "patrols", ["user_id", "started_at"])
    op.create_index("ix_patrols_status_last_point", "patrols", ["status", "last_point_at"])
    op.create_index("ix_patrols_started_pruned", "patrols", ["started_at", "points_pruned"])
    op.create_table(
        "track_points",
        sa.Column("patrol_id", sa.Integer(), nullable=False),
        sa.Column("t", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("speed_mps", sa.Float(), nullable=True),
        sa.Column("noise", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["patrol_id"], ["patrols.id"], name=op.f("fk_track_points_patrol_id_patrols")
        ),
        sa.PrimaryKeyConstraint("patrol_id", "t", name=op.f("pk_track_points")),
    )
    op.create_table(
        "worker_status",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("on_duty", sa.Boolean(), nullable=False),
        sa.Column("open_patrol_id", sa.Integer(), nullable=True),
        sa.Column("last_lon", sa.Float(), nullable=True),
        sa.Column("last_lat", sa.Float(), nullable=True),
        sa.Column("last_fix_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("last_accuracy_m", sa.Float(), nullable=True),
        sa.Column("last_seen_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("duty_changed_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("updated_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_worker_status_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_worker_status")),
    )
    op.create_index(op.f("ix_worker_status_region_path"), "worker_status", ["region_path"])
    op.create_index(op.f("ix_worker_status_last_seen_at"), "worker_status", ["last_seen_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_worker_status_last_seen_at"), table_name="worker_status")
    op.drop_index(op.f("ix_worker_status_region_path"), table_name="worker_status")
    op.drop_table("worker_status")
    op.drop_table("track_points")
    op.drop_index("ix_patrols_started_pruned", table_name="patrols")
    op.drop_index("ix_patrols_status_last_point", table_name="patrols")
    op.drop_index("ix_patrols_user_started", table_name="patrols")
    op.drop_index(op.f("ix_patrols_region_path"), table_name="patrols")
    op.drop_table("patrols")

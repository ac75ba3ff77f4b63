"""tasks sent to workers, grids and social participants

Revision ID: 0014_tasks
Revises: 0013_visits
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridgov.db

revision: str = "0014_tasks"
down_revision: str | None = "0013_visits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("deadline_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=64), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("target_grid_paths", sa.JSON(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=True),
        sa.Column("household_ids", sa.JSON(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("geometry", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("cancelled_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_tasks_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    op.create_index(op.f("ix_tasks_kind"), "tasks", ["kind"])
    op.create_index(op.f("ix_tasks_created_by"), "tasks", ["created_by"])
    op.create_index(op.f("ix_tasks_region_path"), "tasks", ["region_path"])
    op.create_index(op.f("ix_tasks_campaign_id"), "tasks", ["campaign_id"])
    op.create_index(op.f("ix_tasks_created_at"), "tasks", ["created_at"])
    op.create_index("ix_tasks_status_deadline", "tasks", ["status", "deadline_at"])
    op.create_table(
        "task_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("accepted_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("completed_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("media_ids", sa.JSON(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("reminded_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_assignments_task_id_tasks")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_task_assignments_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_assignments")),
        sa.UniqueConstraint("task_id", "user_id", name=op.f("uq_task_assignments_task_id")),
        sa.UniqueConstraint("user_id", "client_id", name=op.f("uq_task_assignments_user_id")),
    )
    op.create_index(op.f("ix_task_assignments_task_id"), "task_assignments", ["task_id"])
    op.create_index(op.f("ix_task_assignments_region_path"), "task_assignments", ["region_path"])
    op.create_index(
        "ix_task_assignments_user_completed", "task_assignments", ["user_id", "completed_at"]
    )


def downgrade() -> None:
    op.drop_table("task_assignments")
    op.drop_table("tasks")

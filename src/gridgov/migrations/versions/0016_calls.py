"""video call records

Revision ID: 0016_calls
Revises: 0015_campaigns
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridgov.db

revision: str = "0016_calls"
down_revision: str | None = "0015_campaigns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("caller_id", sa.Integer(), nullable=False),
        sa.Column("caller_name", sa.String(length=64), nullable=False),
        sa.Column("callee_id", sa.Integer(), nullable=True),
        sa.Column("callee_name", sa.String(length=64), nullable=False),
        sa.Column("rung_ids", sa.JSON(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("answered_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("ended_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.Column("ended_by", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["callee_id"], ["users.id"], name=op.f("fk_calls_callee_id_users")),
        sa.ForeignKeyConstraint(["caller_id"], ["users.id"], name=op.f("fk_calls_caller_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("call_key", name=op.f("uq_calls_call_key")),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calls_callee_id"), ["callee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_caller_id"), ["caller_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_region_path"), ["region_path"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_started_at"), ["started_at"], unique=False)
        batch_op.create_index("ix_calls_status_started_at", ["status", "started_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_status_started_at")
        batch_op.drop_index(batch_op.f("ix_calls_started_at"))
        batch_op.drop_index(batch_op.f("ix_calls_region_path"))
        batch_op.drop_index(batch_op.f("ix_calls_caller_id"))
        batch_op.drop_index(batch_op.f("ix_calls_callee_id"))
    op.drop_table("calls")

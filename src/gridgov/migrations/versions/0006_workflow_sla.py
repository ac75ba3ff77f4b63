"""workflow step limits, escalation rules and bindings

Revision ID: 0006_workflow_sla
Revises: 0005_event_cases
Create Date: 2026-11-30 10:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridgov.db

revision: str = "0006_workflow_sla"
down_revision: str | None = "0005_event_cases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workflow_instances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("step_deadline_at", gridgov.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("step_warn_at", gridgov.db.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("step_sla_stage", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(sa.Column("step_due_at", gridgov.db.UTCDateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_workflow_instances_step_due_at"), ["step_due_at"], unique=False
        )

    op.create_table(
        "workflow_bindings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=30), nullable=False),
        sa.Column("category_code", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("workflow_code", sa.String(length=40), nullable=False),
        sa.Column("updated_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_bindings")),
        sa.UniqueConstraint(
            "subject_type",
            "category_code",
            "level",
            name=op.f("uq_workflow_bindings_subject_type"),
        ),
    )


def downgrade() -> None:
    op.drop_table("workflow_bindings")
    with op.batch_alter_table("workflow_instances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_instances_step_due_at"))
        batch_op.drop_column("step_due_at")
        batch_op.drop_column("step_sla_stage")
        batch_op.drop_column("step_warn_at")
        batch_op.drop_column("step_deadline_at")

"""routing: rule sets, model versions, decisions

Revision ID: 0007_routing
Revises: 0006_workflow_sla
Create Date: 2026-11-30 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridgov.db

revision: str = "0007_routing"
down_revision: str | None = "0006_workflow_sla"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "routing_rule_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("activated_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("activated_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version"),
    )
    op.create_index("ix_routing_rule_sets_status", "routing_rule_sets", ["status"])
    op.create_table(
        "routing_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("department_model", sa.LargeBinary(), nullable=False),
        sa.Column("category_model", sa.LargeBinary(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("trained_on", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("activated_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version"),
    )
    op.create_index("ix_routing_models_status", "routing_models", ["status"])
    op.create_table(
        "routing_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=30), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("decided_by", sa.String(length=20), nullable=False),
        sa.Column("rule_set_version", sa.Integer(), nullable=True),
        sa.Column("rule_id", sa.String(length=40), nullable=True),
        sa.Column("model_version", sa.Integer(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("department_code", sa.String(length=40), nullable=True),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("final_department_code", sa.String(length=40), nullable=True),
        sa.Column("overridden", sa.Boolean(), nullable=False),
        sa.Column("returned", sa.Boolean(), nullable=False),
        sa.Column("returned_comment", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subject_type", "subject_id"),
    )
    op.create_index("ix_routing_decisions_at", "routing_decisions", ["at"])
    op.create_index("ix_routing_decisions_mode", "routing_decisions", ["mode"])
    op.create_index("ix_routing_decisions_overridden", "routing_decisions", ["overridden"])


def downgrade() -> None:
    op.drop_table("routing_decisions")
    op.drop_table("routing_models")
    op.drop_table("routing_rule_sets")

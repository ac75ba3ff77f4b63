"""assessment: schemes (versioned), frozen monthly snapshots and their scores

Revision ID: 0020_assessment
Revises: 0019_alerts
Create Date: 2026-12-01 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridgov.db

revision: str = "0020_assessment"
down_revision: str | None = "0019_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment_schemes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("target_type", sa.String(length=20), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_schemes")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_assessment_schemes_code")),
    )
    op.create_index(
        op.f("ix_assessment_schemes_code"), "assessment_schemes", ["code"], unique=False
    )
    op.create_table(
        "assessment_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("scheme_code", sa.String(length=40), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("target_type", sa.String(length=20), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("frozen_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("frozen_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["scheme_id"],
            ["assessment_schemes.id"],
            name=op.f("fk_assessment_snapshots_scheme_id_assessment_schemes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_snapshots")),
        sa.UniqueConstraint(
            "scheme_code", "month", name=op.f("uq_assessment_snapshots_scheme_code")
        ),
    )
    op.create_index(
        op.f("ix_assessment_snapshots_scheme_id"),
        "assessment_snapshots",
        ["scheme_id"],
        unique=False,
    )
    op.create_table(
        "assessment_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("target_key", sa.String(length=40), nullable=False),
        sa.Column("target_label", sa.String(length=100), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["assessment_snapshots.id"],
            name=op.f("fk_assessment_scores_snapshot_id_assessment_snapshots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_scores")),
        sa.UniqueConstraint(
            "snapshot_id", "target_key", name=op.f("uq_assessment_scores_snapshot_id")
        ),
    )
    op.create_index(
        "ix_assessment_scores_snapshot_rank", "assessment_scores", ["snapshot_id", "rank"]
    )
    op.create_index(op.f("ix_assessment_scores_region_path"), "assessment_scores", ["region_path"])


def downgrade() -> None:
    op.drop_index(op.f("ix_assessment_scores_region_path"), table_name="assessment_scores")
    op.drop_index("ix_assessment_scores_snapshot_rank", table_name="assessment_scores")
    op.drop_table("assessment_scores")
    op.drop_index(op.f("ix_assessment_snapshots_scheme_id"), table_name="assessment_snapshots")
    op.drop_table("assessment_snapshots")
    op.drop_index(op.f("ix_assessment_schemes_code"), table_name="assessment_schemes")
    op.drop_table("assessment_schemes")

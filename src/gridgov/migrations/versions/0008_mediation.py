"""mediation: disputes, their parties and early-warning alerts

Revision ID: 0008_mediation
Revises: 0007_routing
Create Date: 2026-11-30 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridgov.db

revision: str = "0008_mediation"
down_revision: str | None = "0007_routing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("dispute_type", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("address_key", sa.String(length=200), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_event_id", sa.Integer(), nullable=True),
        sa.Column("risk_grade", sa.String(length=10), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("mediators", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("referral", sa.String(length=12), nullable=True),
        sa.Column("agreement_terms", sa.Text(), nullable=False),
        sa.Column("performance", sa.String(length=12), nullable=True),
        sa.Column("deadline_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("warn_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("sla_stage", sa.Integer(), nullable=False),
        sa.Column("workflow_instance_id", sa.Integer(), nullable=True),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("reporter_username", sa.String(length=64), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("outcome_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("closed_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_disputes_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
        sa.UniqueConstraint("code", name=op.f("uq_disputes_code")),
    )
    op.create_index(
        "ix_disputes_address_created", "disputes", ["address_key", "created_at"], unique=False
    )
    op.create_index(
        "ix_disputes_created_region", "disputes", ["created_at", "region_path"], unique=False
    )
    op.create_index(op.f("ix_disputes_deadline_at"), "disputes", ["deadline_at"], unique=False)
    op.create_index(op.f("ix_disputes_dispute_type"), "disputes", ["dispute_type"], unique=False)
    op.create_index(
        op.f("ix_disputes_organisation_id"), "disputes", ["organisation_id"], unique=False
    )
    op.create_index(op.f("ix_disputes_outcome"), "disputes", ["outcome"], unique=False)
    op.create_index(op.f("ix_disputes_region_path"), "disputes", ["region_path"], unique=False)
    op.create_index(
        op.f("ix_disputes_source_event_id"), "disputes", ["source_event_id"], unique=False
    )
    op.create_index(op.f("ix_disputes_status"), "disputes", ["status"], unique=False)
    op.create_index(
        "ix_disputes_status_deadline", "disputes", ["status", "deadline_at"], unique=False
    )
    op.create_index(op.f("ix_disputes_warn_at"), "disputes", ["warn_at"], unique=False)
    op.create_index(
        op.f("ix_disputes_workflow_instance_id"), "disputes", ["workflow_instance_id"], unique=False
    )
    op.create_table(
        "dispute_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=14), nullable=False),
        sa.Column("notified", sa.Integer(), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.Column("closed_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispute_id"], ["disputes.id"], name=op.f("fk_dispute_alerts_dispute_id_disputes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_alerts")),
    )
    op.create_index(
        op.f("ix_dispute_alerts_dispute_id"), "dispute_alerts", ["dispute_id"], unique=False
    )
    op.create_index(
        op.f("ix_dispute_alerts_region_path"), "dispute_alerts", ["region_path"], unique=False
    )
    op.create_index(
        "ix_dispute_alerts_status_region", "dispute_alerts", ["status", "region_path"], unique=False
    )
    op.create_table(
        "dispute_parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("id_number_cipher", sa.Text(), nullable=True),
        sa.Column("id_number_hash", sa.String(length=64), nullable=True),
        sa.Column("id_number_masked", sa.String(length=40), nullable=True),
        sa.Column("phone_cipher", sa.Text(), nullable=True),
        sa.Column("phone_hash", sa.String(length=64), nullable=True),
        sa.Column("phone_masked", sa.String(length=20), nullable=True),
        sa.Column("party_key", sa.String(length=80), nullable=True),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispute_id"], ["disputes.id"], name=op.f("fk_dispute_parties_dispute_id_disputes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_parties")),
    )
    op.create_index(
        op.f("ix_dispute_parties_dispute_id"), "dispute_parties", ["dispute_id"], unique=False
    )
    op.create_index(
        op.f("ix_dispute_parties_party_key"), "dispute_parties", ["party_key"], unique=False
    )
    op.create_index(
        op.f("ix_dispute_parties_person_id"), "dispute_parties", ["person_id"], unique=False
    )
    op.create_index(
        op.f("ix_dispute_parties_region_path"), "dispute_parties", ["region_path"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_dispute_parties_region_path"), table_name="dispute_parties")
    op.drop_index(op.f("ix_dispute_parties_person_id"), table_name="dispute_parties")
    op.drop_index(op.f("ix_dispute_parties_party_key"), table_name="dispute_parties")
    op.drop_index(op.f("ix_dispute_parties_dispute_id"), table_name="dispute_parties")
    op.drop_table("dispute_parties")
    op.drop_index("ix_dispute_alerts_status_region", table_name="dispute_alerts")
    op.drop_index(op.f("ix_dispute_alerts_region_path"), table_name="dispute_alerts")
    op.drop_index(op.f("ix_dispute_alerts_dispute_id"), table_name="dispute_alerts")
    op.drop_table("dispute_alerts")
    op.drop_index(op.f("ix_disputes_workflow_instance_id"), table_name="disputes")
    op.drop_index(op.f("ix_disputes_warn_at"), table_name="disputes")
    op.drop_index("ix_disputes_status_deadline", table_name="disputes")
    op.drop_index(op.f("ix_disputes_status"), table_name="disputes")
    op.drop_index(op.f("ix_disputes_source_event_id"), table_name="disputes")
    op.drop_index(op.f("ix_disputes_region_path"), table_name="disputes")
    op.drop_index(op.f("ix_disputes_outcome"), table_name="disputes")
    op.drop_index(op.f("ix_disputes_organisation_id"), table_name="disputes")
    op.drop_index(op.f("ix_disputes_dispute_type"), table_name="disputes")
    op.drop_index(op.f("ix_disputes_deadline_at"), table_name="disputes")
    op.drop_index("ix_disputes_created_region", table_name="disputes")
    op.drop_index("ix_disputes_address_created", table_name="disputes")
    op.drop_table("disputes")

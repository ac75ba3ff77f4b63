"""campaign forms, campaigns and responses

Revision ID: 0015_campaigns
Revises: 0014_tasks
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridgov.db

revision: str = "0015_campaigns"
down_revision: str | None = "0014_tasks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaign_forms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_forms")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_campaign_forms_code")),
    )
    with op.batch_alter_table("campaign_forms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_forms_code"), ["code"], unique=False)

    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("target_kind", sa.String(length=12), nullable=False),
        sa.Column("target_region_codes", sa.JSON(), nullable=False),
        sa.Column("target_household_ids", sa.JSON(), nullable=False),
        sa.Column("target_count", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("closed_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["form_id"], ["campaign_forms.id"], name=op.f("fk_campaigns_form_id_campaign_forms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaigns_ends_on"), ["ends_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_campaigns_form_id"), ["form_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_campaigns_region_path"), ["region_path"], unique=False)

    op.create_table(
        "campaign_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("done_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_targets_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_campaign_targets_household_id_households"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_targets")),
        sa.UniqueConstraint(
            "campaign_id", "household_id", name=op.f("uq_campaign_targets_campaign_id")
        ),
    )
    with op.batch_alter_table("campaign_targets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_campaign_targets_campaign_region",
            ["campaign_id", "region_path", "status"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_campaign_targets_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_campaign_targets_region_path"), ["region_path"], unique=False
        )

    op.create_table(
        "campaign_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=True),
        sa.Column("replaced_by", sa.Integer(), nullable=True),
        sa.Column("replaced_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("filled_by_id", sa.Integer(), nullable=True),
        sa.Column("filled_by", sa.String(length=64), nullable=False),
        sa.Column("filled_by_name", sa.String(length=64), nullable=False),
        sa.Column("filled_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_responses_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["campaign_forms.id"],
            name=op.f("fk_campaign_responses_form_id_campaign_forms"),
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["campaign_targets.id"],
            name=op.f("fk_campaign_responses_target_id_campaign_targets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_responses")),
        sa.UniqueConstraint(
            "filled_by_id", "client_id", name=op.f("uq_campaign_responses_filled_by_id")
        ),
    )
    with op.batch_alter_table("campaign_responses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_campaign_responses_campaign_region", ["campaign_id", "region_path"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_campaign_responses_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_campaign_responses_region_path"), ["region_path"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_campaign_responses_target_id"), ["target_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_responses_target_id"))
        batch_op.drop_index(batch_op.f("ix_campaign_responses_region_path"))
        batch_op.drop_index(batch_op.f("ix_campaign_responses_household_id"))
        batch_op.drop_index("ix_campaign_responses_campaign_region")

    op.drop_table("campaign_responses")
    with op.batch_alter_table("campaign_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_targets_region_path"))
        batch_op.drop_index(batch_op.f("ix_campaign_targets_household_id"))
        batch_op.drop_index("ix_campaign_targets_campaign_region")

    op.drop_table("campaign_targets")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaigns_region_path"))
        batch_op.drop_index(batch_op.f("ix_campaigns_form_id"))
        batch_op.drop_index(batch_op.f("ix_campaigns_ends_on"))

    op.drop_table("campaigns")
    with op.batch_alter_table("campaign_forms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_forms_code"))

    op.drop_table("campaign_forms")

"""event assisting handlers and case work

Revision ID: 0005_event_cases
Revises: 0004_media
Create Date: 2026-11-30 10:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridgov.db

revision: str = "0005_event_cases"
down_revision: str | None = "0004_media"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch_op:
        batch_op.add_column(sa.Column("spot_check", sa.String(length=10), nullable=True))
        batch_op.create_index(batch_op.f("ix_events_spot_check"), ["spot_check"], unique=False)
        batch_op.drop_index("ix_events_status_category")
        batch_op.create_index(
            "ix_events_status_category", ["status", "category_code", "region_path"], unique=False
        )
        batch_op.drop_index(batch_op.f("ix_events_category_code"))
        batch_op.create_index(
            "ix_events_category_created", ["category_code", "created_at"], unique=False
        )
        batch_op.drop_index(batch_op.f("ix_events_created_at"))
        batch_op.create_index(
            "ix_events_created_region", ["created_at", "region_path"], unique=False
        )
        batch_op.create_index(
            "ix_events_status_region_deadline",
            ["status", "region_path", "deadline_at"],
            unique=False,
        )
    op.create_table(
        "event_assists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("assigned_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("feedback", sa.Text(), nullable=False),
        sa.Column("fed_back_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("fed_back_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["organisations.id"],
            name=op.f("fk_event_assists_department_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_assists_event_id_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_assists")),
        sa.UniqueConstraint("event_id", "department_id", name=op.f("uq_event_assists_event_id")),
    )
    op.create_index(op.f("ix_event_assists_event_id"), "event_assists", ["event_id"])
    op.create_index(op.f("ix_event_assists_department_id"), "event_assists", ["department_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_event_assists_department_id"), table_name="event_assists")
    op.drop_index(op.f("ix_event_assists_event_id"), table_name="event_assists")
    op.drop_table("event_assists")
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_index("ix_events_status_region_deadline")
        batch_op.drop_index("ix_events_category_created")
        batch_op.create_index(
            batch_op.f("ix_events_category_code"), ["category_code"], unique=False
        )
        batch_op.drop_index("ix_events_created_region")
        batch_op.create_index(batch_op.f("ix_events_created_at"), ["created_at"], unique=False)
        batch_op.drop_index("ix_events_status_category")
        batch_op.create_index(
            "ix_events_status_category", ["status", "category_code"], unique=False
        )
        batch_op.drop_index(batch_op.f("ix_events_spot_check"))
        batch_op.drop_column("spot_check")

"""events, workflow engine, notifications

Revision ID: 0003_events
Revises: 0002_registry
Create Date: 2026-11-30 09:58:12.857597
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridgov.db

revision: str = "0003_events"
down_revision: str | None = "0002_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("parent_code", sa.String(length=20), nullable=True),
        sa.Column("time_limit_hours", sa.Float(), nullable=False),
        sa.Column("default_department_code", sa.String(length=40), nullable=True),
        sa.Column("workflow_code", sa.String(length=40), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_categories")),
        sa.UniqueConstraint("code", name=op.f("uq_event_categories_code")),
    )
    with op.batch_alter_table("event_categories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_categories_parent_code"), ["parent_code"], unique=False
        )

    op.create_table(
        "workflow_definitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_definitions")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_workflow_definitions_code")),
    )
    with op.batch_alter_table("workflow_definitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workflow_definitions_code"), ["code"], unique=False)

    op.create_table(
        "workflow_instances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=30), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("started_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("state_entered_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("ended_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["workflow_definitions.id"],
            name=op.f("fk_workflow_instances_definition_id_workflow_definitions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_instances")),
        sa.UniqueConstraint(
            "subject_type", "subject_id", name=op.f("uq_workflow_instances_subject_type")
        ),
    )
    with op.batch_alter_table("workflow_instances", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workflow_instances_definition_id"), ["definition_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_workflow_instances_region_path"), ["region_path"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_workflow_instances_state"), ["state"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category_code", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("urgency", sa.String(length=10), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("special_grids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("reporter_key", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("deadline_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("warn_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("sla_stage", sa.Integer(), nullable=False),
        sa.Column("workflow_instance_id", sa.Integer(), nullable=True),
        sa.Column("classified_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("closed_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["organisations.id"],
            name=op.f("fk_events_department_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("code", name=op.f("uq_events_code")),
        sa.UniqueConstraint("reporter_key", "idempotency_key", name=op.f("uq_events_reporter_key")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_category_code"), ["category_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_events_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_deadline_at"), ["deadline_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_events_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index("ix_events_lon_lat", ["lon", "lat"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_region_path"), ["region_path"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_reporter_id"), ["reporter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_source"), ["source"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_status"), ["status"], unique=False)
        batch_op.create_index(
            "ix_events_status_category", ["status", "category_code"], unique=False
        )
        batch_op.create_index("ix_events_status_deadline", ["status", "deadline_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_warn_at"), ["warn_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_events_workflow_instance_id"), ["workflow_instance_id"], unique=False
        )

    op.create_table(
        "workflow_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("from_state", sa.String(length=40), nullable=True),
        sa.Column("to_state", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_username", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=30), nullable=False),
        sa.Column("at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["workflow_instances.id"],
            name=op.f("fk_workflow_steps_instance_id_workflow_instances"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_steps")),
        sa.UniqueConstraint("instance_id", "seq", name=op.f("uq_workflow_steps_instance_id")),
    )
    with op.batch_alter_table("workflow_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workflow_steps_instance_id"), ["instance_id"], unique=False
        )

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("read_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notifications_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notifications_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_notifications_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_user_id"))
        batch_op.drop_index(batch_op.f("ix_notifications_kind"))
        batch_op.drop_index(batch_op.f("ix_notifications_created_at"))

    op.drop_table("notifications")
    with op.batch_alter_table("workflow_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_steps_instance_id"))

    op.drop_table("workflow_steps")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_workflow_instance_id"))
        batch_op.drop_index(batch_op.f("ix_events_warn_at"))
        batch_op.drop_index("ix_events_status_deadline")
        batch_op.drop_index("ix_events_status_category")
        batch_op.drop_index(batch_op.f("ix_events_status"))
        batch_op.drop_index(batch_op.f("ix_events_source"))
        batch_op.drop_index(batch_op.f("ix_events_reporter_id"))
        batch_op.drop_index(batch_op.f("ix_events_region_path"))
        batch_op.drop_index("ix_events_lon_lat")
        batch_op.drop_index(batch_op.f("ix_events_department_id"))
        batch_op.drop_index(batch_op.f("ix_events_deadline_at"))
        batch_op.drop_index(batch_op.f("ix_events_created_at"))
        batch_op.drop_index(batch_op.f("ix_events_category_code"))

    op.drop_table("events")
    with op.batch_alter_table("workflow_instances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_instances_state"))
        batch_op.drop_index(batch_op.f("ix_workflow_instances_region_path"))
        batch_op.drop_index(batch_op.f("ix_workflow_instances_definition_id"))

    op.drop_table("workflow_instances")
    with op.batch_alter_table("workflow_definitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_definitions_code"))

    op.drop_table("workflow_definitions")
    with op.batch_alter_table("event_categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_categories_parent_code"))

    op.drop_table("event_categories")

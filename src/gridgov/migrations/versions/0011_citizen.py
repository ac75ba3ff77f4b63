"""citizen channel and Open311: phones, devices, codes, app reports, API keys, requests

Revision ID: 0011_citizen
Revises: 0010_gis
Create Date: 2026-11-30 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridgov.db

revision: str = "0011_citizen"
down_revision: str | None = "0010_gis"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "open311_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("key_prefix", sa.String(length=12), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("requests_per_minute", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_open311_keys_key_hash")),
        sa.UniqueConstraint("name", name=op.f("uq_open311_keys_name")),
    )
    op.create_table(
        "phone_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("ip_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("consumed_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_verifications")),
    )
    with op.batch_alter_table("phone_verifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_phone_verifications_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_phone_verifications_ip_hash"), ["ip_hash"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_phone_verifications_phone_hash"), ["phone_hash"], unique=False
        )

    op.create_table(
        "citizen_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("ip_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_citizen_devices_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_devices")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_citizen_devices_token_hash")),
    )
    with op.batch_alter_table("citizen_devices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_citizen_devices_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_citizen_devices_ip_hash"), ["ip_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_citizen_devices_user_id"), ["user_id"], unique=False)

    op.create_table(
        "citizen_phones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("phone_cipher", sa.String(length=255), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("phone_masked", sa.String(length=20), nullable=False),
        sa.Column("verified_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_citizen_phones_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_phones")),
        sa.UniqueConstraint("phone_hash", name=op.f("uq_citizen_phones_phone_hash")),
        sa.UniqueConstraint("user_id", name=op.f("uq_citizen_phones_user_id")),
    )
    op.create_table(
        "citizen_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("device_hash", sa.String(length=64), nullable=True),
        sa.Column("ip_hash", sa.String(length=64), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_citizen_reports_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_citizen_reports_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_reports")),
        sa.UniqueConstraint("event_id", name=op.f("uq_citizen_reports_event_id")),
    )
    with op.batch_alter_table("citizen_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_citizen_reports_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_citizen_reports_device_hash"), ["device_hash"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_citizen_reports_ip_hash"), ["ip_hash"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_citizen_reports_region_path"), ["region_path"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_citizen_reports_user_id"), ["user_id"], unique=False)

    op.create_table(
        "open311_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=40), nullable=False),
        sa.Column("service_code", sa.String(length=20), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("media_url", sa.String(length=500), nullable=True),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["open311_keys.id"],
            name=op.f("fk_open311_requests_api_key_id_open311_keys"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_open311_requests_event_id_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_requests")),
        sa.UniqueConstraint("event_id", name=op.f("uq_open311_requests_event_id")),
        sa.UniqueConstraint("token", name=op.f("uq_open311_requests_token")),
    )
    with op.batch_alter_table("open311_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_open311_requests_api_key_id"), ["api_key_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_open311_requests_region_path"), ["region_path"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("open311_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open311_requests_region_path"))
        batch_op.drop_index(batch_op.f("ix_open311_requests_api_key_id"))

    op.drop_table("open311_requests")
    with op.batch_alter_table("citizen_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_reports_user_id"))
        batch_op.drop_index(batch_op.f("ix_citizen_reports_region_path"))
        batch_op.drop_index(batch_op.f("ix_citizen_reports_ip_hash"))
        batch_op.drop_index(batch_op.f("ix_citizen_reports_device_hash"))
        batch_op.drop_index(batch_op.f("ix_citizen_reports_created_at"))

    op.drop_table("citizen_reports")
    op.drop_table("citizen_phones")
    with op.batch_alter_table("citizen_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_devices_user_id"))
        batch_op.drop_index(batch_op.f("ix_citizen_devices_ip_hash"))
        batch_op.drop_index(batch_op.f("ix_citizen_devices_created_at"))

    op.drop_table("citizen_devices")
    with op.batch_alter_table("phone_verifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phone_verifications_phone_hash"))
        batch_op.drop_index(batch_op.f("ix_phone_verifications_ip_hash"))
        batch_op.drop_index(batch_op.f("ix_phone_verifications_created_at"))

    op.drop_table("phone_verifications")
    op.drop_table("open311_keys")

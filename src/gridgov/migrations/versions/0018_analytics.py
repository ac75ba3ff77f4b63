"""analytics: case facts, daily and monthly rollups, the rollup watermark

Revision ID: 0018_analytics
Revises: 0017_spatial_index
Create Date: 2026-12-01 10:00:00

Derived tables only: ``gridgov analytics rollup --full`` rebuilds them from the cases.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridgov.db

revision: str = "0018_analytics"
down_revision: str | None = "0017_spatial_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The additive counters of the daily and monthly tables, in the models' order.
COUNTERS = (
    "reported",
    "accepted",
    "voided",
    "st_pending",
    "st_in_progress",
    "st_suspended",
    "st_closed",
    "due",
    "due_closed",
    "due_on_time",
    "due_open",
    "closed",
    "closed_on_time",
    "self_settled",
    "reworked",
    "escalated",
    "settled_grid",
    "settled_community",
    "settled_street",
    "settled_district",
    "handling_seconds",
    "rated",
    "satisfaction_sum",
    "satisfied",
    "dissatisfied",
)


def _counters() -> list[sa.Column[int]]:
    return [
        sa.Column(
            name, sa.BigInteger() if name == "handling_seconds" else sa.Integer(), nullable=False
        )
        for name in COUNTERS
    ]


def _ancestors() -> list[sa.Column[str]]:
    return [sa.Column(f"up{n}_path", sa.String(length=255), nullable=True) for n in range(1, 5)]


def upgrade() -> None:
    op.create_table(
        "analytics_case_facts",
        sa.Column("event_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        *_ancestors(),
        sa.Column("category_code", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("report_day", sa.Date(), nullable=False),
        sa.Column("report_month", sa.Date(), nullable=False),
        sa.Column("due_day", sa.Date(), nullable=True),
        sa.Column("due_month", sa.Date(), nullable=True),
        sa.Column("closed_day", sa.Date(), nullable=True),
        sa.Column("closed_month", sa.Date(), nullable=True),
        sa.Column("status_group", sa.String(length=12), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("voided", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Integer(), nullable=False),
        sa.Column("self_settled", sa.Integer(), nullable=False),
        sa.Column("reworked", sa.Integer(), nullable=False),
        sa.Column("escalated", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("handling_seconds", sa.BigInteger(), nullable=False),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_analytics_case_facts")),
    )
    op.create_index(
        "ix_analytics_facts_report", "analytics_case_facts", ["report_day", "region_path"]
    )
    op.create_index("ix_analytics_facts_due", "analytics_case_facts", ["due_day", "region_path"])
    op.create_index(
        "ix_analytics_facts_closed", "analytics_case_facts", ["closed_day", "region_path"]
    )

    op.create_table(
        "analytics_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("category_code", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("department_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        *_ancestors(),
        *_counters(),
        sa.PrimaryKeyConstraint(
            "day",
            "region_path",
            "category_code",
            "source",
            "department_id",
            name=op.f("pk_analytics_daily"),
        ),
    )
    op.create_index("ix_analytics_daily_month", "analytics_daily", ["month", "region_path"])

    op.create_table(
        "analytics_monthly",
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("category_code", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("department_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("up", sa.Integer(), nullable=False),
        *_counters(),
        sa.PrimaryKeyConstraint(
            "region_path",
            "month",
            "category_code",
            "source",
            "department_id",
            name=op.f("pk_analytics_monthly"),
        ),
    )
    op.create_index("ix_analytics_monthly_up", "analytics_monthly", ["up", "month", "region_path"])

    op.create_table(
        "analytics_rollup_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("watermark_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("max_event_id", sa.Integer(), nullable=False),
        sa.Column("full_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("run_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("cases_seen", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_rollup_state")),
    )
    op.create_index("ix_events_updated_at", "events", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_events_updated_at", table_name="events")
    op.drop_table("analytics_rollup_state")
    op.drop_index("ix_analytics_monthly_up", table_name="analytics_monthly")
    op.drop_table("analytics_monthly")
    op.drop_index("ix_analytics_daily_month", table_name="analytics_daily")
    op.drop_table("analytics_daily")
    for name in (
        "ix_analytics_facts_closed",
        "ix_analytics_facts_due",
        "ix_analytics_facts_report",
    ):
        op.drop_index(name, table_name="analytics_case_facts")
    op.drop_table("analytics_case_facts")

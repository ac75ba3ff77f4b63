"""analytics: the nodes' daily rows and the per-node totals

Revision ID: 0022_analytics_nodes
Revises: 0021_saved_views
Create Date: 2026-12-01 21:00:00

Derived tables only: ``gridgov analytics rollup --full`` fills them from the cases (an
upgraded database answers from them after its next full rollup).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_analytics_nodes"
down_revision: str | None = "0021_saved_views"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The additive counters of the rollup tables, in the models' order (as in 0018_analytics).
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


def upgrade() -> None:
    op.create_index("ix_analytics_daily_grid", "analytics_daily", ["region_path", "day"])
    op.create_table(
        "analytics_node_daily",
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("category_code", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("up", sa.Integer(), nullable=False),
        sa.Column("parent_path", sa.String(length=255), nullable=True),
        *_counters(),
        sa.PrimaryKeyConstraint(
            "region_path", "day", "category_code", "source", name=op.f("pk_analytics_node_daily")
        ),
    )
    op.create_table(
        "analytics_totals",
        sa.Column("grain", sa.String(length=5), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("up", sa.Integer(), nullable=False),
        sa.Column("parent_path", sa.String(length=255), nullable=True),
        *_counters(),
        sa.PrimaryKeyConstraint(
            "grain", "region_path", "first_day", name=op.f("pk_analytics_totals")
        ),
    )
    op.create_index(
        "ix_analytics_totals_up", "analytics_totals", ["grain", "up", "first_day", "parent_path"]
    )


def downgrade() -> None:
    op.drop_index("ix_analytics_totals_up", table_name="analytics_totals")
    op.drop_table("analytics_totals")
    op.drop_table("analytics_node_daily")
    op.drop_index("ix_analytics_daily_grid", table_name="analytics_daily")

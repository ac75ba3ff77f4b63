"""alerts: the root-cause case of a recurrence; events: indexes for the live worker board

Revision ID: 0024_alert_root_case
Revises: 0023_event_search
Create Date: 2026-12-01 00:30:00

``alerts.root_event_id`` / ``root_event_code``: a recurrence alert merged into one root-cause
case (合并为根源案件) records the case made for it.

``events (reporter_id, created_at | deadline_at | closed_at)``: the assessment's live worker
board reads each worker's reported cases in a month by the figure's anchor. With only
``reporter_id`` indexed, SQLite walked every case the 400 workers ever reported for each
figure (about 0.8 s each, five figures: 4.5 s at the district tier, load 6 on 2 cores);
with these it reads the month's rows (0.6–0.9 s for the whole board). An index on
``closed_at`` alone was not used by SQLite (no planner statistics: it keeps ``reporter_id``);
PostgreSQL uses ``(reporter_id, closed_at)`` for the closed figures (340 → 26 ms) and its own
range indexes for the others.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_alert_root_case"
down_revision: str | None = "0023_event_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOARD_INDEXES = (
    ("ix_events_reporter_created", "created_at"),
    ("ix_events_reporter_deadline", "deadline_at"),
    ("ix_events_reporter_closed", "closed_at"),
)


def upgrade() -> None:
    op.add_column("alerts", sa.Column("root_event_id", sa.Integer(), nullable=True))
    op.add_column("alerts", sa.Column("root_event_code", sa.String(length=24), nullable=True))
    for name, column in BOARD_INDEXES:
        op.create_index(name, "events", ["reporter_id", column], unique=False)


def downgrade() -> None:
    for name, _ in reversed(BOARD_INDEXES):
        op.drop_index(name, table_name="events")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("root_event_code")
        batch.drop_column("root_event_id")

"""gis: indexes of the map on the cases table

Revision ID: 0010_gis
Revises: 0009_networks
Create Date: 2026-11-30 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010_gis"
down_revision: str | None = "0009_networks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_events_created_lon_lat", "events", ["created_at", "lon", "lat"])
    op.create_index("ix_events_reporter_latest", "events", ["reporter_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_events_reporter_latest", table_name="events")
    op.drop_index("ix_events_created_lon_lat", table_name="events")

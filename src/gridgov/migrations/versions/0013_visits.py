"""household and special-group visits

Revision ID: 0013_visits
Revises: 0012_patrol
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0013_visits"
down_revision: str | None = "0012_patrol"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

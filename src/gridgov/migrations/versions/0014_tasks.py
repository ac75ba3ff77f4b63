"""tasks sent to workers, grids and social participants

Revision ID: 0014_tasks
Revises: 0013_visits
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0014_tasks"
down_revision: str | None = "0013_visits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""campaign forms, campaigns and responses

Revision ID: 0015_campaigns
Revises: 0014_tasks
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0015_campaigns"
down_revision: str | None = "0014_tasks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

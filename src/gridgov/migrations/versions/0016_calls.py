"""video call records

Revision ID: 0016_calls
Revises: 0015_campaigns
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0016_calls"
down_revision: str | None = "0015_campaigns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

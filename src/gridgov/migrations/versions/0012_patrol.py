"""patrol tracks, points and worker status

Revision ID: 0012_patrol
Revises: 0011_citizen
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0012_patrol"
down_revision: str | None = "0011_citizen"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""reference_revision: the counter behind the per-process copies of reference rows

Revision ID: 0025_reference_revision
Revises: 0024_alert_root_case
Create Date: 2026-12-01 03:40:00

Every request looks up its account (and scope), and every report its category, workflow
binding and workflow definition: rows that change a few times a day. ``kit.refcache`` keeps
copies of them per process while ``reference_revision.revision`` stays the same; the triggers
made here move it on any insert, update or delete of those tables, in the same transaction,
so no writer can forget to. SQLite has row triggers only (a seed writing a few hundred
accounts moves it a few hundred times, which costs nothing); PostgreSQL gets one statement
trigger per table. The counter starts at a random value: a database made again at the same
URL must not meet an earlier one's copies.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025_reference_revision"
down_revision: str | None = "0024_alert_root_case"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WATCHED_TABLES = (
    "users",
    "grid_assignments",
    "event_categories",
    "workflow_bindings",
    "workflow_definitions",
)
BUMP = "UPDATE reference_revision SET revision = revision + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "reference_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_revision")),
    )
    # Below 2**52: stays exact wherever it passes through a float (JSON, JavaScript).
    start = secrets.randbelow(2**40) * 4096
    op.execute(sa.text(f"INSERT INTO reference_revision (id, revision) VALUES (1, {start})"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION bump_reference_revision() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table in WATCHED_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_reference_revision "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_revision()"
            )
        return
    for table in WATCHED_TABLES:
        for change in ("insert", "update", "delete"):
            op.execute(
                f"CREATE TRIGGER {table}_{change}_reference_revision "
                f"AFTER {change.upper()} ON {table} BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_reference_revision ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bump_reference_revision()")
    else:
        for table in WATCHED_TABLES:
            for change in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{change}_reference_revision")
    op.drop_table("reference_revision")

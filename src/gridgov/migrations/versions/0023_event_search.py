"""an index for the free-text case filter

Revision ID: 0023_event_search
Revises: 0022_analytics_nodes
Create Date: 2026-11-30 20:30:00

``events.search_text`` holds the character bigrams of a case's title and address
(events/search.py). SQLite indexes it with an external-content FTS5 table kept by triggers
(so every insert path stays indexed); PostgreSQL with a GIN index over the terms as an array.
Neither index is a model: ``gridgov.schema.UNMODELLED_PREFIXES`` names them. Existing cases are
indexed here, in batches.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gridgov.events.search import document

revision: str = "0023_event_search"
down_revision: str | None = "0022_analytics_nodes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5_000

SQLITE_UP = (
    "CREATE VIRTUAL TABLE events_fts USING fts5(search_text, content='events', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "INSERT INTO events_fts(events_fts) VALUES ('rebuild')",
    """CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN
        INSERT INTO events_fts(rowid, search_text) VALUES (NEW.id, NEW.search_text);
    END""",
    """CREATE TRIGGER events_fts_update AFTER UPDATE OF search_text ON events BEGIN
        INSERT INTO events_fts(events_fts, rowid, search_text)
            VALUES ('delete', OLD.id, OLD.search_text);
        INSERT INTO events_fts(rowid, search_text) VALUES (NEW.id, NEW.search_text);
    END""",
    """CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN
        INSERT INTO events_fts(events_fts, rowid, search_text)
            VALUES ('delete', OLD.id, OLD.search_text);
    END""",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS events_fts_delete",
    "DROP TRIGGER IF EXISTS events_fts_update",
    "DROP TRIGGER IF EXISTS events_fts_insert",
    "DROP TABLE IF EXISTS events_fts",
)
POSTGRESQL_UP = (
    "CREATE INDEX ix_events_search_terms ON events USING gin (string_to_array(search_text, ' '))",
)
POSTGRESQL_DOWN = ("DROP INDEX IF EXISTS ix_events_search_terms",)


def _index_existing() -> None:
    bind = op.get_bind()
    events = sa.table(
        "events",
        sa.column("id", sa.Integer),
        sa.column("title", sa.String),
        sa.column("address", sa.String),
        sa.column("search_text", sa.Text),
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(events.c.id, events.c.title, events.c.address)
            .where(events.c.id > last)
            .order_by(events.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            events.update()
            .where(events.c.id == sa.bindparam("case_id"))
            .values(search_text=sa.bindparam("terms")),
            [{"case_id": r.id, "terms": document(r.title, r.address)} for r in rows],
        )
        last = rows[-1].id


def upgrade() -> None:
    op.add_column("events", sa.Column("search_text", sa.Text(), server_default="", nullable=False))
    # Filled before the SQLite index exists, so its 'rebuild' reads the final terms once.
    _index_existing()
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_UP if dialect == "sqlite" else POSTGRESQL_UP:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_DOWN if dialect == "sqlite" else POSTGRESQL_DOWN:
        op.execute(statement)
    with op.batch_alter_table("events") as batch:
        batch.drop_column("search_text")

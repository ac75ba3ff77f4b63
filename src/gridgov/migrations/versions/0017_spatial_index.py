"""a two-dimensional index over the city components' points

Revision ID: 0017_spatial_index
Revises: 0016_calls
Create Date: 2026-11-30 17:10:00

The (lon, lat) B-tree answers a box by walking the whole longitude strip, which at city density
(millions of components) means tens of thousands of index entries per map tile. Both engines
have a real 2-D index without extensions: SQLite's R*Tree module (a virtual table kept by
triggers, so bulk inserts through any path stay indexed) and PostgreSQL's GiST over the
built-in ``point`` type (an expression index, kept by PostgreSQL itself). Neither is a model:
``gridgov.schema.UNMODELLED`` names them so that autogenerate leaves them alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0017_spatial_index"
down_revision: str | None = "0016_calls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = (
    # R*Tree keeps 32-bit floats rounded outwards: a prefilter, the exact test stays on the row.
    "CREATE VIRTUAL TABLE components_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat)",
    "INSERT INTO components_rtree SELECT id, lon, lon, lat, lat FROM components",
    """CREATE TRIGGER components_rtree_insert AFTER INSERT ON components BEGIN
        INSERT INTO components_rtree VALUES (NEW.id, NEW.lon, NEW.lon, NEW.lat, NEW.lat);
    END""",
    """CREATE TRIGGER components_rtree_update AFTER UPDATE OF id, lon, lat ON components BEGIN
        DELETE FROM components_rtree WHERE id = OLD.id;
        INSERT INTO components_rtree VALUES (NEW.id, NEW.lon, NEW.lon, NEW.lat, NEW.lat);
    END""",
    """CREATE TRIGGER components_rtree_delete AFTER DELETE ON components BEGIN
        DELETE FROM components_rtree WHERE id = OLD.id;
    END""",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS components_rtree_delete",
    "DROP TRIGGER IF EXISTS components_rtree_update",
    "DROP TRIGGER IF EXISTS components_rtree_insert",
    "DROP TABLE IF EXISTS components_rtree",
)
POSTGRESQL_UP = ("CREATE INDEX ix_components_point ON components USING gist (point(lon, lat))",)
POSTGRESQL_DOWN = ("DROP INDEX IF EXISTS ix_components_point",)


def _run(statements: Sequence[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_UP)
    elif dialect == "postgresql":
        _run(POSTGRESQL_UP)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_DOWN)
    elif dialect == "postgresql":
        _run(POSTGRESQL_DOWN)

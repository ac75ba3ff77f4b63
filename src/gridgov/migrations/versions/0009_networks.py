"""networks: departmental networks, their overlay on the basic grids, grid rosters

Revision ID: 0009_networks
Revises: 0008_mediation
Create Date: 2026-11-30 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridgov.db

revision: str = "0009_networks"
down_revision: str | None = "0008_mediation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The built-in roster duties (一格多员); admins may add more.
BUILTIN_ROSTER_ROLES = (
    ("grid_chief", "网格长", 10),
    ("full_time", "专职网格员", 20),
    ("part_time", "兼职网格员", 30),
    ("police", "网格警/社区民警", 40),
    ("urban_management", "城管队员", 50),
    ("fire_safety", "消防安全联络员", 60),
    ("legal_adviser", "法律顾问", 70),
)


def upgrade() -> None:
    op.create_table(
        "networks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("roster_role", sa.String(length=40), nullable=True),
        sa.Column("category_prefixes", sa.JSON(), nullable=False),
        sa.Column("current_version_id", sa.Integer(), nullable=True),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["organisations.id"],
            name=op.f("fk_networks_department_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_networks")),
        sa.UniqueConstraint("code", name=op.f("uq_networks_code")),
    )
    op.create_table(
        "network_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("unit_count", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("overlay_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_network_versions_network_id_networks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_versions")),
        sa.UniqueConstraint("network_id", "version", name=op.f("uq_network_versions_network_id")),
    )
    op.create_index(op.f("ix_network_versions_network_id"), "network_versions", ["network_id"])
    op.create_table(
        "network_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("officer_name", sa.String(length=64), nullable=False),
        sa.Column("officer_phone_cipher", sa.Text(), nullable=True),
        sa.Column("officer_phone_masked", sa.String(length=20), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False, comment="GeoJSON Polygon, WGS-84 lon/lat"),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["network_versions.id"],
            name=op.f("fk_network_units_version_id_network_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_units")),
        sa.UniqueConstraint("version_id", "unit_code", name=op.f("uq_network_units_version_id")),
    )
    op.create_index(op.f("ix_network_units_version_id"), "network_units", ["version_id"])
    op.create_table(
        "network_overlay",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("grid_code", sa.String(length=32), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["network_units.id"],
            name=op.f("fk_network_overlay_unit_id_network_units"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["network_versions.id"],
            name=op.f("fk_network_overlay_version_id_network_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_overlay")),
        sa.UniqueConstraint(
            "version_id", "grid_code", "unit_id", name=op.f("uq_network_overlay_version_id")
        ),
    )
    op.create_index("ix_network_overlay_grid", "network_overlay", ["grid_code", "version_id"])
    op.create_index(op.f("ix_network_overlay_region_path"), "network_overlay", ["region_path"])
    op.create_index(op.f("ix_network_overlay_unit_id"), "network_overlay", ["unit_id"])
    op.create_index(op.f("ix_network_overlay_version_id"), "network_overlay", ["version_id"])
    roles = op.create_table(
        "roster_roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("is_builtin", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_roles")),
        sa.UniqueConstraint("code", name=op.f("uq_roster_roles_code")),
    )
    op.create_table(
        "roster_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_code", sa.String(length=32), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("role_code", sa.String(length=40), nullable=False),
        sa.Column("person_name", sa.String(length=64), nullable=False),
        sa.Column("phone_cipher", sa.Text(), nullable=True),
        sa.Column("phone_masked", sa.String(length=20), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_roster_entries_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_entries")),
    )
    op.create_index("ix_roster_entries_grid_role", "roster_entries", ["grid_code", "role_code"])
    op.create_index(op.f("ix_roster_entries_region_path"), "roster_entries", ["region_path"])
    op.bulk_insert(
        roles,
        [
            {"code": code, "name": name, "sort_order": order, "is_builtin": True}
            for code, name, order in BUILTIN_ROSTER_ROLES
        ],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_roster_entries_region_path"), table_name="roster_entries")
    op.drop_index("ix_roster_entries_grid_role", table_name="roster_entries")
    op.drop_table("roster_entries")
    op.drop_table("roster_roles")
    op.drop_index(op.f("ix_network_overlay_version_id"), table_name="network_overlay")
    op.drop_index(op.f("ix_network_overlay_unit_id"), table_name="network_overlay")
    op.drop_index(op.f("ix_network_overlay_region_path"), table_name="network_overlay")
    op.drop_index("ix_network_overlay_grid", table_name="network_overlay")
    op.drop_table("network_overlay")
    op.drop_index(op.f("ix_network_units_version_id"), table_name="network_units")
    op.drop_table("network_units")
    op.drop_index(op.f("ix_network_versions_network_id"), table_name="network_versions")
    op.drop_table("network_versions")
    op.drop_table("networks")

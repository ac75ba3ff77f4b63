"""registry: base data tables

Revision ID: 0002_registry
Revises: 0001_foundation
Create Date: 2026-11-30 08:20:46.737023
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridgov.db

revision: str = "0002_registry"
down_revision: str | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "buildings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False, comment="楼栋 or 平房"),
        sa.Column("use", sa.String(length=10), nullable=False),
        sa.Column("floors", sa.Integer(), nullable=False),
        sa.Column("height_m", sa.Float(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("footprint", sa.Text(), nullable=False, comment="GeoJSON Polygon, WGS-84"),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buildings")),
        sa.UniqueConstraint("code", name=op.f("uq_buildings_code")),
    )
    with op.batch_alter_table("buildings", schema=None) as batch_op:
        batch_op.create_index("ix_buildings_lon_lat", ["lon", "lat"], unique=False)
        batch_op.create_index(batch_op.f("ix_buildings_region_path"), ["region_path"], unique=False)
        batch_op.create_index(batch_op.f("ix_buildings_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "cameras",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("direction_deg", sa.Integer(), nullable=False),
        sa.Column("stream_url", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=4), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cameras")),
        sa.UniqueConstraint("code", name=op.f("uq_cameras_code")),
    )
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.create_index("ix_cameras_lon_lat", ["lon", "lat"], unique=False)
        batch_op.create_index(batch_op.f("ix_cameras_region_path"), ["region_path"], unique=False)
        batch_op.create_index(batch_op.f("ix_cameras_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_cameras_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "places",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=True, comment="统一社会信用代码"),
        sa.Column("industry", sa.String(length=40), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("employees", sa.Integer(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_places")),
        sa.UniqueConstraint("code", name=op.f("uq_places_code")),
    )
    with op.batch_alter_table("places", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_places_kind"), ["kind"], unique=False)
        batch_op.create_index("ix_places_lon_lat", ["lon", "lat"], unique=False)
        batch_op.create_index(batch_op.f("ix_places_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_places_region_path"), ["region_path"], unique=False)
        batch_op.create_index(batch_op.f("ix_places_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "resource_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("group_name", sa.String(length=20), nullable=False),
        sa.Column(
            "geometry_type",
            sa.String(length=10),
            nullable=False,
            comment="point, polygon, line, none",
        ),
        sa.Column("attribute_schema", sa.JSON(), nullable=False),
        sa.Column("typed_table", sa.String(length=40), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_categories")),
        sa.UniqueConstraint("code", name=op.f("uq_resource_categories_code")),
    )
    op.create_table(
        "houses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.Integer(), nullable=False),
        sa.Column("floor", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=12), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.Column("use", sa.String(length=4), nullable=False),
        sa.Column("owner_person_id", sa.Integer(), nullable=True),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_houses_building_id_buildings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_houses")),
        sa.UniqueConstraint("code", name=op.f("uq_houses_code")),
    )
    with op.batch_alter_table("houses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_houses_building_id"), ["building_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_houses_owner_person_id"), ["owner_person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_houses_region_path"), ["region_path"], unique=False)
        batch_op.create_index(batch_op.f("ix_houses_updated_at"), ["updated_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_houses_use"), ["use"], unique=False)

    op.create_table(
        "resource_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("geometry", sa.Text(), nullable=True, comment="GeoJSON, WGS-84"),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["resource_categories.id"],
            name=op.f("fk_resource_records_category_id_resource_categories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_records")),
        sa.UniqueConstraint("category_id", "code", name=op.f("uq_resource_records_category_id")),
    )
    with op.batch_alter_table("resource_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resource_records_category_id"), ["category_id"], unique=False
        )
        batch_op.create_index("ix_resource_records_lon_lat", ["lon", "lat"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_resource_records_region_path"), ["region_path"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_resource_records_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "components",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("major_code", sa.String(length=2), nullable=False),
        sa.Column("major_name", sa.String(length=20), nullable=False),
        sa.Column("minor_code", sa.String(length=4), nullable=False),
        sa.Column("minor_name", sa.String(length=30), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=4), nullable=False),
        sa.Column("owner_department_id", sa.Integer(), nullable=True),
        sa.Column("maintainer_department_id", sa.Integer(), nullable=True),
        sa.Column("photo_url", sa.String(length=300), nullable=True),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["maintainer_department_id"],
            ["organisations.id"],
            name=op.f("fk_components_maintainer_department_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_department_id"],
            ["organisations.id"],
            name=op.f("fk_components_owner_department_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_components")),
        sa.UniqueConstraint("code", name=op.f("uq_components_code")),
    )
    with op.batch_alter_table("components", schema=None) as batch_op:
        batch_op.create_index("ix_components_lon_lat", ["lon", "lat"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_components_maintainer_department_id"),
            ["maintainer_department_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_components_major_code"), ["major_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_components_minor_code"), ["minor_code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_components_region_path"), ["region_path"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_components_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_components_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "households",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("house_id", sa.Integer(), nullable=True),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["house_id"], ["houses.id"], name=op.f("fk_households_house_id_houses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_households")),
        sa.UniqueConstraint("code", name=op.f("uq_households_code")),
    )
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_households_house_id"), ["house_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_households_region_path"), ["region_path"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_households_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("gender", sa.String(length=2), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("id_type", sa.String(length=12), nullable=False),
        sa.Column("id_number_cipher", sa.Text(), nullable=False),
        sa.Column("id_number_hash", sa.String(length=64), nullable=False),
        sa.Column("id_number_masked", sa.String(length=40), nullable=False),
        sa.Column("phone_cipher", sa.Text(), nullable=True),
        sa.Column("phone_hash", sa.String(length=64), nullable=True),
        sa.Column("phone_masked", sa.String(length=20), nullable=True),
        sa.Column("residence_type", sa.String(length=4), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("relation_to_head", sa.String(length=10), nullable=False),
        sa.Column("house_id", sa.Integer(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["house_id"], ["houses.id"], name=op.f("fk_persons_house_id_houses")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_persons_household_id_households")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
        sa.UniqueConstraint("id_number_hash", name=op.f("uq_persons_id_number_hash")),
    )
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_persons_house_id"), ["house_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_persons_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_persons_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_persons_phone_hash"), ["phone_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_persons_region_path"), ["region_path"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_persons_residence_type"), ["residence_type"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_persons_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "special_group_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("group_type", sa.String(length=12), nullable=False),
        sa.Column("risk_level", sa.String(length=2), nullable=False),
        sa.Column("responsible_user_id", sa.Integer(), nullable=True),
        sa.Column("visit_every_days", sa.Integer(), nullable=False),
        sa.Column("last_visit_at", gridgov.db.UTCDateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("created_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", gridgov.db.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_special_group_members_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["responsible_user_id"],
            ["users.id"],
            name=op.f("fk_special_group_members_responsible_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_special_group_members")),
        sa.UniqueConstraint(
            "person_id", "group_type", name=op.f("uq_special_group_members_person_id")
        ),
    )
    with op.batch_alter_table("special_group_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_special_group_members_group_type"), ["group_type"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_special_group_members_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_special_group_members_region_path"), ["region_path"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_special_group_members_responsible_user_id"),
            ["responsible_user_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_special_group_members_updated_at"), ["updated_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("special_group_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_special_group_members_updated_at"))
        batch_op.drop_index(batch_op.f("ix_special_group_members_responsible_user_id"))
        batch_op.drop_index(batch_op.f("ix_special_group_members_region_path"))
        batch_op.drop_index(batch_op.f("ix_special_group_members_person_id"))
        batch_op.drop_index(batch_op.f("ix_special_group_members_group_type"))

    op.drop_table("special_group_members")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_persons_updated_at"))
        batch_op.drop_index(batch_op.f("ix_persons_residence_type"))
        batch_op.drop_index(batch_op.f("ix_persons_region_path"))
        batch_op.drop_index(batch_op.f("ix_persons_phone_hash"))
        batch_op.drop_index(batch_op.f("ix_persons_name"))
        batch_op.drop_index(batch_op.f("ix_persons_household_id"))
        batch_op.drop_index(batch_op.f("ix_persons_house_id"))

    op.drop_table("persons")
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_households_updated_at"))
        batch_op.drop_index(batch_op.f("ix_households_region_path"))
        batch_op.drop_index(batch_op.f("ix_households_house_id"))

    op.drop_table("households")
    with op.batch_alter_table("components", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_components_updated_at"))
        batch_op.drop_index(batch_op.f("ix_components_status"))
        batch_op.drop_index(batch_op.f("ix_components_region_path"))
        batch_op.drop_index(batch_op.f("ix_components_minor_code"))
        batch_op.drop_index(batch_op.f("ix_components_major_code"))
        batch_op.drop_index(batch_op.f("ix_components_maintainer_department_id"))
        batch_op.drop_index("ix_components_lon_lat")

    op.drop_table("components")
    with op.batch_alter_table("resource_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_records_updated_at"))
        batch_op.drop_index(batch_op.f("ix_resource_records_region_path"))
        batch_op.drop_index("ix_resource_records_lon_lat")
        batch_op.drop_index(batch_op.f("ix_resource_records_category_id"))

    op.drop_table("resource_records")
    with op.batch_alter_table("houses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_houses_use"))
        batch_op.drop_index(batch_op.f("ix_houses_updated_at"))
        batch_op.drop_index(batch_op.f("ix_houses_region_path"))
        batch_op.drop_index(batch_op.f("ix_houses_owner_person_id"))
        batch_op.drop_index(batch_op.f("ix_houses_building_id"))

    op.drop_table("houses")
    op.drop_table("resource_categories")
    with op.batch_alter_table("places", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_places_updated_at"))
        batch_op.drop_index(batch_op.f("ix_places_region_path"))
        batch_op.drop_index(batch_op.f("ix_places_name"))
        batch_op.drop_index("ix_places_lon_lat")
        batch_op.drop_index(batch_op.f("ix_places_kind"))

    op.drop_table("places")
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cameras_updated_at"))
        batch_op.drop_index(batch_op.f("ix_cameras_status"))
        batch_op.drop_index(batch_op.f("ix_cameras_region_path"))
        batch_op.drop_index("ix_cameras_lon_lat")

    op.drop_table("cameras")
    with op.batch_alter_table("buildings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_buildings_updated_at"))
        batch_op.drop_index(batch_op.f("ix_buildings_region_path"))
        batch_op.drop_index("ix_buildings_lon_lat")

    op.drop_table("buildings")

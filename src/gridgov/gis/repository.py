"""Read-only queries of the map over the territory, base data and cases.

The map is a view over other features' tables, like an analytics page: every read here is
scoped with ``apply_scope`` (cases with the events feature's own department rule) and none
writes. Points come back as plain rows so that tiles and area summaries can work on arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    Row,
    Select,
    Table,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from gridgov.accounts.models import GridAssignment, User
from gridgov.accounts.scope import Scope, SelectT, apply_scope, path_prefix, unscoped
from gridgov.db import unindexed
from gridgov.events.models import Event, EventAssist, EventCategory
from gridgov.orgs.models import Organisation
from gridgov.regions.models import Region
from gridgov.registry.models import Building, Camera, Component, House, Household, Person

Bbox = tuple[float, float, float, float]


# Map reads are bounded by a box (and cases by a time window): that is the selective part.
# The scope's path prefix is therefore marked unindexed (SQLite's unary +), or the planner
# would walk a whole street's rows by path when the user is street staff or the district's.


def _in_bbox(stmt: SelectT, model: Any, bbox: Bbox | None) -> SelectT:
    # lon BETWEEN … AND lat BETWEEN …: answered by the (lon, lat) index of each point table.
    if bbox is None:
        return stmt
    min_lon, min_lat, max_lon, max_lat = bbox
    return stmt.where(model.lon.between(min_lon, max_lon), model.lat.between(min_lat, max_lat))


# ---------------------------------------------------------------- components

# Components are the one point layer with millions of rows at city scale; migration
# 0017_spatial_index gives them a real 2-D index on each engine (not a model, so declared here
# as a bare table for the query only).
_COMPONENTS_RTREE = Table(
    "components_rtree",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("min_lon", Float),
    Column("max_lon", Float),
    Column("min_lat", Float),
    Column("max_lat", Float),
)


def _components_in_bbox(session: Session, stmt: SelectT, bbox: Bbox | None) -> SelectT:
    if bbox is None:
        return stmt
    min_lon, min_lat, max_lon, max_lat = bbox
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # GiST over point(lon, lat): `<@ box` is exact in double precision.
        return stmt.where(
            func.point(Component.lon, Component.lat).op("<@")(
                func.box(func.point(min_lon, min_lat), func.point(max_lon, max_lat))
            )
        )
    if dialect == "sqlite":
        # The R*Tree finds the candidates (its float32 boxes are rounded outwards, so it never
        # misses one); the exact test runs on those rows only (unary + keeps the planner off
        # the (lon, lat) B-tree, which would walk the whole longitude strip).
        rtree = _COMPONENTS_RTREE.c
        candidates = select(rtree.id).where(
            rtree.max_lon >= min_lon,
            rtree.min_lon <= max_lon,
            rtree.max_lat >= min_lat,
            rtree.min_lat <= max_lat,
        )
        return stmt.where(
            Component.id.in_(candidates),
            unindexed(Component.lon).between(min_lon, max_lon),
            unindexed(Component.lat).between(min_lat, max_lat),
        )
    return _in_bbox(stmt, Component, bbox)


def component_points(
    session: Session, scope: Scope, bbox: Bbox | None, *, limit: int | None = None
) -> list[Row[Any]]:
    """(id, code, major_code, major_name, minor_name, status, lon, lat) in a box."""
    stmt = select(
        Component.id,
        Component.code,
        Component.major_code,
        Component.major_name,
        Component.minor_name,
        Component.status,
        Component.lon,
        Component.lat,
        Component.maintainer_department_id,
    )
    stmt = apply_scope(
        stmt,
        scope,
        region_path=unindexed(Component.region_path),
        department_id=Component.maintainer_department_id,
    )
    stmt = _components_in_bbox(session, stmt, bbox)
    if limit is not None:
        stmt = stmt.limit(limit)
    return cast(list[Row[Any]], session.connection().execute(stmt).all())


def component_by_code(session: Session, scope: Scope, code: str) -> Component | None:
    stmt = apply_scope(
        select(Component),
        scope,
        region_path=Component.region_path,
        department_id=Component.maintainer_department_id,
    )
    return session.scalars(stmt.where(Component.code == code)).first()


# ---------------------------------------------------------------- buildings and residents


def building_rows(session: Session, scope: Scope, bbox: Bbox | None) -> list[Row[Any]]:
    """(id, name, address, use, floors, height_m, footprint, lon, lat) in a box."""
    stmt = select(
        Building.id,
        Building.name,
        Building.address,
        Building.use,
        Building.floors,
        Building.height_m,
        Building.footprint,
        Building.lon,
        Building.lat,
    )
    stmt = _in_bbox(
        apply_scope(stmt, scope, region_path=unindexed(Building.region_path)), Building, bbox
    )
    return cast(list[Row[Any]], session.connection().execute(stmt).all())


def household_counts(session: Session, scope: Scope, building_ids: Sequence[int]) -> dict[int, int]:
    if not building_ids:
        return {}
    stmt = apply_scope(
        select(House.building_id, func.count(Household.id))
        .join(Household, Household.house_id == House.id)
        .where(House.building_id.in_(building_ids)),
        scope,
        region_path=unindexed(Household.region_path),
    ).group_by(House.building_id)
    return {building_id: count for building_id, count in session.execute(stmt)}


def resident_counts(session: Session, scope: Scope, building_ids: Sequence[int]) -> dict[int, int]:
    if not building_ids:
        return {}
    stmt = apply_scope(
        select(House.building_id, func.count(Person.id))
        .join(Person, Person.house_id == House.id)
        .where(House.building_id.in_(building_ids)),
        scope,
        region_path=unindexed(Person.region_path),
    ).group_by(House.building_id)
    return {building_id: count for building_id, count in session.execute(stmt)}


def resident_names(session: Session, scope: Scope, building_id: int, limit: int) -> list[str]:
    stmt = apply_scope(
        select(Person.name)
        .join(House, Person.house_id == House.id)
        .where(House.building_id == building_id),
        scope,
        region_path=unindexed(Person.region_path),
    )
    return list(session.scalars(stmt.order_by(Person.id).limit(limit)))


# ---------------------------------------------------------------- cameras


def camera_rows(session: Session, scope: Scope, bbox: Bbox | None) -> list[Row[Any]]:
    """(id, code, name, status, direction_deg, lon, lat) in a box (or everywhere)."""
    stmt = select(
        Camera.id,
        Camera.code,
        Camera.name,
        Camera.status,
        Camera.direction_deg,
        Camera.lon,
        Camera.lat,
    )
    stmt = _in_bbox(
        apply_scope(stmt, scope, region_path=unindexed(Camera.region_path)), Camera, bbox
    )
    return cast(list[Row[Any]], session.connection().execute(stmt.order_by(Camera.id)).all())


# ---------------------------------------------------------------- cases


def _events(scope: Scope, *columns: Any) -> Select[Any]:
    # The events feature's own rule: a department sees the cases it leads or assists.
    stmt = apply_scope(
        select(*columns),
        scope,
        region_path=unindexed(Event.region_path),
        owner_id=Event.reporter_id,
    )
    if scope.department_ids is None:
        return stmt
    if not scope.department_ids:
        return stmt.where(false())
    assisted = select(EventAssist.event_id).where(
        EventAssist.department_id.in_(scope.department_ids)
    )
    return stmt.where(or_(Event.department_id.in_(scope.department_ids), Event.id.in_(assisted)))


def event_points(
    session: Session,
    scope: Scope,
    bbox: Bbox | None,
    *,
    since: datetime | None,
    category: str | None,
    status: str | None,
    limit: int | None = None,
) -> list[Row[Any]]:
    """(id, code, status, category_code, lon, lat, created_at) in a box and time window."""
    stmt = _events(
        scope,
        Event.id,
        Event.code,
        Event.status,
        Event.category_code,
        Event.lon,
        Event.lat,
        Event.created_at,
    )
    if since is None:
        stmt = _in_bbox(stmt, Event, bbox)
    else:
        stmt = stmt.where(Event.created_at >= since)
        if bbox is not None:
            # SQLite's planner prefers the (lon, lat) index, which reads every case of three
            # years in the box from the table; taking the time window first from
            # (created_at, lon, lat) tests the box inside the index and is several times
            # faster. The unary + (unindexed) steers it there; PostgreSQL plans by itself.
            min_lon, min_lat, max_lon, max_lat = bbox
            stmt = stmt.where(
                unindexed(Event.lon).between(min_lon, max_lon),
                unindexed(Event.lat).between(min_lat, max_lat),
            )
    if category:
        stmt = stmt.where(path_prefix(Event.category_code, category))
    if status:
        stmt = stmt.where(Event.status == status)
    if limit is not None:
        stmt = stmt.limit(limit)  # a safety cap; no ORDER BY, which would walk the id order
    return cast(list[Row[Any]], session.connection().execute(stmt).all())


def latest_reports(
    session: Session, scope: Scope, user_ids: Sequence[int]
) -> dict[int, tuple[float, float, datetime]]:
    """Each account's most recent own report in the reader's scope: where and when.

    The newest report per account is found with one index seek each ((reporter_id, id));
    only those cases are then read, through the scope, so a report the reader may not see
    is not used."""
    if not user_ids:
        return {}
    newest = (
        select(Event.id)
        .where(Event.reporter_id == User.id)
        .order_by(Event.id.desc())
        .limit(1)
        .correlate(User)
        .scalar_subquery()
    )
    ids = [
        event_id
        for event_id in session.scalars(select(newest).where(User.id.in_(user_ids)))
        if event_id is not None
    ]
    if not ids:
        return {}
    rows = session.connection().execute(
        _events(scope, Event.reporter_id, Event.lon, Event.lat, Event.created_at).where(
            Event.id.in_(ids)
        )
    )
    return {row[0]: (row[1], row[2], row[3]) for row in rows if row[0] is not None}


@unscoped("category names are district-wide configuration, not data of a region")
def category_names(session: Session) -> dict[str, str]:
    return {
        code: name for code, name in session.execute(select(EventCategory.code, EventCategory.name))
    }


# ---------------------------------------------------------------- workers


def worker_rows(
    session: Session, scope: Scope, *, user_id: int | None = None, bbox: Bbox | None = None
) -> list[Row[Any]]:
    """(user id, username, display name, duty, grid code, grid name, grid path, grid centroid
    lon, lat) for every grid assignment in scope."""
    stmt = apply_scope(
        select(
            User.id,
            User.username,
            User.display_name,
            GridAssignment.duty,
            Region.code,
            Region.name,
            Region.path,
            Region.centroid_lon,
            Region.centroid_lat,
        )
        .join(User, User.id == GridAssignment.user_id)
        .join(Region, Region.id == GridAssignment.region_id)
        .where(User.is_active.is_(True)),
        scope,
        region_path=GridAssignment.region_path,
    )
    if user_id is not None:
        stmt = stmt.where(User.id == user_id)
    if bbox is not None:
        min_lon, min_lat, max_lon, max_lat = bbox
        stmt = stmt.where(
            Region.max_lon >= min_lon,
            Region.min_lon <= max_lon,
            Region.max_lat >= min_lat,
            Region.min_lat <= max_lat,
        )
    return list(session.execute(stmt.order_by(User.id, Region.code)))


# ---------------------------------------------------------------- organisations


def organisations_in_regions(
    session: Session, scope: Scope, region_ids: Sequence[int]
) -> list[Organisation]:
    if not region_ids:
        return []
    stmt = apply_scope(select(Organisation), scope, region_path=Organisation.region_path).where(
        Organisation.region_id.in_(region_ids), Organisation.is_active.is_(True)
    )
    return list(session.scalars(stmt.order_by(Organisation.code)))


@unscoped("department names are the district's public directory; the rows naming them were scoped")
def organisation_names(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    stmt = select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
    return {key: value for key, value in session.execute(stmt)}

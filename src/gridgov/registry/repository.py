"""Every query on the base data."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import (
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from gridgov.accounts.scope import Scope, apply_scope, path_prefix, unscoped
from gridgov.kit.pagination import PageParams, fetch_page
from gridgov.registry.models import (
    Building,
    Camera,
    Component,
    House,
    Household,
    Person,
    Place,
    ResourceCategory,
    ResourceRecord,
    SpecialGroupMember,
)

Bbox = tuple[float, float, float, float]


def _located(model: Any, scope: Scope, department: Any = None) -> Select[Any]:
    return apply_scope(
        select(model), scope, region_path=model.region_path, department_id=department
    )


def _in_region(stmt: Select[Any], model: Any, region_path: str | None) -> Select[Any]:
    if region_path:
        stmt = stmt.where(path_prefix(model.region_path, region_path))
    return stmt


def _in_bbox(stmt: Select[Any], model: Any, bbox: Bbox | None) -> Select[Any]:
    if bbox:
        min_lon, min_lat, max_lon, max_lat = bbox
        stmt = stmt.where(model.lon.between(min_lon, max_lon), model.lat.between(min_lat, max_lat))
    return stmt


# ---------------------------------------------------------------- people


@dataclass(frozen=True)
class PersonFilter:
    name: str | None = None
    id_number_hash: str | None = None
    phone_hash: str | None = None
    address: str | None = None
    residence_type: str | None = None
    tag: str | None = None
    group_type: str | None = None
    region_path: str | None = None
    household_id: int | None = None
    house_id: int | None = None


def list_persons(
    session: Session, scope: Scope, filters: PersonFilter, page: PageParams
) -> tuple[list[Person], int]:
    stmt = _in_region(_located(Person, scope), Person, filters.region_path)
    if filters.name:
        stmt = stmt.where(Person.name.contains(filters.name, autoescape=True))
    if filters.id_number_hash:
        stmt = stmt.where(Person.id_number_hash == filters.id_number_hash)
    if filters.phone_hash:
        stmt = stmt.where(Person.phone_hash == filters.phone_hash)
    if filters.residence_type:
        stmt = stmt.where(Person.residence_type == filters.residence_type)
    if filters.household_id is not None:
        stmt = stmt.where(Person.household_id == filters.household_id)
    if filters.house_id is not None:
        stmt = stmt.where(Person.house_id == filters.house_id)
    if filters.tag:
        # Tags are a short JSON list; matching the quoted tag works on both databases.
        stmt = stmt.where(cast(Person.tags, Text).contains(f'"{filters.tag}"'))
    if filters.address:
        stmt = stmt.where(
            Person.house_id.in_(
                select(House.id)
                .join(Building, Building.id == House.building_id)
                .where(Building.address.contains(filters.address, autoescape=True))
            )
        )
    if filters.group_type:
        stmt = stmt.where(
            Person.id.in_(
                select(SpecialGroupMember.person_id).where(
                    SpecialGroupMember.group_type == filters.group_type
                )
            )
        )
    return fetch_page(session, stmt, page, Person.id)


def get_person(session: Session, scope: Scope, person_id: int) -> Person | None:
    return session.scalars(_located(Person, scope).where(Person.id == person_id)).first()


@unscoped("uniqueness of an ID number is district-wide, whoever registered it")
def person_id_for_hash(session: Session, id_number_hash: str) -> int | None:
    return session.scalar(select(Person.id).where(Person.id_number_hash == id_number_hash))


def members_of(session: Session, scope: Scope, household_id: int) -> list[Person]:
    stmt = _located(Person, scope).where(Person.household_id == household_id)
    return list(session.scalars(stmt.order_by(Person.id)))


def residents_of(session: Session, scope: Scope, house_ids: Sequence[int]) -> list[Person]:
    if not house_ids:
        return []
    stmt = _located(Person, scope).where(Person.house_id.in_(house_ids))
    return list(session.scalars(stmt.order_by(Person.house_id, Person.id)))


def groups_of(
    session: Session, scope: Scope, person_ids: Sequence[int]
) -> list[SpecialGroupMember]:
    if not person_ids:
        return []
    stmt = _located(SpecialGroupMember, scope).where(SpecialGroupMember.person_id.in_(person_ids))
    return list(session.scalars(stmt.order_by(SpecialGroupMember.id)))


def get_household(session: Session, scope: Scope, household_id: int) -> Household | None:
    return session.scalars(_located(Household, scope).where(Household.id == household_id)).first()


def list_households(
    session: Session, scope: Scope, region_path: str | None, page: PageParams
) -> tuple[list[Household], int]:
    stmt = _in_region(_located(Household, scope), Household, region_path)
    return fetch_page(session, stmt, page, Household.id)


def household_paths(
    session: Session,
    scope: Scope,
    *,
    region_paths: Sequence[str] = (),
    household_ids: Sequence[int] = (),
) -> list[tuple[int, str]]:
    """(id, grid path) of the households under any of ``region_paths`` or among
    ``household_ids``, in id order."""
    base = apply_scope(
        select(Household.id, Household.region_path), scope, region_path=Household.region_path
    )
    found: dict[int, str] = {}
    if region_paths:
        stmt = base.where(or_(*(path_prefix(Household.region_path, p) for p in region_paths)))
        found.update((int(i), str(p)) for i, p in session.execute(stmt))
    ids = sorted(set(household_ids))
    for start in range(0, len(ids), 5_000):
        stmt = base.where(Household.id.in_(ids[start : start + 5_000]))
        found.update((int(i), str(p)) for i, p in session.execute(stmt))
    return sorted(found.items())


def households_by_ids(
    session: Session, scope: Scope, household_ids: Sequence[int]
) -> dict[int, Household]:
    if not household_ids:
        return {}
    stmt = _located(Household, scope).where(Household.id.in_(set(household_ids)))
    return {h.id: h for h in session.scalars(stmt)}


def member_counts(session: Session, scope: Scope, household_ids: Sequence[int]) -> dict[int, int]:
    if not household_ids:
        return {}
    stmt = (
        apply_scope(
            select(Person.household_id, func.count()), scope, region_path=Person.region_path
        )
        .where(Person.household_id.in_(set(household_ids)))
        .group_by(Person.household_id)
    )
    return {int(h): int(n) for h, n in session.execute(stmt) if h is not None}


def get_special_group(session: Session, scope: Scope, member_id: int) -> SpecialGroupMember | None:
    stmt = _located(SpecialGroupMember, scope).where(SpecialGroupMember.id == member_id)
    return session.scalars(stmt).first()


@dataclass(frozen=True)
class GroupFilter:
    group_type: str | None = None
    risk_level: str | None = None
    region_path: str | None = None
    visit_due_before: datetime | None = None


def list_special_groups(
    session: Session, scope: Scope, filters: GroupFilter, page: PageParams
) -> tuple[list[SpecialGroupMember], int]:
    stmt = _in_region(_located(SpecialGroupMember, scope), SpecialGroupMember, filters.region_path)
    if filters.group_type:
        stmt = stmt.where(SpecialGroupMember.group_type == filters.group_type)
    if filters.risk_level:
        stmt = stmt.where(SpecialGroupMember.risk_level == filters.risk_level)
    if filters.visit_due_before is not None:
        stmt = stmt.where(
            or_(
                SpecialGroupMember.last_visit_at.is_(None),
                SpecialGroupMember.last_visit_at < filters.visit_due_before,
            )
        )
    return fetch_page(session, stmt, page, SpecialGroupMember.id)


def special_groups_due(
    session: Session, scope: Scope, *, region_path: str | None, at: datetime, limit: int
) -> list[SpecialGroupMember]:
    """Members never visited or last visited more than their own interval before ``at``. The
    intervals are few (one per group type), so "due" is one OR over them, exact in SQL."""
    members = _in_region(_located(SpecialGroupMember, scope), SpecialGroupMember, region_path)
    intervals = session.scalars(
        members.with_only_columns(SpecialGroupMember.visit_every_days).distinct()
    ).all()
    due: list[Any] = [SpecialGroupMember.last_visit_at.is_(None)]
    due += [
        and_(
            SpecialGroupMember.visit_every_days == days,
            SpecialGroupMember.last_visit_at < at - timedelta(days=days),
        )
        for days in intervals
    ]
    stmt = members.where(or_(*due)).order_by(SpecialGroupMember.id).limit(limit)
    return list(session.scalars(stmt))


def households_of(
    session: Session, scope: Scope, person_ids: Sequence[int]
) -> dict[int, int | None]:
    if not person_ids:
        return {}
    stmt = apply_scope(
        select(Person.id, Person.household_id), scope, region_path=Person.region_path
    ).where(Person.id.in_(person_ids))
    return {pid: household for pid, household in session.execute(stmt)}


def names_of(session: Session, scope: Scope, person_ids: Sequence[int]) -> dict[int, str]:
    if not person_ids:
        return {}
    stmt = apply_scope(select(Person.id, Person.name), scope, region_path=Person.region_path).where(
        Person.id.in_(person_ids)
    )
    return {pid: name for pid, name in session.execute(stmt)}


# ---------------------------------------------------------------- buildings and houses


@dataclass(frozen=True)
class BuildingFilter:
    query: str | None = None
    kind: str | None = None
    use: str | None = None
    region_path: str | None = None
    bbox: Bbox | None = None


def list_buildings(
    session: Session, scope: Scope, filters: BuildingFilter, page: PageParams
) -> tuple[list[Building], int]:
    stmt = _in_bbox(
        _in_region(_located(Building, scope), Building, filters.region_path), Building, filters.bbox
    )
    if filters.query:
        stmt = stmt.where(
            or_(
                Building.name.contains(filters.query, autoescape=True),
                Building.address.contains(filters.query, autoescape=True),
                Building.code.startswith(filters.query, autoescape=True),
            )
        )
    if filters.kind:
        stmt = stmt.where(Building.kind == filters.kind)
    if filters.use:
        stmt = stmt.where(Building.use == filters.use)
    return fetch_page(session, stmt, page, Building.id)


def get_building(session: Session, scope: Scope, building_id: int) -> Building | None:
    return session.scalars(_located(Building, scope).where(Building.id == building_id)).first()


def houses_of(session: Session, scope: Scope, building_id: int) -> list[House]:
    stmt = _located(House, scope).where(House.building_id == building_id)
    return list(session.scalars(stmt.order_by(House.unit, House.floor, House.number)))


def get_house(session: Session, scope: Scope, house_id: int) -> House | None:
    return session.scalars(_located(House, scope).where(House.id == house_id)).first()


def building_counts(
    session: Session, scope: Scope, building_ids: Sequence[int]
) -> dict[int, tuple[int, int]]:
    """Building id → (houses, residents), for a page of buildings."""
    if not building_ids:
        return {}
    houses = apply_scope(
        select(House.building_id, func.count()).where(House.building_id.in_(building_ids)),
        scope,
        region_path=House.region_path,
    ).group_by(House.building_id)
    residents = apply_scope(
        select(House.building_id, func.count(Person.id))
        .join(Person, Person.house_id == House.id)
        .where(House.building_id.in_(building_ids)),
        scope,
        region_path=House.region_path,
    ).group_by(House.building_id)
    house_counts = dict(session.execute(houses).all())
    resident_counts = dict(session.execute(residents).all())
    return {bid: (house_counts.get(bid, 0), resident_counts.get(bid, 0)) for bid in building_ids}


# ---------------------------------------------------------------- things with a point


@dataclass(frozen=True)
class ComponentFilter:
    query: str | None = None
    major_code: str | None = None
    minor_code: str | None = None
    status: str | None = None
    region_path: str | None = None
    bbox: Bbox | None = None


def list_components(
    session: Session, scope: Scope, filters: ComponentFilter, page: PageParams
) -> tuple[list[Component], int]:
    stmt = _located(Component, scope, Component.maintainer_department_id)
    stmt = _in_bbox(_in_region(stmt, Component, filters.region_path), Component, filters.bbox)
    if filters.query:
        stmt = stmt.where(
            or_(
                Component.code.startswith(filters.query, autoescape=True),
                Component.address.contains(filters.query, autoescape=True),
            )
        )
    if filters.major_code:
        stmt = stmt.where(Component.major_code == filters.major_code)
    if filters.minor_code:
        stmt = stmt.where(Component.minor_code == filters.minor_code)
    if filters.status:
        stmt = stmt.where(Component.status == filters.status)
    return fetch_page(session, stmt, page, Component.id)


def get_component(session: Session, scope: Scope, component_id: int) -> Component | None:
    stmt = _located(Component, scope, Component.maintainer_department_id)
    return session.scalars(stmt.where(Component.id == component_id)).first()


def list_cameras(
    session: Session,
    scope: Scope,
    status: str | None,
    region_path: str | None,
    bbox: Bbox | None,
    page: PageParams,
) -> tuple[list[Camera], int]:
    stmt = _in_bbox(_in_region(_located(Camera, scope), Camera, region_path), Camera, bbox)
    if status:
        stmt = stmt.where(Camera.status == status)
    return fetch_page(session, stmt, page, Camera.id)


def get_camera(session: Session, scope: Scope, camera_id: int) -> Camera | None:
    return session.scalars(_located(Camera, scope).where(Camera.id == camera_id)).first()


def list_places(
    session: Session,
    scope: Scope,
    kind: str | None,
    query: str | None,
    region_path: str | None,
    bbox: Bbox | None,
    page: PageParams,
) -> tuple[list[Place], int]:
    stmt = _in_bbox(_in_region(_located(Place, scope), Place, region_path), Place, bbox)
    if kind:
        stmt = stmt.where(Place.kind == kind)
    if query:
        stmt = stmt.where(
            or_(
                Place.name.contains(query, autoescape=True),
                Place.address.contains(query, autoescape=True),
            )
        )
    return fetch_page(session, stmt, page, Place.id)


def get_place(session: Session, scope: Scope, place_id: int) -> Place | None:
    return session.scalars(_located(Place, scope).where(Place.id == place_id)).first()


# ---------------------------------------------------------------- categories and records


@unscoped("category definitions are district-wide configuration, not data of a region")
def list_categories(session: Session) -> list[ResourceCategory]:
    return list(session.scalars(select(ResourceCategory).order_by(ResourceCategory.id)))


@unscoped("category definitions are district-wide configuration, not data of a region")
def get_category(session: Session, code: str) -> ResourceCategory | None:
    return session.scalars(select(ResourceCategory).where(ResourceCategory.code == code)).first()


def list_records(
    session: Session,
    scope: Scope,
    category_id: int,
    query: str | None,
    region_path: str | None,
    bbox: Bbox | None,
    page: PageParams,
) -> tuple[list[ResourceRecord], int]:
    stmt = _located(ResourceRecord, scope).where(ResourceRecord.category_id == category_id)
    stmt = _in_bbox(_in_region(stmt, ResourceRecord, region_path), ResourceRecord, bbox)
    if query:
        stmt = stmt.where(
            or_(
                ResourceRecord.name.contains(query, autoescape=True),
                ResourceRecord.code.startswith(query, autoescape=True),
            )
        )
    return fetch_page(session, stmt, page, ResourceRecord.id)


def get_record(session: Session, scope: Scope, record_id: int) -> ResourceRecord | None:
    return session.scalars(
        _located(ResourceRecord, scope).where(ResourceRecord.id == record_id)
    ).first()


@unscoped("natural keys are unique district-wide, whoever registered the row")
def record_id_for_code(session: Session, category_id: int, code: str) -> int | None:
    return session.scalar(
        select(ResourceRecord.id).where(
            ResourceRecord.category_id == category_id, ResourceRecord.code == code
        )
    )


@unscoped("natural keys are unique district-wide, whoever registered the row")
def id_for_code(session: Session, model: Any, code: str) -> int | None:
    result: int | None = session.scalar(select(model.id).where(model.code == code))
    return result


def bump_category_version(session: Session, category_id: int) -> None:
    session.execute(
        update(ResourceCategory)
        .where(ResourceCategory.id == category_id)
        .values(version=ResourceCategory.version + 1)
    )


def houses_by_ids(session: Session, scope: Scope, house_ids: Sequence[int]) -> dict[int, House]:
    if not house_ids:
        return {}
    stmt = _located(House, scope).where(House.id.in_(set(house_ids)))
    return {house.id: house for house in session.scalars(stmt)}


def buildings_by_ids(
    session: Session, scope: Scope, building_ids: Sequence[int]
) -> dict[int, Building]:
    if not building_ids:
        return {}
    stmt = _located(Building, scope).where(Building.id.in_(set(building_ids)))
    return {building.id: building for building in session.scalars(stmt)}


def resident_counts(session: Session, scope: Scope, house_ids: Sequence[int]) -> dict[int, int]:
    if not house_ids:
        return {}
    stmt = apply_scope(
        select(Person.house_id, func.count()).where(Person.house_id.in_(house_ids)),
        scope,
        region_path=Person.region_path,
    ).group_by(Person.house_id)
    return {house_id: count for house_id, count in session.execute(stmt) if house_id is not None}


@unscoped("a record's category is configuration, read after the record itself passed scope")
def category_by_id(session: Session, category_id: int) -> ResourceCategory:
    return session.get_one(ResourceCategory, category_id)


# ---------------------------------------------------------------- aggregation


@dataclass
class ChangeCounts:
    """Rows, rows added and updated since today's and this week's start, and the latest update."""

    total: int = 0
    added_today: int = 0
    updated_today: int = 0
    added_this_week: int = 0
    updated_this_week: int = 0
    last_updated: datetime | None = None

    @classmethod
    def combined(cls, parts: Iterable[ChangeCounts]) -> ChangeCounts:
        out = cls()
        for part in parts:
            out.total += part.total
            out.added_today += part.added_today
            out.updated_today += part.updated_today
            out.added_this_week += part.added_this_week
            out.updated_this_week += part.updated_this_week
            if part.last_updated and (not out.last_updated or part.last_updated > out.last_updated):
                out.last_updated = part.last_updated
        return out


def change_counts_by_grid(
    session: Session,
    scope: Scope,
    model: Any,
    key_column: Any,
    where: Sequence[Any],
    *,
    today: datetime,
    week: datetime,
) -> dict[Any, dict[str, ChangeCounts]]:
    """Per category key (``key_column``'s value; None for a table of its own) and basic-grid
    path, the row counts behind 信息汇聚, in one scan of the table."""

    def since(column: Any, moment: datetime) -> Any:
        return func.sum(case((column >= moment, 1), else_=0))

    keys = [key_column] if key_column is not None else []
    stmt = apply_scope(
        select(
            *keys,
            model.region_path,
            func.count(),
            since(model.created_at, today),
            since(model.updated_at, today),
            since(model.created_at, week),
            since(model.updated_at, week),
            func.max(model.updated_at),
        ).where(*where),
        scope,
        region_path=model.region_path,
    ).group_by(*keys, model.region_path)
    out: dict[Any, dict[str, ChangeCounts]] = {}
    for row in session.execute(stmt):
        key, (path, total, *changed, latest) = (row[0], row[1:]) if keys else (None, row)
        added_today, updated_today, added_week, updated_week = (int(n or 0) for n in changed)
        out.setdefault(key, {})[path] = ChangeCounts(
            int(total), added_today, updated_today, added_week, updated_week, latest
        )
    return out


def created_by_period(
    session: Session, scope: Scope, model: Any, starts: Sequence[datetime], where: Sequence[Any]
) -> list[int]:
    """Rows created in each period [starts[i], starts[i + 1]) (the last one open-ended): plain
    comparisons on the stored time, cheaper than taking a month out of every row."""
    bounds = [*starts, None]
    columns = [
        func.sum(
            case((model.created_at >= start, 1), else_=0)
            if end is None
            else case((and_(model.created_at >= start, model.created_at < end), 1), else_=0)
        )
        for start, end in pairwise(bounds)
        if start is not None
    ]
    stmt = apply_scope(
        select(*columns).where(model.created_at >= starts[0], *where),
        scope,
        region_path=model.region_path,
    )
    row = session.execute(stmt).one()
    return [int(n or 0) for n in row]


def count_where(session: Session, scope: Scope, model: Any, where: Sequence[Any]) -> int:
    stmt = apply_scope(select(func.count()).where(*where), scope, region_path=model.region_path)
    return session.scalar(stmt) or 0


@unscoped("a subquery: the count it sits in applies the scope")
def house_building_ids() -> Select[Any]:
    """Subquery: buildings that have at least one house."""
    return select(House.building_id).distinct()


@unscoped("a subquery: the count it sits in applies the scope")
def household_ids_with_head() -> Select[Any]:
    return select(Person.household_id).where(Person.relation_to_head == "户主").distinct()


# ---------------------------------------------------------------- imports


def house_codes(session: Session, scope: Scope, codes: Sequence[str]) -> dict[str, tuple[int, str]]:
    """House code → (id, region path), for the codes a file names."""
    found: dict[str, tuple[int, str]] = {}
    unique = sorted(set(codes))
    for start in range(0, len(unique), 5_000):
        stmt = apply_scope(
            select(House.code, House.id, House.region_path),
            scope,
            region_path=House.region_path,
        ).where(House.code.in_(unique[start : start + 5_000]))
        found.update({code: (hid, path) for code, hid, path in session.execute(stmt)})
    return found


def household_codes(session: Session, scope: Scope, codes: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    unique = sorted(set(codes))
    for start in range(0, len(unique), 5_000):
        stmt = apply_scope(
            select(Household.code, Household.id), scope, region_path=Household.region_path
        ).where(Household.code.in_(unique[start : start + 5_000]))
        found.update(dict(session.execute(stmt).all()))
    return found


@unscoped("natural keys are unique district-wide; the caller refuses rows outside its scope")
def existing_by_key(
    session: Session, model: Any, key_column: Any, keys: Sequence[str], where: Sequence[Any] = ()
) -> dict[str, tuple[int, str]]:
    """Natural key → (id, region path) of rows that already exist."""
    found: dict[str, tuple[int, str]] = {}
    unique = sorted(set(keys))
    for start in range(0, len(unique), 5_000):
        stmt = select(key_column, model.id, model.region_path).where(
            key_column.in_(unique[start : start + 5_000]), *where
        )
        found.update({key: (rid, path) for key, rid, path in session.execute(stmt)})
    return found


def add_rows(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Bulk insert through Core: one executemany per batch."""
    table = model.__table__
    for start in range(0, len(rows), 10_000):
        session.connection().execute(insert(table), rows[start : start + 10_000])


def update_rows(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Bulk update by primary key: each row holds ``row_id`` and the columns to set."""
    if not rows:
        return
    table = model.__table__
    columns = [key for key in rows[0] if key != "row_id"]
    stmt = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({column: bindparam(f"new_{column}") for column in columns})
    )
    params = [{"row_id": r["row_id"], **{f"new_{c}": r[c] for c in columns}} for r in rows]
    for start in range(0, len(params), 10_000):
        session.connection().execute(stmt, params[start : start + 10_000])


@unscoped("finding where an address is, like a map search, is public geography")
def point_of_address(session: Session, address: str) -> tuple[float, float] | None:
    stmt = (
        select(Building.lon, Building.lat)
        .where(Building.address.contains(address.strip(), autoescape=True))
        .order_by(func.length(Building.address))
        .limit(1)
    )
    row = session.execute(stmt).first()
    return (row[0], row[1]) if row else None

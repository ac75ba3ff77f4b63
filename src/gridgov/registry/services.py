"""Base data rules: who may see and change which rows, how personal data is protected, how
rows are placed in grids. Services take a session and an actor and never commit."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any

import shapely
from sqlalchemy.orm import Session

from gridgov.accounts import services as accounts
from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm, Role
from gridgov.audit import services as audit
from gridgov.config import get_settings
from gridgov.kit import creditcode, geo, idcard
from gridgov.kit.clock import now, to_local
from gridgov.kit.crypto import FieldCipher, mask_id_number, mask_phone
from gridgov.kit.errors import Conflict, InvalidInput, NotFound
from gridgov.kit.geojson import dumps, parse_polygon
from gridgov.kit.pagination import PageParams
from gridgov.regions import services as regions
from gridgov.regions.models import Region
from gridgov.registry import repository
from gridgov.registry.attributes import attribute_errors, check_schema
from gridgov.registry.imports import (
    BuildingsTarget,
    CamerasTarget,
    ComponentsTarget,
    ImportReport,
    Mode,
    PersonsTarget,
    PlacedTarget,
    PlacesTarget,
    RecordsTarget,
    Target,
    run_import,
)
from gridgov.registry.imports import Progress as ImportProgress
from gridgov.registry.models import (
    Building,
    Camera,
    Component,
    House,
    Household,
    IdType,
    Person,
    Place,
    PlaceKind,
    ResourceCategory,
    ResourceRecord,
    SpecialGroupMember,
)
from gridgov.registry.repository import (
    Bbox,
    BuildingFilter,
    ComponentFilter,
    GroupFilter,
    PersonFilter,
)
from gridgov.registry.schemas import (
    AggregationOut,
    BuildingCreate,
    BuildingUpdate,
    CameraUpdate,
    CategoryCreate,
    CategoryStats,
    CategoryUpdate,
    ChildStats,
    ComponentUpdate,
    GroupBrief,
    HouseUpdate,
    MonthGrowth,
    PersonCreate,
    PersonOut,
    PersonUpdate,
    PlaceUpdate,
    QualityIssue,
    RecordCreate,
    RecordUpdate,
    RevealOut,
    SpecialGroupUpdate,
)
from gridgov.registry.tabular import detect_format, read_table


def grid_code(path: str) -> str:
    return path.rstrip("/").split("/")[-1]


def _region_path(session: Session, region_code: str | None, actor: Actor) -> str | None:
    if not region_code:
        return None
    return regions.get_region(session, region_code, actor=actor).path


def _age(birth: date) -> int:
    today = now().date()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


# ---------------------------------------------------------------- people


def _masked_addresses(
    session: Session, house_ids: list[int], actor: Actor, *, full: bool = False
) -> dict[int, str]:
    houses = repository.houses_by_ids(session, actor.scope, house_ids)
    buildings = repository.buildings_by_ids(
        session, actor.scope, [h.building_id for h in houses.values()]
    )
    result: dict[int, str] = {}
    for house_id, house in houses.items():
        building = buildings.get(house.building_id)
        if building is None:
            continue
        if building.kind == "平房":
            result[house_id] = building.address if full else _mask_tail(building.address)
        else:
            room = f"{house.number}室" if full else "****"
            result[house_id] = f"{building.address}{house.unit}单元{room}"
    return result


def _mask_tail(address: str) -> str:
    """A bungalow's address ends in its house number: hide it, keep the village."""
    stripped = address.rstrip("0123456789号")
    return f"{stripped}****" if stripped != address else address


def person_views(session: Session, persons: list[Person], *, actor: Actor) -> list[PersonOut]:
    """Persons as lists show them, built in bulk (one query per related table, not per row)."""
    groups: dict[int, list[GroupBrief]] = {}
    for member in repository.groups_of(session, actor.scope, [p.id for p in persons]):
        groups.setdefault(member.person_id, []).append(
            GroupBrief(group_type=member.group_type, risk_level=member.risk_level)
        )
    addresses = _masked_addresses(
        session, [p.house_id for p in persons if p.house_id is not None], actor
    )
    return [
        PersonOut(
            id=p.id,
            name=p.name,
            gender=p.gender,
            birth_date=p.birth_date,
            age=_age(p.birth_date),
            id_type=IdType(p.id_type),
            id_number=p.id_number_masked,
            phone=p.phone_masked,
            residence_type=p.residence_type,
            household_id=p.household_id,
            relation_to_head=p.relation_to_head,
            house_id=p.house_id,
            address=addresses.get(p.house_id) if p.house_id else None,
            grid_code=grid_code(p.region_path),
            tags=list(p.tags or []),
            special_groups=groups.get(p.id, []),
            updated_at=p.updated_at,
        )
        for p in persons
    ]


def list_persons(
    session: Session,
    *,
    actor: Actor,
    cipher: FieldCipher,
    name: str | None = None,
    id_number: str | None = None,
    phone: str | None = None,
    address: str | None = None,
    residence_type: str | None = None,
    tag: str | None = None,
    group_type: str | None = None,
    region_code: str | None = None,
    page: PageParams,
) -> tuple[list[Person], int]:
    actor.require(Perm.PERSONS_READ)
    filters = PersonFilter(
        name=name,
        # ID numbers and phones are found by their keyed hash: the database never sees them.
        id_number_hash=cipher.search_hash(id_number) if id_number else None,
        phone_hash=cipher.search_hash(phone) if phone else None,
        address=address,
        residence_type=residence_type,
        tag=tag,
        group_type=group_type,
        region_path=_region_path(session, region_code, actor),
    )
    return repository.list_persons(session, actor.scope, filters, page)


def get_person(session: Session, person_id: int, *, actor: Actor) -> Person:
    actor.require(Perm.PERSONS_READ)
    person = repository.get_person(session, actor.scope, person_id)
    if person is None:
        raise NotFound(f"人员 {person_id} 不存在或不在您的管辖范围内", code="person_not_found")
    return person


def groups_of_person(session: Session, person_id: int, *, actor: Actor) -> list[SpecialGroupMember]:
    actor.require(Perm.PERSONS_READ)
    return repository.groups_of(session, actor.scope, [person_id])


def household_members(session: Session, person: Person, *, actor: Actor) -> list[Person]:
    if person.household_id is None:
        return []
    return [
        member
        for member in repository.members_of(session, actor.scope, person.household_id)
        if member.id != person.id
    ]


def house_of(session: Session, person: Person, *, actor: Actor) -> House | None:
    if person.house_id is None:
        return None
    return repository.get_house(session, actor.scope, person.house_id)


def _id_fields(cipher: FieldCipher, id_type: IdType, id_number: str) -> dict[str, str]:
    value = id_number.strip().upper()
    if id_type == IdType.RESIDENT_CARD:
        problem = idcard.problem(value)
        if problem:
            raise InvalidInput(problem, code="invalid_id_number", field="id_number")
    return {
        "id_number_cipher": cipher.encrypt(value),
        "id_number_hash": cipher.search_hash(value),
        "id_number_masked": mask_id_number(value),
    }


def _phone_fields(cipher: FieldCipher, phone: str | None) -> dict[str, str | None]:
    if not phone:
        return {"phone_cipher": None, "phone_hash": None, "phone_masked": None}
    return {
        "phone_cipher": cipher.encrypt(phone),
        "phone_hash": cipher.search_hash(phone),
        "phone_masked": mask_phone(phone),
    }


def _home(
    session: Session, house_id: int | None, grid: str | None, actor: Actor
) -> tuple[House | None, str]:
    if house_id is not None:
        house = repository.get_house(session, actor.scope, house_id)
        if house is None:
            raise InvalidInput(
                f"房屋 {house_id} 不存在或不在您的管辖范围内", code="house_not_found"
            )
        return house, house.region_path
    if grid:
        region = regions.get_region(session, grid, actor=actor)
        if region.level != "grid":
            raise InvalidInput("grid_code 必须是基础网格", code="not_a_grid")
        return None, region.path
    raise InvalidInput("请提供居住房屋 house_id 或所在网格 grid_code", code="location_required")


def create_person(
    session: Session, data: PersonCreate, *, actor: Actor, cipher: FieldCipher
) -> Person:
    actor.require(Perm.PERSONS_WRITE)
    id_fields = _id_fields(cipher, data.id_type, data.id_number)
    if repository.person_id_for_hash(session, id_fields["id_number_hash"]) is not None:
        raise Conflict("该证件号码已登记", code="id_number_taken")
    birth, gender = data.birth_date, data.gender
    if data.id_type == IdType.RESIDENT_CARD:
        number = data.id_number.strip().upper()
        if birth is not None and birth != idcard.birth_date(number):
            raise InvalidInput("出生日期与身份证号不一致", code="birth_date_mismatch")
        if gender is not None and gender != idcard.gender(number):
            raise InvalidInput("性别与身份证号不一致", code="gender_mismatch")
        birth, gender = idcard.birth_date(number), idcard.gender(number)
    if birth is None or gender is None:
        raise InvalidInput("非居民身份证须填写出生日期和性别", code="birth_and_gender_required")
    house, path = _home(session, data.house_id, data.grid_code, actor)
    if data.household_id is not None:
        _household(session, data.household_id, actor)
    person = Person(
        name=data.name,
        gender=gender,
        birth_date=birth,
        id_type=data.id_type.value,
        residence_type=data.residence_type.value,
        household_id=data.household_id,
        relation_to_head=data.relation_to_head,
        house_id=house.id if house else None,
        tags=data.tags,
        region_path=path,
        updated_by=actor.username,
        **id_fields,
        **_phone_fields(cipher, data.phone),
    )
    session.add(person)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="person.create",
        object_type="person",
        object_id=person.id,
        region_path=path,
        summary=f"登记人员 {person.name}",
    )
    return person


def _household(session: Session, household_id: int, actor: Actor) -> Household:
    household = repository.get_household(session, actor.scope, household_id)
    if household is None:
        raise InvalidInput(
            f"户 {household_id} 不存在或不在您的管辖范围内", code="household_not_found"
        )
    return household


def update_person(
    session: Session, person_id: int, data: PersonUpdate, *, actor: Actor, cipher: FieldCipher
) -> Person:
    actor.require(Perm.PERSONS_WRITE)
    person = get_person(session, person_id, actor=actor)
    changed: list[str] = []
    if data.name is not None and data.name != person.name:
        person.name = data.name
        changed.append("name")
    if data.phone is not None:
        for column, value in _phone_fields(cipher, data.phone).items():
            setattr(person, column, value)
        changed.append("phone")
    if data.residence_type is not None and data.residence_type.value != person.residence_type:
        person.residence_type = data.residence_type.value
        changed.append("residence_type")
    if data.house_id is not None and data.house_id != person.house_id:
        house, path = _home(session, data.house_id, None, actor)
        person.house_id = house.id if house else None
        person.region_path = path
        changed.append("house_id")
    if data.household_id is not None and data.household_id != person.household_id:
        person.household_id = _household(session, data.household_id, actor).id
        changed.append("household_id")
    if data.relation_to_head is not None and data.relation_to_head != person.relation_to_head:
        person.relation_to_head = data.relation_to_head
        changed.append("relation_to_head")
    if data.tags is not None and data.tags != person.tags:
        person.tags = data.tags
        changed.append("tags")
    if changed:
        person.updated_by = actor.username
        audit.record(
            session,
            actor=actor,
            action="person.update",
            object_type="person",
            object_id=person.id,
            region_path=person.region_path,
            # Field names only: the audit log must not become a copy of personal data.
            summary=f"修改人员 {person.name}",
            details={"fields": changed},
        )
    return person


def reveal_person(
    session: Session, person_id: int, reason: str, *, actor: Actor, cipher: FieldCipher
) -> RevealOut:
    """The full ID number, phone and address, for a stated reason that the audit log keeps."""
    actor.require(Perm.PERSONS_REVEAL)
    person = get_person(session, person_id, actor=actor)
    addresses = (
        _masked_addresses(session, [person.house_id], actor, full=True) if person.house_id else {}
    )
    audit.record(
        session,
        actor=actor,
        action="person.reveal",
        object_type="person",
        object_id=person.id,
        region_path=person.region_path,
        summary=f"查看 {person.name} 的完整证件号、电话和住址",
        details={"reason": reason},
    )
    return RevealOut(
        id_number=cipher.decrypt(person.id_number_cipher),
        phone=cipher.decrypt(person.phone_cipher) if person.phone_cipher else None,
        address=addresses.get(person.house_id) if person.house_id else None,
    )


def get_household(session: Session, household_id: int, *, actor: Actor) -> Household:
    actor.require(Perm.PERSONS_READ)
    household = repository.get_household(session, actor.scope, household_id)
    if household is None:
        raise NotFound(f"户 {household_id} 不存在或不在您的管辖范围内", code="household_not_found")
    return household


def members(session: Session, household: Household, *, actor: Actor) -> list[Person]:
    return repository.members_of(session, actor.scope, household.id)


def household_paths(
    session: Session,
    *,
    actor: Actor,
    region_paths: list[str] | None = None,
    household_ids: list[int] | None = None,
) -> list[tuple[int, str]]:
    """(id, grid path) of the households in the actor's scope under ``region_paths`` or among
    ``household_ids`` (campaigns pick their targets with it)."""
    actor.require(Perm.PERSONS_READ)
    return repository.household_paths(
        session,
        actor.scope,
        region_paths=region_paths or (),
        household_ids=household_ids or (),
    )


@dataclass(frozen=True)
class HouseholdBrief:
    id: int
    code: str
    region_path: str
    address: str  # masked like every address of a resident
    members: int


def household_briefs(
    session: Session, household_ids: list[int], *, actor: Actor
) -> dict[int, HouseholdBrief]:
    """Code, masked address and member count of the households in the actor's scope."""
    actor.require(Perm.PERSONS_READ)
    households = repository.households_by_ids(session, actor.scope, household_ids)
    addresses = _masked_addresses(
        session, [h.house_id for h in households.values() if h.house_id is not None], actor
    )
    counts = repository.member_counts(session, actor.scope, list(households))
    return {
        h.id: HouseholdBrief(
            id=h.id,
            code=h.code,
            region_path=h.region_path,
            address=addresses.get(h.house_id, "") if h.house_id is not None else "",
            members=counts.get(h.id, 0),
        )
        for h in households.values()
    }


def list_special_groups(
    session: Session,
    *,
    actor: Actor,
    group_type: str | None = None,
    risk_level: str | None = None,
    region_code: str | None = None,
    visit_overdue: bool = False,
    page: PageParams,
) -> tuple[list[SpecialGroupMember], int]:
    actor.require(Perm.PERSONS_READ)
    filters = GroupFilter(
        group_type=group_type,
        risk_level=risk_level,
        region_path=_region_path(session, region_code, actor),
        visit_due_before=None,
    )
    rows, total = repository.list_special_groups(session, actor.scope, filters, page)
    if visit_overdue:
        rows = [row for row in rows if visit_due(row)]
    return rows, total


# A phone's clock may run a little ahead of the server's.
VISIT_CLOCK_SKEW = timedelta(minutes=5)


def special_groups_due(
    session: Session, *, actor: Actor, region_code: str | None = None, limit: int = 20_000
) -> list[SpecialGroupMember]:
    """Members in scope whose next visit is due (never visited, or the last visit is older
    than their interval), at most ``limit``, in no particular order."""
    actor.require(Perm.PERSONS_READ)
    return repository.special_groups_due(
        session,
        actor.scope,
        region_path=_region_path(session, region_code, actor),
        at=now(),
        limit=limit,
    )


def visit_due(member: SpecialGroupMember) -> bool:
    if member.last_visit_at is None:
        return True
    return member.last_visit_at + timedelta(days=member.visit_every_days) < now()


def households_of_persons(
    session: Session, person_ids: list[int], *, actor: Actor
) -> dict[int, int | None]:
    """Each person's household id, for those in scope."""
    actor.require(Perm.PERSONS_READ)
    return repository.households_of(session, actor.scope, person_ids)


def person_names(session: Session, person_ids: list[int], *, actor: Actor) -> dict[int, str]:
    return repository.names_of(session, actor.scope, person_ids)


# ---------------------------------------------------------------- buildings and houses


def list_buildings(
    session: Session,
    *,
    actor: Actor,
    query: str | None = None,
    kind: str | None = None,
    use: str | None = None,
    region_code: str | None = None,
    bbox: Bbox | None = None,
    page: PageParams,
) -> tuple[list[Building], int]:
    actor.require(Perm.REGISTRY_READ)
    filters = BuildingFilter(
        query=query,
        kind=kind,
        use=use,
        region_path=_region_path(session, region_code, actor),
        bbox=bbox,
    )
    return repository.list_buildings(session, actor.scope, filters, page)


def building_counts(
    session: Session, buildings: list[Building], *, actor: Actor
) -> dict[int, tuple[int, int]]:
    return repository.building_counts(session, actor.scope, [b.id for b in buildings])


def get_building(session: Session, building_id: int, *, actor: Actor) -> Building:
    actor.require(Perm.REGISTRY_READ)
    building = repository.get_building(session, actor.scope, building_id)
    if building is None:
        raise NotFound(f"楼栋 {building_id} 不存在或不在您的管辖范围内", code="building_not_found")
    return building


def houses(session: Session, building: Building, *, actor: Actor) -> list[House]:
    return repository.houses_of(session, actor.scope, building.id)


def resident_counts(session: Session, house_ids: list[int], *, actor: Actor) -> dict[int, int]:
    return repository.resident_counts(session, actor.scope, house_ids)


def get_house(session: Session, house_id: int, *, actor: Actor) -> House:
    actor.require(Perm.REGISTRY_READ)
    house = repository.get_house(session, actor.scope, house_id)
    if house is None:
        raise NotFound(f"房屋 {house_id} 不存在或不在您的管辖范围内", code="house_not_found")
    return house


def residents(session: Session, house: House, *, actor: Actor) -> list[Person]:
    """Residents of a house, only for those who may see people."""
    if not actor.can(Perm.PERSONS_READ):
        return []
    return repository.residents_of(session, actor.scope, [house.id])


def create_building(session: Session, data: BuildingCreate, *, actor: Actor) -> Building:
    actor.require(Perm.REGISTRY_WRITE)
    if repository.id_for_code(session, Building, data.code) is not None:
        raise Conflict(f"楼栋编码 {data.code} 已存在", code="building_code_taken")
    footprint = parse_polygon(data.footprint, field="footprint")
    centre = footprint.representative_point()
    path = regions.grid_path_at(session, centre.x, centre.y, "wgs84", actor=actor)
    building = Building(
        code=data.code,
        name=data.name,
        address=data.address,
        kind=data.kind,
        use=data.use,
        floors=data.floors,
        height_m=data.height_m or data.floors * 3.0,
        units=data.units,
        footprint=dumps(footprint),
        lon=centre.x,
        lat=centre.y,
        region_path=path,
        updated_by=actor.username,
    )
    session.add(building)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="building.create",
        object_type="building",
        object_id=building.id,
        region_path=path,
        summary=f"登记楼栋 {building.name}",
    )
    return building


def update_building(
    session: Session, building_id: int, data: BuildingUpdate, *, actor: Actor
) -> Building:
    actor.require(Perm.REGISTRY_WRITE)
    building = get_building(session, building_id, actor=actor)
    values = data.model_dump(exclude_none=True)
    if "floors" in values:
        values["height_m"] = values["floors"] * 3.0
    saved: Building = save_changes(
        session, building, values, actor=actor, kind="building", label=f"楼栋 {building.name}"
    )
    return saved


def save_changes(
    session: Session, row: Any, values: dict[str, Any], *, actor: Actor, kind: str, label: str
) -> Any:
    """Apply changed values to a located row and record them, in one step, for every typed
    table's PATCH: who, when, which fields from what to what."""
    changes = _apply(row, {k: v.value if isinstance(v, Enum) else v for k, v in values.items()})
    if changes:
        row.updated_by = actor.username
        audit.record(
            session,
            actor=actor,
            action=f"{kind}.update",
            object_type=kind,
            object_id=row.id,
            region_path=row.region_path,
            summary=f"修改{label}",
            details={"changes": changes},
        )
    return row


def _apply(row: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set the values that differ; return them as [before, after] for the audit log."""
    changes: dict[str, list[Any]] = {}
    for field, value in values.items():
        if getattr(row, field) != value:
            changes[field] = [_jsonable(getattr(row, field)), _jsonable(value)]
            setattr(row, field, value)
    return changes


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    return value


# ---------------------------------------------------------------- components, cameras, places


def list_components(
    session: Session,
    *,
    actor: Actor,
    query: str | None = None,
    major_code: str | None = None,
    minor_code: str | None = None,
    status: str | None = None,
    region_code: str | None = None,
    bbox: Bbox | None = None,
    page: PageParams,
) -> tuple[list[Component], int]:
    actor.require(Perm.REGISTRY_READ)
    filters = ComponentFilter(
        query=query,
        major_code=major_code,
        minor_code=minor_code,
        status=status,
        region_path=_region_path(session, region_code, actor),
        bbox=bbox,
    )
    return repository.list_components(session, actor.scope, filters, page)


def get_component(session: Session, component_id: int, *, actor: Actor) -> Component:
    actor.require(Perm.REGISTRY_READ)
    component = repository.get_component(session, actor.scope, component_id)
    if component is None:
        raise NotFound(
            f"部件 {component_id} 不存在或不在您的管辖范围内", code="component_not_found"
        )
    return component


def update_component(
    session: Session, component_id: int, data: ComponentUpdate, *, actor: Actor
) -> Component:
    actor.require(Perm.REGISTRY_WRITE)
    component = get_component(session, component_id, actor=actor)
    saved: Component = save_changes(
        session,
        component,
        data.model_dump(exclude_none=True),
        actor=actor,
        kind="component",
        label=f"部件 {component.code}（{component.minor_name}）",
    )
    return saved


def update_camera(session: Session, camera_id: int, data: CameraUpdate, *, actor: Actor) -> Camera:
    actor.require(Perm.REGISTRY_WRITE)
    camera = get_camera(session, camera_id, actor=actor)
    saved: Camera = save_changes(
        session,
        camera,
        data.model_dump(exclude_none=True),
        actor=actor,
        kind="camera",
        label=f"监控 {camera.name}",
    )
    return saved


def update_place(session: Session, place_id: int, data: PlaceUpdate, *, actor: Actor) -> Place:
    actor.require(Perm.REGISTRY_WRITE)
    place = get_place(session, place_id, actor=actor)
    values = data.model_dump(exclude_none=True)
    if values.get("credit_code"):
        problem = creditcode.problem(values["credit_code"])
        if problem:
            raise InvalidInput(problem, code="invalid_credit_code", field="credit_code")
        values["credit_code"] = values["credit_code"].upper()
    saved: Place = save_changes(
        session, place, values, actor=actor, kind="place", label=f"场所 {place.name}"
    )
    return saved


def update_house(session: Session, house_id: int, data: HouseUpdate, *, actor: Actor) -> House:
    actor.require(Perm.REGISTRY_WRITE)
    house = get_house(session, house_id, actor=actor)
    saved: House = save_changes(
        session,
        house,
        data.model_dump(exclude_none=True),
        actor=actor,
        kind="house",
        label=f"房屋 {house.code}",
    )
    return saved


def get_special_group(session: Session, member_id: int, *, actor: Actor) -> SpecialGroupMember:
    actor.require(Perm.PERSONS_READ)
    member = repository.get_special_group(session, actor.scope, member_id)
    if member is None:
        raise NotFound(
            f"特殊人群记录 {member_id} 不存在或不在您的管辖范围内", code="special_group_not_found"
        )
    return member


def update_special_group(
    session: Session, member_id: int, data: SpecialGroupUpdate, *, actor: Actor
) -> SpecialGroupMember:
    actor.require(Perm.PERSONS_WRITE)
    member = get_special_group(session, member_id, actor=actor)
    values: dict[str, Any] = data.model_dump(
        exclude_none=True, exclude={"visited_now", "visited_at"}
    )
    if data.responsible_user_id is not None:
        worker = accounts.get_user(session, data.responsible_user_id, actor=actor)
        if worker.role != Role.GRID_WORKER:
            raise InvalidInput("责任人必须是网格员", code="not_a_grid_worker")
    if data.visited_now:
        values["last_visit_at"] = now()
    elif data.visited_at is not None:
        if data.visited_at > now() + VISIT_CLOCK_SKEW:
            raise InvalidInput("走访时间不能晚于当前时间", code="visit_in_future")
        if member.last_visit_at is None or data.visited_at > member.last_visit_at:
            values["last_visit_at"] = data.visited_at
    saved: SpecialGroupMember = save_changes(
        session,
        member,
        values,
        actor=actor,
        kind="special_group",
        label=f"特殊人群记录（{member.group_type}）",
    )
    return saved


def list_cameras(
    session: Session,
    *,
    actor: Actor,
    status: str | None = None,
    region_code: str | None = None,
    bbox: Bbox | None = None,
    page: PageParams,
) -> tuple[list[Camera], int]:
    actor.require(Perm.REGISTRY_READ)
    return repository.list_cameras(
        session, actor.scope, status, _region_path(session, region_code, actor), bbox, page
    )


def get_camera(session: Session, camera_id: int, *, actor: Actor) -> Camera:
    actor.require(Perm.REGISTRY_READ)
    camera = repository.get_camera(session, actor.scope, camera_id)
    if camera is None:
        raise NotFound(f"监控 {camera_id} 不存在或不在您的管辖范围内", code="camera_not_found")
    return camera


def list_places(
    session: Session,
    *,
    actor: Actor,
    kind: str | None = None,
    query: str | None = None,
    region_code: str | None = None,
    bbox: Bbox | None = None,
    page: PageParams,
) -> tuple[list[Place], int]:
    actor.require(Perm.REGISTRY_READ)
    return repository.list_places(
        session, actor.scope, kind, query, _region_path(session, region_code, actor), bbox, page
    )


def get_place(session: Session, place_id: int, *, actor: Actor) -> Place:
    actor.require(Perm.REGISTRY_READ)
    place = repository.get_place(session, actor.scope, place_id)
    if place is None:
        raise NotFound(f"场所 {place_id} 不存在或不在您的管辖范围内", code="place_not_found")
    return place


# ---------------------------------------------------------------- categories and records


def list_categories(session: Session, *, actor: Actor) -> list[ResourceCategory]:
    actor.require(Perm.REGISTRY_READ)
    return repository.list_categories(session)


def get_category(session: Session, code: str, *, actor: Actor) -> ResourceCategory:
    actor.require(Perm.REGISTRY_READ)
    category = repository.get_category(session, code)
    if category is None:
        raise NotFound(f"资源类别 {code} 不存在", code="category_not_found")
    return category


def create_category(session: Session, data: CategoryCreate, *, actor: Actor) -> ResourceCategory:
    actor.require(Perm.CATEGORIES_WRITE)
    if repository.get_category(session, data.code) is not None:
        raise Conflict(f"资源类别 {data.code} 已存在", code="category_code_taken")
    check_schema(data.attribute_schema)
    category = ResourceCategory(**data.model_dump())
    session.add(category)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="category.create",
        object_type="resource_category",
        object_id=category.code,
        summary=f"新建资源类别 {category.name}",
    )
    return category


def update_category(
    session: Session, code: str, data: CategoryUpdate, *, actor: Actor
) -> ResourceCategory:
    actor.require(Perm.CATEGORIES_WRITE)
    category = get_category(session, code, actor=actor)
    if data.attribute_schema is not None:
        if category.typed_table:
            raise InvalidInput("核心类别的属性由数据表定义，不能修改", code="typed_category")
        check_schema(data.attribute_schema)
    changes = _apply(category, data.model_dump(exclude_none=True))
    if changes:
        repository.bump_category_version(session, category.id)
        audit.record(
            session,
            actor=actor,
            action="category.update",
            object_type="resource_category",
            object_id=category.code,
            summary=f"修改资源类别 {category.name}",
            details={"fields": sorted(changes)},
        )
    return category


def list_records(
    session: Session,
    category: ResourceCategory,
    *,
    actor: Actor,
    query: str | None = None,
    region_code: str | None = None,
    bbox: Bbox | None = None,
    page: PageParams,
) -> tuple[list[ResourceRecord], int]:
    actor.require(Perm.REGISTRY_READ)
    if category.typed_table:
        raise InvalidInput(f"“{category.name}”是核心类别，请使用其专用接口", code="typed_category")
    return repository.list_records(
        session,
        actor.scope,
        category.id,
        query,
        _region_path(session, region_code, actor),
        bbox,
        page,
    )


def get_record(session: Session, record_id: int, *, actor: Actor) -> ResourceRecord:
    actor.require(Perm.REGISTRY_READ)
    record = repository.get_record(session, actor.scope, record_id)
    if record is None:
        raise NotFound(f"记录 {record_id} 不存在或不在您的管辖范围内", code="record_not_found")
    return record


def _placement(
    session: Session, category: ResourceCategory, data: RecordCreate | RecordUpdate, actor: Actor
) -> dict[str, Any]:
    geometry = getattr(data, "geometry", None)
    if category.geometry_type == "polygon":
        if geometry is None:
            raise InvalidInput("该类别需要面状几何 geometry", code="geometry_required")
        polygon = parse_polygon(geometry)
        point = polygon.representative_point()
        return {
            "geometry": dumps(polygon),
            "lon": point.x,
            "lat": point.y,
            "region_path": regions.grid_path_at(session, point.x, point.y, "wgs84", actor=actor),
        }
    if category.geometry_type == "line" and geometry is not None:
        line = shapely.geometry.shape(geometry)
        point = line.interpolate(0.5, normalized=True)
        return {
            "geometry": dumps(line),
            "lon": point.x,
            "lat": point.y,
            "region_path": regions.grid_path_at(session, point.x, point.y, "wgs84", actor=actor),
        }
    if data.location is None:
        raise InvalidInput("该类别需要位置 location", code="location_required")
    path = regions.grid_path_at(
        session,
        data.location.lon,
        data.location.lat,
        data.location.crs,
        actor=actor,
    )
    lon, lat = geo.to_wgs84(data.location.lon, data.location.lat, data.location.crs)
    return {"lon": lon, "lat": lat, "geometry": None, "region_path": path}


def create_record(
    session: Session, category: ResourceCategory, data: RecordCreate, *, actor: Actor
) -> ResourceRecord:
    actor.require(Perm.REGISTRY_WRITE)
    if category.typed_table:
        raise InvalidInput(f"“{category.name}”是核心类别，请使用其专用接口", code="typed_category")
    errors = attribute_errors(category, data.attributes)
    if errors:
        raise InvalidInput("属性不符合类别定义", code="invalid_attributes", errors=errors)
    if repository.record_id_for_code(session, category.id, data.code) is not None:
        raise Conflict(f"编码 {data.code} 在该类别中已存在", code="record_code_taken")
    record = ResourceRecord(
        category_id=category.id,
        code=data.code,
        name=data.name,
        attributes=data.attributes,
        updated_by=actor.username,
        **_placement(session, category, data, actor),
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="record.create",
        object_type=category.code,
        object_id=record.id,
        region_path=record.region_path,
        summary=f"新增{category.name} {record.name}",
    )
    return record


def update_record(
    session: Session, record_id: int, data: RecordUpdate, *, actor: Actor
) -> ResourceRecord:
    actor.require(Perm.REGISTRY_WRITE)
    record = get_record(session, record_id, actor=actor)
    category = repository.category_by_id(session, record.category_id)
    changes: dict[str, Any] = {}
    if data.attributes is not None:
        errors = attribute_errors(category, data.attributes)
        if errors:
            raise InvalidInput("属性不符合类别定义", code="invalid_attributes", errors=errors)
        changes.update(_apply(record, {"attributes": data.attributes}))
    if data.name is not None:
        changes.update(_apply(record, {"name": data.name}))
    if data.location is not None:
        changes.update(_apply(record, _placement(session, category, data, actor)))
    if changes:
        record.updated_by = actor.username
        audit.record(
            session,
            actor=actor,
            action="record.update",
            object_type=category.code,
            object_id=record.id,
            region_path=record.region_path,
            summary=f"修改{category.name} {record.name}",
            details={"fields": sorted(changes)},
        )
    return record


def category_of(session: Session, record: ResourceRecord) -> ResourceCategory:
    return repository.category_by_id(session, record.category_id)


def category_code_of(session: Session, record: ResourceRecord) -> str:
    return category_of(session, record).code


def format_attribute(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


# ------------------------------------------------------------ information aggregation (信息汇聚)


@dataclass(frozen=True)
class _Source:
    category: ResourceCategory
    model: Any
    # The column that tells this category's rows from other categories' in a shared table
    # (generic records by category, places by kind) and its value; None for a table of its own.
    key_column: Any
    key: Any
    personal: bool


_TYPED_MODELS: dict[str, Any] = {
    "persons": Person,
    "households": Household,
    "special_group_members": SpecialGroupMember,
    "buildings": Building,
    "houses": House,
    "components": Component,
    "cameras": Camera,
    "places": Place,
}
_PERSONAL_TABLES = frozenset({"persons", "households", "special_group_members"})


def _sources(session: Session, actor: Actor) -> list[_Source]:
    sources = []
    for category in repository.list_categories(session):
        table = category.typed_table
        if table is None:
            sources.append(
                _Source(category, ResourceRecord, ResourceRecord.category_id, category.id, False)
            )
            continue
        model = _TYPED_MODELS[table]
        personal = table in _PERSONAL_TABLES
        if personal and not actor.can(Perm.PERSONS_READ):
            continue
        if table == "places":
            sources.append(_Source(category, model, Place.kind, place_kind_of(category), False))
        else:
            sources.append(_Source(category, model, None, None, personal))
    return sources


def place_kind_of(category: ResourceCategory) -> str:
    """Which kind of place a typed "places" category holds (its code names the kind)."""
    for kind in PlaceKind:
        if kind.value in category.code:
            return kind.value
    raise InvalidInput(f"类别 {category.code} 未指明场所种类", code="invalid_category")


def _local_midnight_utc(moment: datetime, days_back: int = 0) -> datetime:
    local = to_local(moment, get_settings().timezone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days_back)
    return midnight.astimezone(UTC)


def _last_month_starts(moment: datetime, count: int) -> list[tuple[str, datetime]]:
    """The district's last ``count`` calendar months up to this one: label and first moment."""
    local = to_local(moment, get_settings().timezone)
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    starts = []
    for back in range(count - 1, -1, -1):
        year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
        start = first.replace(year=year, month=month + 1)
        starts.append((f"{year:04d}-{month + 1:02d}", start.astimezone(UTC)))
    return starts


def aggregation(
    session: Session, *, actor: Actor, region_code: str | None = None
) -> AggregationOut:
    """Counts per category for a region and each of its children, what changed today and this
    week, freshness, data quality and growth: the numbers behind 信息汇聚."""
    actor.require(Perm.REGISTRY_READ)
    region = _aggregation_region(session, region_code, actor)
    children, _ = regions.list_regions(
        session, actor=actor, parent_code=region.code, page=PageParams(page=1, page_size=500)
    )
    children = [c for c in children if c.level != "special_grid"]
    moment = now()
    today = _local_midnight_utc(moment)
    week = _local_midnight_utc(
        moment, days_back=to_local(moment, get_settings().timezone).weekday()
    )
    months = _last_month_starts(moment, 12)
    inside = region.path
    categories: list[CategoryStats] = []
    child_counts: dict[str, dict[str, int]] = {c.code: {} for c in children}
    growth = [0] * len(months)
    # One scan per table, grouped by category, instead of seven queries per category: the
    # first 信息汇聚 load used to issue ~500 statements.
    tables: dict[tuple[Any, Any], list[_Source]] = {}
    for source in _sources(session, actor):
        tables.setdefault((source.model, source.key_column), []).append(source)
    for (model, key_column), sources in tables.items():
        where: tuple[Any, ...] = (model.region_path.startswith(inside, autoescape=True),)
        if key_column is not None:
            where += (key_column.in_([s.key for s in sources]),)
        counts = repository.change_counts_by_grid(
            session, actor.scope, model, key_column, where, today=today, week=week
        )
        for source in sources:
            by_grid = counts.get(source.key, {})
            code = source.category.code
            for child in children:
                child_counts[child.code][code] = sum(
                    c.total for path, c in by_grid.items() if path.startswith(child.path)
                )
            summed = repository.ChangeCounts.combined(by_grid.values())
            categories.append(
                CategoryStats(
                    code=code,
                    name=source.category.name,
                    group_name=source.category.group_name,
                    total=summed.total,
                    added_today=summed.added_today,
                    updated_today=summed.updated_today,
                    added_this_week=summed.added_this_week,
                    updated_this_week=summed.updated_this_week,
                    last_updated=summed.last_updated,
                )
            )
        added = repository.created_by_period(
            session, actor.scope, model, [start for _, start in months], where
        )
        growth = [total + n for total, n in zip(growth, added, strict=True)]
    return AggregationOut(
        region_code=region.code,
        region_name=region.name,
        level=region.level,
        total_records=sum(c.total for c in categories),
        categories=categories,
        children=[
            ChildStats(
                code=c.code,
                name=c.name,
                level=c.level,
                counts=child_counts[c.code],
                total=sum(child_counts[c.code].values()),
            )
            for c in children
        ],
        quality=_quality(session, actor, inside),
        growth=[
            MonthGrowth(month=label, added=n)
            for (label, _), n in zip(months, growth, strict=True)
            if n
        ],
    )


def _aggregation_region(session: Session, region_code: str | None, actor: Actor) -> Region:
    if region_code:
        return regions.get_region(session, region_code, actor=actor)
    roots = regions.scope_roots(session, actor=actor)
    if len(roots) != 1:
        raise InvalidInput("请指定 region_code", code="region_required")
    return roots[0]


def _quality(session: Session, actor: Actor, inside: str) -> list[QualityIssue]:
    def count(model: Any, *where: Any) -> int:
        return repository.count_where(
            session,
            actor.scope,
            model,
            (*where, model.region_path.startswith(inside, autoescape=True)),
        )

    issues = [
        QualityIssue(
            code="record_missing_coordinates",
            label="缺少坐标的资源记录",
            count=count(ResourceRecord, ResourceRecord.lon.is_(None)),
        ),
        QualityIssue(
            code="building_without_houses",
            label="未登记房屋的楼栋",
            count=count(Building, ~Building.id.in_(repository.house_building_ids())),
        ),
    ]
    if actor.can(Perm.PERSONS_READ):
        issues += [
            QualityIssue(
                code="person_without_house",
                label="未关联房屋的人员",
                count=count(Person, Person.house_id.is_(None)),
            ),
            QualityIssue(
                code="person_without_household",
                label="未关联户的人员",
                count=count(Person, Person.household_id.is_(None)),
            ),
            QualityIssue(
                code="household_without_head",
                label="没有户主的户",
                count=count(Household, ~Household.id.in_(repository.household_ids_with_head())),
            ),
        ]
    return issues


# ---------------------------------------------------------------- import and export


IMPORT_LIMIT_BYTES = 100 * 1024 * 1024


def import_target(
    session: Session, code: str, crs: geo.Crs, cipher: FieldCipher, *, actor: Actor
) -> Target:
    """The import target named in a URL or command: persons, components, or a generic
    category's code."""
    if code == "persons":
        return PersonsTarget(cipher)
    typed: dict[str, type[PlacedTarget]] = {
        "components": ComponentsTarget,
        "cameras": CamerasTarget,
        "places": PlacesTarget,
        "buildings": BuildingsTarget,
    }
    if code in typed:
        return typed[code](crs)
    category = get_category(session, code, actor=actor)
    if category.typed_table:
        raise InvalidInput(
            f"“{category.name}”不支持文件导入（支持：persons、buildings、components、cameras、"
            "places 与通用类别）",
            code="import_not_supported",
        )
    return RecordsTarget(category, crs)


def import_file(
    session: Session,
    target_code: str,
    content: bytes,
    filename: str,
    *,
    actor: Actor,
    cipher: FieldCipher,
    file_format: str | None = None,
    mapping: dict[str, str] | None = None,
    mode: Mode = "all_or_nothing",
    dry_run: bool = False,
    crs: geo.Crs = "wgs84",
    progress: ImportProgress | None = None,
) -> ImportReport:
    if len(content) > IMPORT_LIMIT_BYTES:
        raise InvalidInput("文件超过 100 MB，请分批导入", code="file_too_large")
    target = import_target(session, target_code, crs, cipher, actor=actor)
    table = read_table(content, detect_format(filename, file_format))
    return run_import(
        session,
        target,
        table,
        actor=actor,
        mapping=mapping,
        mode=mode,
        dry_run=dry_run,
        progress=progress,
    )


EXPORT_PAGE = 5_000
EXPORT_TARGETS = ("persons", "buildings", "components", "cameras", "places")


def export_rows(
    session: Session, target: str, *, actor: Actor, cipher: FieldCipher, filters: dict[str, Any]
) -> tuple[list[str], list[tuple[dict[str, Any] | None, list[Any]]]]:
    """Columns and rows of a filtered list, as every list shows them (personal data masked)."""
    if target == "persons":
        columns = [
            "姓名",
            "性别",
            "出生日期",
            "证件类型",
            "证件号码",
            "电话",
            "人口类型",
            "住址",
            "网格编码",
            "标签",
        ]
        people = _all_pages(
            lambda page: list_persons(session, actor=actor, cipher=cipher, page=page, **filters)
        )
        rows: list[tuple[dict[str, Any] | None, list[Any]]] = [
            (
                None,
                [
                    p.name,
                    p.gender,
                    p.birth_date.isoformat(),
                    p.id_type.value,
                    p.id_number,
                    p.phone or "",
                    p.residence_type.value,
                    p.address or "",
                    p.grid_code,
                    "、".join(p.tags),
                ],
            )
            for chunk in _chunks(people, 2_000)
            for p in person_views(session, chunk, actor=actor)
        ]
        return columns, rows
    if target == "buildings":
        buildings = _all_pages(
            lambda page: list_buildings(session, actor=actor, page=page, **filters)
        )
        return (
            ["编码", "名称", "地址", "类型", "用途", "层数", "单元", "经度", "纬度", "网格编码"],
            [
                (
                    json.loads(b.footprint),
                    [
                        b.code,
                        b.name,
                        b.address,
                        b.kind,
                        b.use,
                        b.floors,
                        b.units,
                        b.lon,
                        b.lat,
                        grid_code(b.region_path),
                    ],
                )
                for b in buildings
            ],
        )
    if target == "components":
        items = _all_pages(lambda page: list_components(session, actor=actor, page=page, **filters))
        return (
            [
                "code",
                "minor_code",
                "minor_name",
                "major_name",
                "status",
                "address",
                "lon",
                "lat",
                "grid_code",
            ],
            [
                (
                    {"type": "Point", "coordinates": [c.lon, c.lat]},
                    [
                        c.code,
                        c.minor_code,
                        c.minor_name,
                        c.major_name,
                        c.status,
                        c.address,
                        c.lon,
                        c.lat,
                        grid_code(c.region_path),
                    ],
                )
                for c in items
            ],
        )
    if target == "cameras":
        cameras = _all_pages(lambda page: list_cameras(session, actor=actor, page=page, **filters))
        return (
            ["code", "name", "status", "direction_deg", "stream_url", "lon", "lat", "grid_code"],
            [
                (
                    {"type": "Point", "coordinates": [c.lon, c.lat]},
                    [
                        c.code,
                        c.name,
                        c.status,
                        c.direction_deg,
                        c.stream_url,
                        c.lon,
                        c.lat,
                        grid_code(c.region_path),
                    ],
                )
                for c in cameras
            ],
        )
    if target == "places":
        places = _all_pages(lambda page: list_places(session, actor=actor, page=page, **filters))
        return (
            [
                "code",
                "kind",
                "name",
                "credit_code",
                "industry",
                "address",
                "lon",
                "lat",
                "grid_code",
            ],
            [
                (
                    {"type": "Point", "coordinates": [p.lon, p.lat]},
                    [
                        p.code,
                        p.kind,
                        p.name,
                        p.credit_code or "",
                        p.industry,
                        p.address,
                        p.lon,
                        p.lat,
                        grid_code(p.region_path),
                    ],
                )
                for p in places
            ],
        )
    category = get_category(session, target, actor=actor)
    records = _all_pages(
        lambda page: list_records(session, category, actor=actor, page=page, **filters)
    )
    keys = list(category.attribute_schema.get("properties", {}))
    return (
        ["code", "name", "lon", "lat", *keys, "grid_code"],
        [
            (
                json.loads(r.geometry)
                if r.geometry
                else {"type": "Point", "coordinates": [r.lon, r.lat]},
                [
                    r.code,
                    r.name,
                    r.lon,
                    r.lat,
                    *(_cell(r.attributes.get(k)) for k in keys),
                    grid_code(r.region_path),
                ],
            )
            for r in records
        ],
    )


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return "" if value is None else value


def _all_pages(fetch: Callable[[PageParams], tuple[list[Any], int]]) -> list[Any]:
    rows: list[Any] = []
    page = 1
    while True:
        chunk, total = fetch(PageParams(page=page, page_size=EXPORT_PAGE))
        rows.extend(chunk)
        if not chunk or len(rows) >= total:
            return rows
        page += 1


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def geocode(session: Session, address: str) -> tuple[float, float] | None:
    """The point of the registered building whose address best matches, if any."""
    return repository.point_of_address(session, address)

"""Pages for the base data: information aggregation, people, buildings, components, places and
every resource category. They call the registry services, like the API does."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.audit import services as audit
from gridgov.http import CipherDep, OptionalActorDep, SessionDep
from gridgov.kit.clock import format_local
from gridgov.kit.geo import parse_bbox
from gridgov.kit.pagination import PageParams
from gridgov.registry import services
from gridgov.registry.api import person_detail
from gridgov.registry.models import (
    CameraStatus,
    ComponentStatus,
    HouseUse,
    PlaceKind,
    ResidenceType,
    SpecialGroupType,
)
from gridgov.web.forms import (
    ApiForm,
    building_form,
    camera_form,
    category_create_form,
    component_form,
    house_form,
    person_form,
    place_form,
    record_create_form,
    record_edit_form,
    special_group_form,
)
from gridgov.web.rendering import PAGE_SIZE, login_redirect, pager, render

router = APIRouter(include_in_schema=False)
Text = Annotated[str | None, Query(max_length=100)]
PageNo = Annotated[int, Query(ge=1)]
Cell = tuple[str, str | None]

# Typed categories have pages of their own; the aggregation table links there.
TYPED_PAGES = {
    "persons": "/persons",
    "special_group_members": "/special-groups",
    "buildings": "/buildings",
    "components": "/components",
    "cameras": "/cameras",
}
PLACE_KIND_LABELS = {PlaceKind.ENTERPRISE: "企业", PlaceKind.SHOP: "商铺", PlaceKind.POI: "兴趣点"}


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    value: str | None
    options: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    empty: str = "暂无。"


def _options(values: Any) -> list[tuple[str, str]]:
    return [(v.value, v.value) for v in values]


def _list_page(
    request: Request,
    actor: Actor,
    title: str,
    columns: list[str],
    rows: list[list[Cell]],
    total: int,
    page: int,
    filters: list[Filter],
    intro: str = "",
    forms: list[ApiForm] | None = None,
) -> Response:
    return render(
        request,
        "list.html",
        actor=actor,
        forms=forms or [],
        title=title,
        intro=intro,
        columns=columns,
        rows=rows,
        filters=filters,
        pager=pager(request, page, total),
    )


def _page(page: int) -> PageParams:
    return PageParams(page=page, page_size=PAGE_SIZE)


@router.get("/registry")
def aggregation_page(
    request: Request, session: SessionDep, actor: OptionalActorDep, region_code: Text = None
) -> Response:
    if actor is None:
        return login_redirect(request)
    stats = services.aggregation(session, actor=actor, region_code=region_code)
    links = {
        c.code: TYPED_PAGES[c.typed_table]
        for c in services.list_categories(session, actor=actor)
        if c.typed_table in TYPED_PAGES
    }
    headline = [c for c in stats.categories if c.code in links][:6]
    return render(
        request, "registry.html", actor=actor, stats=stats, category_links=links, headline=headline
    )


@router.get("/persons")
def persons_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    cipher: CipherDep,
    name: Text = None,
    id_number: Text = None,
    phone: Text = None,
    address: Text = None,
    residence_type: Text = None,
    group_type: Text = None,
    region_code: Text = None,
    page: PageNo = 1,
) -> Response:
    if actor is None:
        return login_redirect(request)
    rows, total = services.list_persons(
        session,
        actor=actor,
        cipher=cipher,
        name=name,
        id_number=id_number,
        phone=phone,
        address=address,
        residence_type=residence_type,
        group_type=group_type,
        region_code=region_code,
        page=_page(page),
    )
    views = services.person_views(session, rows, actor=actor)
    return _list_page(
        request,
        actor,
        "实有人口",
        ["姓名", "性别", "年龄", "证件号", "电话", "类型", "住址", "网格", "特殊人群"],
        [
            [
                (p.name, f"/persons/{p.id}"),
                (p.gender, None),
                (str(p.age), None),
                (p.id_number, None),
                (p.phone or "", None),
                (p.residence_type.value, None),
                (p.address or "", None),
                (p.grid_code, None),
                ("、".join(g.group_type.value for g in p.special_groups), None),
            ]
            for p in views
        ],
        total,
        page,
        [
            Filter("name", "姓名", name),
            Filter("id_number", "证件号（精确）", id_number),
            Filter("phone", "电话（精确）", phone),
            Filter("address", "住址", address),
            Filter("residence_type", "人口类型", residence_type, _options(ResidenceType)),
            Filter("group_type", "特殊人群", group_type, _options(SpecialGroupType)),
            Filter("region_code", "区域编码", region_code),
        ],
        intro="证件号和电话按精确值查找；列表中的证件号、电话和门牌号均已脱敏。",
    )


@router.get("/persons/{person_id}")
def person_page(
    request: Request, person_id: int, session: SessionDep, actor: OptionalActorDep
) -> Response:
    if actor is None:
        return login_redirect(request)
    person = person_detail(session, person_id, actor)
    return render(
        request,
        "person.html",
        actor=actor,
        person=person,
        history=_history(session, "person", person.id, actor),
        forms=[
            person_form(person),
            *(
                special_group_form(g.id, g.group_type, g.risk_level, g.visit_every_days)
                for g in services.groups_of_person(session, person.id, actor=actor)
            ),
        ]
        if actor.can(Perm.PERSONS_WRITE)
        else [],
        house=person.house,
        can_reveal=actor.can(Perm.PERSONS_REVEAL),
    )


def _person_rows(session: SessionDep, people: list[Any], actor: Actor) -> list[list[Cell]]:
    return [
        [
            (p.name, f"/persons/{p.id}"),
            (p.relation_to_head, None),
            (p.gender, None),
            (str(p.age), None),
            (p.id_number, None),
            (p.phone or "", None),
        ]
        for p in services.person_views(session, people, actor=actor)
    ]


def _history(session: SessionDep, kind: str, object_id: int, actor: Actor) -> Section:
    entries = audit.object_history(session, kind, object_id, actor=actor)
    return Section(
        "变更记录",
        ["时间", "操作人", "操作", "说明"],
        [
            [
                (format_local(e.at), None),
                (e.actor_username, None),
                (e.action, None),
                (e.summary, None),
            ]
            for e in entries
        ],
        "自登记以来没有变更记录。",
    )


@router.get("/households/{household_id}")
def household_page(
    request: Request, household_id: int, session: SessionDep, actor: OptionalActorDep
) -> Response:
    if actor is None:
        return login_redirect(request)
    household = services.get_household(session, household_id, actor=actor)
    members = services.members(session, household, actor=actor)
    return render(
        request,
        "detail.html",
        actor=actor,
        title=f"户 {household.code}",
        subtitle=f"网格 {services.grid_code(household.region_path)}",
        facts=[("成员数", len(members)), ("更新时间", format_local(household.updated_at))],
        sections=[
            Section(
                "家庭成员",
                ["姓名", "关系", "性别", "年龄", "证件号", "电话"],
                _person_rows(session, members, actor),
            )
        ],
    )


@router.get("/special-groups")
def special_groups_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    group_type: Text = None,
    risk_level: Text = None,
    region_code: Text = None,
    page: PageNo = 1,
) -> Response:
    if actor is None:
        return login_redirect(request)
    rows, total = services.list_special_groups(
        session,
        actor=actor,
        group_type=group_type,
        risk_level=risk_level,
        region_code=region_code,
        page=_page(page),
    )
    names = services.person_names(session, [r.person_id for r in rows], actor=actor)
    return _list_page(
        request,
        actor,
        "特殊人群",
        ["姓名", "类别", "风险", "走访周期", "最近走访", "走访状态", "网格"],
        [
            [
                (names.get(r.person_id, ""), f"/persons/{r.person_id}"),
                (r.group_type, None),
                (r.risk_level, None),
                (f"每 {r.visit_every_days} 天", None),
                (format_local(r.last_visit_at) or "从未", None),
                ("逾期未访" if services.visit_due(r) else "按期", None),
                (services.grid_code(r.region_path), None),
            ]
            for r in rows
        ],
        total,
        page,
        [
            Filter("group_type", "类别", group_type, _options(SpecialGroupType)),
            Filter("risk_level", "风险", risk_level, [("高", "高"), ("中", "中"), ("低", "低")]),
            Filter("region_code", "区域编码", region_code),
        ],
    )


@router.get("/buildings")
def buildings_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    q: Text = None,
    kind: Text = None,
    region_code: Text = None,
    page: PageNo = 1,
) -> Response:
    if actor is None:
        return login_redirect(request)
    rows, total = services.list_buildings(
        session, actor=actor, query=q, kind=kind, region_code=region_code, page=_page(page)
    )
    counts = services.building_counts(session, rows, actor=actor)
    return _list_page(
        request,
        actor,
        "楼栋房屋",
        ["编码", "名称", "类型", "用途", "层数", "房屋", "住户人数", "网格"],
        [
            [
                (b.code, f"/buildings/{b.id}"),
                (b.name, f"/buildings/{b.id}"),
                (b.kind, None),
                (b.use, None),
                (str(b.floors), None),
                (str(counts.get(b.id, (0, 0))[0]), None),
                (str(counts.get(b.id, (0, 0))[1]), None),
                (services.grid_code(b.region_path), None),
            ]
            for b in rows
        ],
        total,
        page,
        [
            Filter("q", "名称、地址或编码", q),
            Filter("kind", "类型", kind, [("楼栋", "楼栋"), ("平房", "平房")]),
            Filter("region_code", "区域编码", region_code),
        ],
    )


@router.get("/buildings/{building_id}")
def building_page(
    request: Request, building_id: int, session: SessionDep, actor: OptionalActorDep
) -> Response:
    if actor is None:
        return login_redirect(request)
    building = services.get_building(session, building_id, actor=actor)
    houses = services.houses(session, building, actor=actor)
    residents = services.resident_counts(session, [h.id for h in houses], actor=actor)
    return render(
        request,
        "detail.html",
        actor=actor,
        title=building.name,
        subtitle=building.code,
        facts=[
            ("地址", building.address),
            ("类型 / 用途", f"{building.kind} / {building.use}"),
            ("层数 / 高度", f"{building.floors} 层 / {building.height_m:.0f} 米"),
            ("单元", building.units),
            ("网格", services.grid_code(building.region_path)),
            ("更新", f"{format_local(building.updated_at)}（{building.updated_by}）"),
        ],
        sections=[
            Section(
                "房屋",
                ["单元", "楼层", "门牌", "面积(m²)", "用途", "住户人数"],
                [
                    [
                        (str(h.unit), None),
                        (str(h.floor), None),
                        (h.number, f"/houses/{h.id}"),
                        (f"{h.area_m2:.1f}", None),
                        (h.use, None),
                        (str(residents.get(h.id, 0)), None),
                    ]
                    for h in houses
                ],
                "该楼栋尚未登记房屋。",
            ),
            _history(session, "building", building.id, actor),
        ],
        forms=[building_form(building)] if actor.can(Perm.REGISTRY_WRITE) else [],
    )


@router.get("/houses/{house_id}")
def house_page(
    request: Request, house_id: int, session: SessionDep, actor: OptionalActorDep
) -> Response:
    if actor is None:
        return login_redirect(request)
    house = services.get_house(session, house_id, actor=actor)
    building = services.get_building(session, house.building_id, actor=actor)
    people = services.residents(session, house, actor=actor)
    return render(
        request,
        "detail.html",
        actor=actor,
        title=f"{building.name} {house.unit}单元 {house.number}",
        subtitle=house.code,
        facts=[
            ("楼层", house.floor),
            ("面积", f"{house.area_m2:.1f} m²"),
            ("用途", HouseUse(house.use).value),
            ("更新", f"{format_local(house.updated_at)}（{house.updated_by}）"),
        ],
        sections=[
            Section(
                "住户",
                ["姓名", "关系", "性别", "年龄", "证件号", "电话"],
                _person_rows(session, people, actor),
                "无住户，或您无权查看人员信息。",
            ),
            _history(session, "house", house.id, actor),
        ],
        forms=[house_form(house)] if actor.can(Perm.REGISTRY_WRITE) else [],
    )


@router.get("/components")
def components_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    q: Text = None,
    major_code: Text = None,
    status: Text = None,
    region_code: Text = None,
    page: PageNo = 1,
) -> Response:
    if actor is None:
        return login_redirect(request)
    rows, total = services.list_components(
        session,
        actor=actor,
        query=q,
        major_code=major_code,
        status=status,
        region_code=region_code,
        page=_page(page),
    )
    return _list_page(
        request,
        actor,
        "城市部件",
        ["编码", "大类", "小类", "状态", "地址", "网格", "更新"],
        [
            [
                (c.code, f"/components/{c.id}"),
                (c.major_name, None),
                (c.minor_name, None),
                (c.status, None),
                (c.address, None),
                (services.grid_code(c.region_path), None),
                (format_local(c.updated_at), None),
            ]
            for c in rows
        ],
        total,
        page,
        [
            Filter("q", "编码或地址", q),
            Filter(
                "major_code",
                "大类",
                major_code,
                [
                    ("01", "公用设施"),
                    ("02", "道路交通"),
                    ("03", "市容环境"),
                    ("04", "园林绿化"),
                    ("05", "房屋土地"),
                    ("06", "其他设施"),
                ],
            ),
            Filter("status", "状态", status, _options(ComponentStatus)),
            Filter("region_code", "区域编码", region_code),
        ],
    )


@router.get("/cameras")
def cameras_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    status: Text = None,
    region_code: Text = None,
    page: PageNo = 1,
) -> Response:
    if actor is None:
        return login_redirect(request)
    rows, total = services.list_cameras(
        session, actor=actor, status=status, region_code=region_code, page=_page(page)
    )
    return _list_page(
        request,
        actor,
        "视频监控",
        ["编码", "名称", "朝向", "状态", "视频流", "网格"],
        [
            [
                (c.code, f"/cameras/{c.id}"),
                (c.name, None),
                (f"{c.direction_deg}°", None),
                (c.status, None),
                ("打开", c.stream_url),
                (services.grid_code(c.region_path), None),
            ]
            for c in rows
        ],
        total,
        page,
        [
            Filter("status", "状态", status, _options(CameraStatus)),
            Filter("region_code", "区域编码", region_code),
        ],
    )


@router.get("/places")
def places_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    kind: Text = None,
    q: Text = None,
    region_code: Text = None,
    page: PageNo = 1,
) -> Response:
    if actor is None:
        return login_redirect(request)
    rows, total = services.list_places(
        session, actor=actor, kind=kind, query=q, region_code=region_code, page=_page(page)
    )
    return _list_page(
        request,
        actor,
        "企业、商铺与兴趣点",
        ["名称", "种类", "行业", "统一社会信用代码", "地址", "从业人数", "网格"],
        [
            [
                (p.name, f"/places/{p.id}"),
                (PLACE_KIND_LABELS[PlaceKind(p.kind)], None),
                (p.industry, None),
                (p.credit_code or "", None),
                (p.address, None),
                (str(p.employees), None),
                (services.grid_code(p.region_path), None),
            ]
            for p in rows
        ],
        total,
        page,
        [
            Filter("kind", "种类", kind, [(k.value, v) for k, v in PLACE_KIND_LABELS.items()]),
            Filter("q", "名称或地址", q),
            Filter("region_code", "区域编码", region_code),
        ],
    )


@router.get("/resource-categories")
def categories_page(request: Request, session: SessionDep, actor: OptionalActorDep) -> Response:
    if actor is None:
        return login_redirect(request)
    categories = services.list_categories(session, actor=actor)
    rows: list[list[Cell]] = [
        [
            (c.name, TYPED_PAGES.get(c.typed_table or "", f"/resource-categories/{c.code}")),
            (c.code, None),
            (c.group_name, None),
            ({"point": "点", "polygon": "面", "line": "线", "none": "无"}[c.geometry_type], None),
            ("核心（专用表）" if c.typed_table else "通用", None),
            (f"v{c.version}", None),
        ]
        for c in categories
    ]
    return _list_page(
        request,
        actor,
        "资源类别",
        ["名称", "编码", "分组", "几何", "存储", "版本"],
        rows,
        len(rows),
        1,
        [],
        intro="全区城市资源类别；通用类别的属性由管理员以 JSON Schema 定义。",
        forms=[category_create_form()] if actor.can(Perm.CATEGORIES_WRITE) else [],
    )


@router.get("/resource-categories/{code}")
def records_page(
    request: Request,
    code: str,
    session: SessionDep,
    actor: OptionalActorDep,
    q: Text = None,
    region_code: Text = None,
    bbox: Text = None,
    page: PageNo = 1,
) -> Response:
    if actor is None:
        return login_redirect(request)
    category = services.get_category(session, code, actor=actor)
    rows, total = services.list_records(
        session,
        category,
        actor=actor,
        query=q,
        region_code=region_code,
        bbox=parse_bbox(bbox),
        page=_page(page),
    )
    keys = list(category.attribute_schema.get("properties", {}))[:5]
    return _list_page(
        request,
        actor,
        category.name,
        ["编码", "名称", *keys, "网格", "更新"],
        [
            [
                (r.code, f"/resource-records/{r.id}"),
                (r.name, None),
                *((str(r.attributes.get(k, "")), None) for k in keys),
                (services.grid_code(r.region_path), None),
                (f"{format_local(r.updated_at)}（{r.updated_by}）", None),
            ]
            for r in rows
        ],
        total,
        page,
        [Filter("q", "名称或编码", q), Filter("region_code", "区域编码", region_code)],
        intro=category.description,
        forms=[record_create_form(category)] if actor.can(Perm.REGISTRY_WRITE) else [],
    )


@router.get("/components/{component_id}")
def component_page(
    request: Request, component_id: int, session: SessionDep, actor: OptionalActorDep
) -> Response:
    if actor is None:
        return login_redirect(request)
    component = services.get_component(session, component_id, actor=actor)
    return render(
        request,
        "detail.html",
        actor=actor,
        title=f"{component.minor_name} {component.code}",
        subtitle=f"{component.major_name} · 网格 {services.grid_code(component.region_path)}",
        facts=[
            ("状态", component.status),
            ("地址", component.address),
            ("坐标", f"{component.lon:.6f}, {component.lat:.6f}"),
            ("更新", f"{format_local(component.updated_at)}（{component.updated_by}）"),
        ],
        sections=[_history(session, "component", component.id, actor)],
        forms=[component_form(component)] if actor.can(Perm.REGISTRY_WRITE) else [],
    )


@router.get("/cameras/{camera_id}")
def camera_page(
    request: Request, camera_id: int, session: SessionDep, actor: OptionalActorDep
) -> Response:
    if actor is None:
        return login_redirect(request)
    camera = services.get_camera(session, camera_id, actor=actor)
    return render(
        request,
        "detail.html",
        actor=actor,
        title=camera.name,
        subtitle=f"{camera.code} · 网格 {services.grid_code(camera.region_path)}",
        facts=[
            ("状态", camera.status),
            ("朝向", f"{camera.direction_deg}°"),
            ("视频流", camera.stream_url),
            ("坐标", f"{camera.lon:.6f}, {camera.lat:.6f}"),
            ("更新", f"{format_local(camera.updated_at)}（{camera.updated_by}）"),
        ],
        sections=[_history(session, "camera", camera.id, actor)],
        forms=[camera_form(camera)] if actor.can(Perm.REGISTRY_WRITE) else [],
    )


@router.get("/places/{place_id}")
def place_page(
    request: Request, place_id: int, session: SessionDep, actor: OptionalActorDep
) -> Response:
    if actor is None:
        return login_redirect(request)
    place = services.get_place(session, place_id, actor=actor)
    return render(
        request,
        "detail.html",
        actor=actor,
        title=place.name,
        subtitle=f"{PLACE_KIND_LABELS[PlaceKind(place.kind)]} · {place.code}",
        facts=[
            ("行业", place.industry),
            ("统一社会信用代码", place.credit_code or "—"),
            ("地址", place.address),
            ("从业人数", place.employees),
            ("网格", services.grid_code(place.region_path)),
            ("更新", f"{format_local(place.updated_at)}（{place.updated_by}）"),
        ],
        sections=[_history(session, "place", place.id, actor)],
        forms=[place_form(place)] if actor.can(Perm.REGISTRY_WRITE) else [],
    )


@router.get("/resource-records/{record_id}")
def record_page(
    request: Request, record_id: int, session: SessionDep, actor: OptionalActorDep
) -> Response:
    if actor is None:
        return login_redirect(request)
    record = services.get_record(session, record_id, actor=actor)
    category = services.category_of(session, record)
    return render(
        request,
        "detail.html",
        actor=actor,
        title=record.name,
        subtitle=f"{category.name} · {record.code}",
        facts=[
            *((key, services.format_attribute(value)) for key, value in record.attributes.items()),
            ("坐标", f"{record.lon:.6f}, {record.lat:.6f}" if record.lon is not None else "—"),
            ("网格", services.grid_code(record.region_path)),
            ("更新", f"{format_local(record.updated_at)}（{record.updated_by}）"),
        ],
        sections=[_history(session, category.code, record.id, actor)],
        forms=[record_edit_form(record, category)] if actor.can(Perm.REGISTRY_WRITE) else [],
    )

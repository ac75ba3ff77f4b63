from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.http import ActorDep, CipherDep, SessionDep
from gridgov.kit.clock import now
from gridgov.kit.errors import InvalidInput
from gridgov.kit.geo import parse_bbox
from gridgov.kit.geojson import as_dict
from gridgov.kit.pagination import Page, PageParams, page_params
from gridgov.registry import services
from gridgov.registry.imports import ImportReport
from gridgov.registry.models import (
    Building,
    Camera,
    Component,
    House,
    Place,
    ResourceCategory,
    ResourceRecord,
    SpecialGroupMember,
)
from gridgov.registry.schemas import (
    AggregationOut,
    BuildingCreate,
    BuildingDetail,
    BuildingOut,
    BuildingUpdate,
    CameraOut,
    CameraUpdate,
    CategoryCreate,
    CategoryOut,
    CategoryUpdate,
    ComponentOut,
    ComponentUpdate,
    HouseBrief,
    HouseDetail,
    HouseholdOut,
    HouseOut,
    HouseUpdate,
    ImportReportOut,
    PersonCreate,
    PersonDetail,
    PersonOut,
    PersonUpdate,
    PlaceOut,
    PlaceUpdate,
    RecordCreate,
    RecordOut,
    RecordUpdate,
    RevealOut,
    RevealRequest,
    SpecialGroupOut,
    SpecialGroupUpdate,
)
from gridgov.registry.services import grid_code
from gridgov.registry.tabular import write_csv, write_geojson, write_xlsx

router = APIRouter(prefix="/api/v1", tags=["registry"])
PageDep = Annotated[PageParams, Depends(page_params)]
Text = Annotated[str | None, Query(max_length=100)]


BboxParam = Annotated[str | None, Query(description="min_lon,min_lat,max_lon,max_lat")]


# ---------------------------------------------------------------- people


def person_detail(session: Session, person_id: int, actor: Actor) -> PersonDetail:
    person = services.get_person(session, person_id, actor=actor)
    others = services.household_members(session, person, actor=actor)
    views = services.person_views(session, [person, *others], actor=actor)
    house = services.house_of(session, person, actor=actor)
    return PersonDetail(
        **views[0].model_dump(),
        household_members=views[1:],
        house=HouseBrief.model_validate(house, from_attributes=True) if house else None,
    )


@router.get("/persons", response_model=Page[PersonOut], summary="实有人口查询")
def list_persons(
    session: SessionDep,
    actor: ActorDep,
    cipher: CipherDep,
    page: PageDep,
    name: Text = None,
    id_number: Annotated[str | None, Query(max_length=30, description="exact")] = None,
    phone: Annotated[str | None, Query(max_length=20, description="exact")] = None,
    address: Text = None,
    residence_type: Text = None,
    tag: Text = None,
    group_type: Text = None,
    region_code: Text = None,
) -> Page[PersonOut]:
    rows, total = services.list_persons(
        session,
        actor=actor,
        cipher=cipher,
        name=name,
        id_number=id_number,
        phone=phone,
        address=address,
        residence_type=residence_type,
        tag=tag,
        group_type=group_type,
        region_code=region_code,
        page=page,
    )
    return Page.of(services.person_views(session, rows, actor=actor), total, page)


@router.get("/persons/{person_id}", response_model=PersonDetail, summary="人员档案")
def get_person(person_id: int, session: SessionDep, actor: ActorDep) -> PersonDetail:
    return person_detail(session, person_id, actor)


@router.post("/persons", response_model=PersonDetail, status_code=201, summary="登记人员")
def create_person(
    data: PersonCreate, session: SessionDep, actor: ActorDep, cipher: CipherDep
) -> PersonDetail:
    person = services.create_person(session, data, actor=actor, cipher=cipher)
    return person_detail(session, person.id, actor)


@router.patch("/persons/{person_id}", response_model=PersonDetail, summary="修改人员")
def update_person(
    person_id: int, data: PersonUpdate, session: SessionDep, actor: ActorDep, cipher: CipherDep
) -> PersonDetail:
    services.update_person(session, person_id, data, actor=actor, cipher=cipher)
    return person_detail(session, person_id, actor)


@router.post(
    "/persons/{person_id}/reveal",
    response_model=RevealOut,
    summary="查看完整证件号、电话和住址（需权限与理由，留痕）",
)
def reveal_person(
    person_id: int, data: RevealRequest, session: SessionDep, actor: ActorDep, cipher: CipherDep
) -> RevealOut:
    return services.reveal_person(session, person_id, data.reason, actor=actor, cipher=cipher)


@router.get("/households/{household_id}", response_model=HouseholdOut, summary="户信息")
def get_household(household_id: int, session: SessionDep, actor: ActorDep) -> HouseholdOut:
    household = services.get_household(session, household_id, actor=actor)
    members = services.members(session, household, actor=actor)
    head = next((m.name for m in members if m.relation_to_head == "户主"), None)
    return HouseholdOut(
        id=household.id,
        code=household.code,
        house_id=household.house_id,
        grid_code=grid_code(household.region_path),
        head_name=head,
        members=services.person_views(session, members, actor=actor),
    )


def special_group_out(member: SpecialGroupMember, names: dict[int, str]) -> SpecialGroupOut:
    return SpecialGroupOut(
        id=member.id,
        person_id=member.person_id,
        person_name=names.get(member.person_id, ""),
        group_type=member.group_type,
        risk_level=member.risk_level,
        responsible_user_id=member.responsible_user_id,
        visit_every_days=member.visit_every_days,
        last_visit_at=member.last_visit_at,
        visit_due=services.visit_due(member),
        grid_code=grid_code(member.region_path),
    )


@router.get("/special-groups/{member_id}", response_model=SpecialGroupOut, summary="特殊人群记录")
def get_special_group(member_id: int, session: SessionDep, actor: ActorDep) -> SpecialGroupOut:
    member = services.get_special_group(session, member_id, actor=actor)
    names = services.person_names(session, [member.person_id], actor=actor)
    return special_group_out(member, names)


@router.patch(
    "/special-groups/{member_id}",
    response_model=SpecialGroupOut,
    summary="修改特殊人群记录（风险、走访周期、责任人）或记录一次走访",
)
def update_special_group(
    member_id: int, data: SpecialGroupUpdate, session: SessionDep, actor: ActorDep
) -> SpecialGroupOut:
    member = services.update_special_group(session, member_id, data, actor=actor)
    names = services.person_names(session, [member.person_id], actor=actor)
    return special_group_out(member, names)


@router.get("/special-groups", response_model=Page[SpecialGroupOut], summary="特殊人群")
def list_special_groups(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    group_type: Text = None,
    risk_level: Text = None,
    region_code: Text = None,
) -> Page[SpecialGroupOut]:
    rows, total = services.list_special_groups(
        session,
        actor=actor,
        group_type=group_type,
        risk_level=risk_level,
        region_code=region_code,
        page=page,
    )
    names = services.person_names(session, [r.person_id for r in rows], actor=actor)
    return Page.of([special_group_out(r, names) for r in rows], total, page)


# ---------------------------------------------------------------- buildings and houses


def building_out(building: Building, counts: tuple[int, int]) -> BuildingOut:
    return BuildingOut(
        id=building.id,
        code=building.code,
        name=building.name,
        address=building.address,
        kind=building.kind,
        use=building.use,
        floors=building.floors,
        height_m=building.height_m,
        units=building.units,
        lon=building.lon,
        lat=building.lat,
        grid_code=grid_code(building.region_path),
        house_count=counts[0],
        resident_count=counts[1],
        updated_at=building.updated_at,
    )


def house_out(house: House, residents: int) -> HouseOut:
    return HouseOut(
        **HouseBrief.model_validate(house, from_attributes=True).model_dump(),
        grid_code=grid_code(house.region_path),
        resident_count=residents,
    )


def building_detail(session: Session, building_id: int, actor: Actor) -> BuildingDetail:
    building = services.get_building(session, building_id, actor=actor)
    counts = services.building_counts(session, [building], actor=actor)
    houses = services.houses(session, building, actor=actor)
    residents = services.resident_counts(session, [h.id for h in houses], actor=actor)
    return BuildingDetail(
        **building_out(building, counts.get(building.id, (0, 0))).model_dump(),
        footprint=as_dict(building.footprint),
        houses=[house_out(h, residents.get(h.id, 0)) for h in houses],
    )


@router.get("/buildings", response_model=Page[BuildingOut], summary="楼栋查询")
def list_buildings(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    q: Text = None,
    kind: Text = None,
    use: Text = None,
    region_code: Text = None,
    bbox: BboxParam = None,
) -> Page[BuildingOut]:
    rows, total = services.list_buildings(
        session,
        actor=actor,
        query=q,
        kind=kind,
        use=use,
        region_code=region_code,
        bbox=parse_bbox(bbox),
        page=page,
    )
    counts = services.building_counts(session, rows, actor=actor)
    return Page.of([building_out(b, counts.get(b.id, (0, 0))) for b in rows], total, page)


@router.get("/buildings/{building_id}", response_model=BuildingDetail, summary="楼栋详情")
def get_building(building_id: int, session: SessionDep, actor: ActorDep) -> BuildingDetail:
    return building_detail(session, building_id, actor)


@router.post("/buildings", response_model=BuildingDetail, status_code=201, summary="登记楼栋")
def create_building(data: BuildingCreate, session: SessionDep, actor: ActorDep) -> BuildingDetail:
    building = services.create_building(session, data, actor=actor)
    return building_detail(session, building.id, actor)


@router.patch("/buildings/{building_id}", response_model=BuildingDetail, summary="修改楼栋")
def update_building(
    building_id: int, data: BuildingUpdate, session: SessionDep, actor: ActorDep
) -> BuildingDetail:
    services.update_building(session, building_id, data, actor=actor)
    return building_detail(session, building_id, actor)


def house_detail(session: Session, house_id: int, actor: Actor) -> HouseDetail:
    house = services.get_house(session, house_id, actor=actor)
    building = services.get_building(session, house.building_id, actor=actor)
    residents = services.residents(session, house, actor=actor)
    return HouseDetail(
        **house_out(house, len(residents)).model_dump(),
        building_name=building.name,
        residents=services.person_views(session, residents, actor=actor),
    )


@router.get("/houses/{house_id}", response_model=HouseDetail, summary="房屋详情")
def get_house(house_id: int, session: SessionDep, actor: ActorDep) -> HouseDetail:
    return house_detail(session, house_id, actor)


@router.patch("/houses/{house_id}", response_model=HouseDetail, summary="修改房屋（用途、面积）")
def update_house(
    house_id: int, data: HouseUpdate, session: SessionDep, actor: ActorDep
) -> HouseDetail:
    services.update_house(session, house_id, data, actor=actor)
    return house_detail(session, house_id, actor)


# ---------------------------------------------------------------- components, cameras, places


def component_out(component: Component) -> ComponentOut:
    return ComponentOut(
        **{
            field: getattr(component, field)
            for field in ComponentOut.model_fields
            if field != "grid_code"
        },
        grid_code=grid_code(component.region_path),
    )


@router.get("/components", response_model=Page[ComponentOut], summary="城市部件查询")
def list_components(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    q: Text = None,
    major_code: Text = None,
    minor_code: Text = None,
    status: Text = None,
    region_code: Text = None,
    bbox: BboxParam = None,
) -> Page[ComponentOut]:
    rows, total = services.list_components(
        session,
        actor=actor,
        query=q,
        major_code=major_code,
        minor_code=minor_code,
        status=status,
        region_code=region_code,
        bbox=parse_bbox(bbox),
        page=page,
    )
    return Page.of([component_out(c) for c in rows], total, page)


@router.get("/components/{component_id}", response_model=ComponentOut, summary="部件详情")
def get_component(component_id: int, session: SessionDep, actor: ActorDep) -> ComponentOut:
    return component_out(services.get_component(session, component_id, actor=actor))


@router.patch("/components/{component_id}", response_model=ComponentOut, summary="修改部件")
def update_component(
    component_id: int, data: ComponentUpdate, session: SessionDep, actor: ActorDep
) -> ComponentOut:
    return component_out(services.update_component(session, component_id, data, actor=actor))


def _located_out(row: Camera | Place, model: type[CameraOut] | type[PlaceOut]) -> Any:
    values = {f: getattr(row, f) for f in model.model_fields if f != "grid_code"}
    return model(**values, grid_code=grid_code(row.region_path))


@router.get("/cameras", response_model=Page[CameraOut], summary="视频监控")
def list_cameras(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    status: Text = None,
    region_code: Text = None,
    bbox: BboxParam = None,
) -> Page[CameraOut]:
    rows, total = services.list_cameras(
        session,
        actor=actor,
        status=status,
        region_code=region_code,
        bbox=parse_bbox(bbox),
        page=page,
    )
    return Page.of([_located_out(c, CameraOut) for c in rows], total, page)


@router.get("/cameras/{camera_id}", response_model=CameraOut, summary="监控详情")
def get_camera(camera_id: int, session: SessionDep, actor: ActorDep) -> CameraOut:
    result: CameraOut = _located_out(
        services.get_camera(session, camera_id, actor=actor), CameraOut
    )
    return result


@router.patch("/cameras/{camera_id}", response_model=CameraOut, summary="修改监控")
def update_camera(
    camera_id: int, data: CameraUpdate, session: SessionDep, actor: ActorDep
) -> CameraOut:
    result: CameraOut = _located_out(
        services.update_camera(session, camera_id, data, actor=actor), CameraOut
    )
    return result


@router.get("/places", response_model=Page[PlaceOut], summary="企业、商铺与兴趣点")
def list_places(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    kind: Text = None,
    q: Text = None,
    region_code: Text = None,
    bbox: BboxParam = None,
) -> Page[PlaceOut]:
    rows, total = services.list_places(
        session,
        actor=actor,
        kind=kind,
        query=q,
        region_code=region_code,
        bbox=parse_bbox(bbox),
        page=page,
    )
    return Page.of([_located_out(p, PlaceOut) for p in rows], total, page)


@router.get("/places/{place_id}", response_model=PlaceOut, summary="场所详情")
def get_place(place_id: int, session: SessionDep, actor: ActorDep) -> PlaceOut:
    result: PlaceOut = _located_out(services.get_place(session, place_id, actor=actor), PlaceOut)
    return result


@router.patch("/places/{place_id}", response_model=PlaceOut, summary="修改场所")
def update_place(
    place_id: int, data: PlaceUpdate, session: SessionDep, actor: ActorDep
) -> PlaceOut:
    result: PlaceOut = _located_out(
        services.update_place(session, place_id, data, actor=actor), PlaceOut
    )
    return result


# ---------------------------------------------------------------- categories and records


def category_out(category: ResourceCategory) -> CategoryOut:
    return CategoryOut.model_validate(category, from_attributes=True)


def record_out(record: ResourceRecord, category_code: str) -> RecordOut:
    return RecordOut(
        id=record.id,
        category_code=category_code,
        code=record.code,
        name=record.name,
        lon=record.lon,
        lat=record.lat,
        geometry=as_dict(record.geometry) if record.geometry else None,
        attributes=record.attributes,
        grid_code=grid_code(record.region_path),
        updated_at=record.updated_at,
        updated_by=record.updated_by,
    )


@router.get("/resource-categories", response_model=list[CategoryOut], summary="资源类别")
def list_categories(session: SessionDep, actor: ActorDep) -> list[CategoryOut]:
    return [category_out(c) for c in services.list_categories(session, actor=actor)]


@router.get("/resource-categories/{code}", response_model=CategoryOut, summary="资源类别详情")
def get_category(code: str, session: SessionDep, actor: ActorDep) -> CategoryOut:
    return category_out(services.get_category(session, code, actor=actor))


@router.post(
    "/resource-categories", response_model=CategoryOut, status_code=201, summary="新建资源类别"
)
def create_category(data: CategoryCreate, session: SessionDep, actor: ActorDep) -> CategoryOut:
    return category_out(services.create_category(session, data, actor=actor))


@router.patch("/resource-categories/{code}", response_model=CategoryOut, summary="修改资源类别")
def update_category(
    code: str, data: CategoryUpdate, session: SessionDep, actor: ActorDep
) -> CategoryOut:
    return category_out(services.update_category(session, code, data, actor=actor))


@router.get(
    "/resource-categories/{code}/records", response_model=Page[RecordOut], summary="资源记录"
)
def list_records(
    code: str,
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    q: Text = None,
    region_code: Text = None,
    bbox: BboxParam = None,
) -> Page[RecordOut]:
    category = services.get_category(session, code, actor=actor)
    rows, total = services.list_records(
        session,
        category,
        actor=actor,
        query=q,
        region_code=region_code,
        bbox=parse_bbox(bbox),
        page=page,
    )
    return Page.of([record_out(r, code) for r in rows], total, page)


@router.post(
    "/resource-categories/{code}/records",
    response_model=RecordOut,
    status_code=201,
    summary="新增资源记录",
)
def create_record(code: str, data: RecordCreate, session: SessionDep, actor: ActorDep) -> RecordOut:
    category = services.get_category(session, code, actor=actor)
    return record_out(services.create_record(session, category, data, actor=actor), code)


@router.get("/resource-records/{record_id}", response_model=RecordOut, summary="资源记录详情")
def get_record(record_id: int, session: SessionDep, actor: ActorDep) -> RecordOut:
    record = services.get_record(session, record_id, actor=actor)
    return record_out(record, services.category_code_of(session, record))


@router.patch("/resource-records/{record_id}", response_model=RecordOut, summary="修改资源记录")
def update_record(
    record_id: int, data: RecordUpdate, session: SessionDep, actor: ActorDep
) -> RecordOut:
    record = services.update_record(session, record_id, data, actor=actor)
    return record_out(record, services.category_code_of(session, record))


@router.get(
    "/registry/aggregation",
    response_model=AggregationOut,
    summary="信息汇聚：各类资源数量、更新、质量与增长",
)
def aggregation(session: SessionDep, actor: ActorDep, region_code: Text = None) -> AggregationOut:
    return services.aggregation(session, actor=actor, region_code=region_code)


# ---------------------------------------------------------------- import and export


def report_out(report: ImportReport) -> ImportReportOut:
    return ImportReportOut.model_validate(asdict(report))


@router.post(
    "/registry/imports/{target}",
    response_model=ImportReportOut,
    summary="导入基础数据（CSV/XLSX/GeoJSON；可试运行；按自然键更新）",
    responses={422: {"description": "文件或行有错误；全部或无模式下不写入任何数据"}},
)
async def import_file(
    target: str,
    session: SessionDep,
    actor: ActorDep,
    cipher: CipherDep,
    file: Annotated[UploadFile, File(description="CSV (UTF-8/GBK), XLSX or GeoJSON")],
    mode: Annotated[Literal["all_or_nothing", "valid_only"], Form()] = "all_or_nothing",
    dry_run: Annotated[bool, Form()] = False,
    crs: Annotated[Literal["wgs84", "gcj02", "bd09"], Form()] = "wgs84",
    file_format: Annotated[Literal["csv", "xlsx", "geojson"] | None, Form(alias="format")] = None,
    mapping: Annotated[
        str | None, Form(description='JSON: {"field": "column in the file"}')
    ] = None,
) -> ImportReportOut:
    content = await file.read(services.IMPORT_LIMIT_BYTES + 1)
    report = services.import_file(
        session,
        target,
        content,
        file.filename or "",
        actor=actor,
        cipher=cipher,
        file_format=file_format,
        mapping=parse_mapping(mapping),
        mode=mode,
        dry_run=dry_run,
        crs=crs,
    )
    out = report_out(report)
    if not dry_run and mode == "all_or_nothing" and report.errors:
        raise InvalidInput(
            f"共 {len({e.row for e in report.errors})} 行有错误，未写入任何数据",
            code="import_rejected",
            report=out.model_dump(),
        )
    return out


def parse_mapping(text: str | None) -> dict[str, str] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput("mapping 必须是 JSON 对象", code="bad_mapping") from exc
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidInput("mapping 必须是 {字段: 列名} 形式的 JSON 对象", code="bad_mapping")
    return value


EXPORT_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
}


@router.get("/registry/exports/{target}", summary="导出筛选后的列表（个人信息脱敏）")
def export_list(
    target: str,
    session: SessionDep,
    actor: ActorDep,
    cipher: CipherDep,
    file_format: Annotated[Literal["csv", "xlsx", "geojson"], Query(alias="format")] = "csv",
    region_code: Text = None,
    q: Text = None,
) -> Response:
    filters: dict[str, Any] = {"region_code": region_code}
    if q and target == "persons":
        filters["name"] = q
    elif q and target != "cameras":
        filters["query"] = q
    columns, rows = services.export_rows(
        session, target, actor=actor, cipher=cipher, filters=filters
    )
    if file_format == "csv":
        body = b"".join(write_csv(columns, (values for _g, values in rows)))
    elif file_format == "xlsx":
        body = write_xlsx(columns, (values for _g, values in rows))
    else:
        body = b"".join(write_geojson(columns, rows))
    name = f"{target}-{now().strftime('%Y%m%d%H%M')}.{file_format}"
    return Response(
        body,
        media_type=EXPORT_MEDIA[file_format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from gridgov.http import ActorDep, CipherDep, SessionDep, SettingsDep
from gridgov.kit.geojson import as_dict
from gridgov.kit.pagination import Page, PageParams, page_params
from gridgov.networks import services
from gridgov.networks.models import Network, NetworkUnit, NetworkVersion, RosterRole
from gridgov.networks.schemas import (
    NetworkCreate,
    NetworkImport,
    NetworkOut,
    OverlayOut,
    RecomputeOut,
    ReportOut,
    RosterEntryIn,
    RosterOut,
    RosterRoleIn,
    RosterRoleOut,
    UnitOut,
    VersionOut,
)

router = APIRouter(prefix="/api/v1", tags=["networks"])


def network_out(network: Network, version: NetworkVersion | None) -> NetworkOut:
    return NetworkOut(
        code=network.code,
        name=network.name,
        department_id=network.department_id,
        roster_role=network.roster_role,
        category_prefixes=list(network.category_prefixes or []),
        current_version=version.version if version else None,
        unit_count=version.unit_count if version else 0,
        overlay_at=version.overlay_at if version else None,
    )


def version_out(version: NetworkVersion, current_id: int | None) -> VersionOut:
    return VersionOut(
        version=version.version,
        unit_count=version.unit_count,
        note=version.note,
        imported_by=version.imported_by,
        created_at=version.created_at,
        is_current=version.id == current_id,
        overlay_at=version.overlay_at,
    )


def unit_out(unit: NetworkUnit, *, with_geometry: bool) -> UnitOut:
    return UnitOut(
        unit_code=unit.unit_code,
        name=unit.name,
        officer_name=unit.officer_name,
        officer_phone=unit.officer_phone_masked,
        properties=dict(unit.properties or {}),
        area_m2=round(unit.area_m2, 1),
        geometry=as_dict(unit.geometry) if with_geometry else None,
    )


def role_out(role: RosterRole) -> RosterRoleOut:
    return RosterRoleOut(
        code=role.code, name=role.name, sort_order=role.sort_order, is_builtin=role.is_builtin
    )


@router.get("/networks", response_model=list[NetworkOut], summary="专业网格列表")
def list_networks(session: SessionDep, actor: ActorDep) -> list[NetworkOut]:
    return [network_out(n, v) for n, v in services.list_networks(session, actor=actor)]


@router.post("/networks", response_model=NetworkOut, status_code=201, summary="新建专业网格")
def create_network(data: NetworkCreate, session: SessionDep, actor: ActorDep) -> NetworkOut:
    return network_out(services.create_network(session, data, actor=actor), None)


@router.get("/networks/{network_code}", response_model=NetworkOut, summary="专业网格详情")
def get_network(network_code: str, session: SessionDep, actor: ActorDep) -> NetworkOut:
    network = services.get_network(session, network_code, actor=actor)
    versions = services.list_versions(session, network_code, actor=actor)
    current = next((v for v in versions if v.id == network.current_version_id), None)
    return network_out(network, current)


@router.get(
    "/networks/{network_code}/versions", response_model=list[VersionOut], summary="版本列表"
)
def list_versions(network_code: str, session: SessionDep, actor: ActorDep) -> list[VersionOut]:
    network = services.get_network(session, network_code, actor=actor)
    return [
        version_out(v, network.current_version_id)
        for v in services.list_versions(session, network_code, actor=actor)
    ]


@router.post(
    "/networks/{network_code}/versions",
    response_model=VersionOut,
    status_code=201,
    summary="导入新版本（GeoJSON FeatureCollection）",
)
def import_version(
    network_code: str,
    data: NetworkImport,
    session: SessionDep,
    actor: ActorDep,
    cipher: CipherDep,
) -> VersionOut:
    version = services.import_version(session, network_code, data, actor=actor, cipher=cipher)
    return version_out(version, version.id)


@router.get(
    "/networks/{network_code}/units", response_model=Page[UnitOut], summary="当前版本的单元"
)
def list_units(
    network_code: str,
    session: SessionDep,
    actor: ActorDep,
    page: Annotated[PageParams, Depends(page_params)],
    geometry: Annotated[bool, Query(description="include each unit's polygon")] = False,
) -> Page[UnitOut]:
    rows, total = services.list_units(session, network_code, actor=actor, page=page)
    return Page.of([unit_out(u, with_geometry=geometry) for u in rows], total, page)


@router.get(
    "/networks/{network_code}/overlay",
    response_model=Page[OverlayOut],
    summary="叠加关系：每个基础网格被哪些单元覆盖、各占多少面积",
)
def list_overlay(
    network_code: str,
    session: SessionDep,
    actor: ActorDep,
    page: Annotated[PageParams, Depends(page_params)],
    grid_code: Annotated[str | None, Query(max_length=32)] = None,
) -> Page[OverlayOut]:
    rows, total = services.list_overlay(
        session, network_code, actor=actor, grid_code=grid_code, page=page
    )
    items = [
        OverlayOut(
            grid_code=o.grid_code,
            unit_code=u.unit_code,
            unit_name=u.name,
            share=o.share,
            area_m2=round(o.area_m2, 1),
        )
        for o, u in rows
    ]
    return Page.of(items, total, page)


@router.get(
    "/networks/{network_code}/report",
    response_model=ReportOut,
    summary="叠加检查：空白区、重叠与碎片",
)
def report(
    network_code: str,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    sliver_share: Annotated[float | None, Query(gt=0, lt=1)] = None,
) -> ReportOut:
    return services.report(
        session,
        network_code,
        actor=actor,
        sliver_share=sliver_share if sliver_share is not None else settings.network_sliver_share,
    )


@router.post(
    "/network-overlay/recompute",
    response_model=list[RecomputeOut],
    summary="重算叠加关系（全部专业网格，或 network_code 指定的一个）",
)
def recompute(
    session: SessionDep,
    actor: ActorDep,
    network_code: Annotated[str | None, Query(max_length=40)] = None,
) -> list[RecomputeOut]:
    return services.recompute_overlay(session, actor=actor, network_code=network_code)


@router.get("/roster-roles", response_model=list[RosterRoleOut], summary="网格职责（一格多员）")
def list_roster_roles(session: SessionDep, actor: ActorDep) -> list[RosterRoleOut]:
    return [role_out(r) for r in services.list_roster_roles(session, actor=actor)]


@router.post("/roster-roles", response_model=RosterRoleOut, status_code=201, summary="新增网格职责")
def add_roster_role(data: RosterRoleIn, session: SessionDep, actor: ActorDep) -> RosterRoleOut:
    return role_out(services.add_roster_role(session, data, actor=actor))


@router.get(
    "/grids/{grid_code}/roster", response_model=RosterOut, summary="一格多员：网格的全部责任人"
)
def get_roster(grid_code: str, session: SessionDep, actor: ActorDep) -> RosterOut:
    return services.get_roster(session, grid_code, actor=actor)


@router.post(
    "/grids/{grid_code}/roster",
    response_model=RosterOut,
    status_code=201,
    summary="手工指定网格责任人（覆盖叠加推导的结果）",
)
def add_roster_entry(
    grid_code: str, data: RosterEntryIn, session: SessionDep, actor: ActorDep, cipher: CipherDep
) -> RosterOut:
    services.add_roster_entry(session, grid_code, data, actor=actor, cipher=cipher)
    return services.get_roster(session, grid_code, actor=actor)


@router.delete(
    "/grids/{grid_code}/roster/{roster_entry_id}", status_code=204, summary="删除手工名单记录"
)
def delete_roster_entry(
    grid_code: str, roster_entry_id: int, session: SessionDep, actor: ActorDep
) -> Response:
    services.delete_roster_entry(session, grid_code, roster_entry_id, actor=actor)
    return Response(status_code=204)

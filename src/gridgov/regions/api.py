from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from gridgov.accounts import services as accounts
from gridgov.accounts.actor import Actor
from gridgov.accounts.schemas import AssignmentCreate
from gridgov.http import ActorDep, SessionDep
from gridgov.kit.geo import parse_bbox
from gridgov.kit.geojson import as_dict
from gridgov.kit.pagination import Page, PageParams, page_params
from gridgov.regions import services
from gridgov.regions.models import LEVEL_LABELS, Region, RegionLevel
from gridgov.regions.schemas import (
    BaseLayerOut,
    LocateRequest,
    LocateResult,
    RegionCreate,
    RegionDetail,
    RegionOut,
    RegionUpdate,
    WorkerRef,
)

router = APIRouter(prefix="/api/v1", tags=["regions"])


def region_out(region: Region) -> RegionOut:
    return RegionOut(**_region_fields(region))


def _region_fields(region: Region) -> dict[str, Any]:
    parts = [part for part in region.path.split("/") if part]
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "level_label": LEVEL_LABELS[RegionLevel(region.level)],
        "kind": region.kind,
        "parent_code": parts[-2] if len(parts) > 1 else None,
        "path": region.path,
        "centroid": (region.centroid_lon, region.centroid_lat),
        "bbox": (region.min_lon, region.min_lat, region.max_lon, region.max_lat),
        "area_km2": round(region.area_km2, 4),
        "household_count": region.household_count,
        "population_count": region.population_count,
        "updated_at": region.updated_at,
    }


def region_detail(session: Session, region: Region, actor: Actor) -> RegionDetail:
    workers = [
        WorkerRef(id=u.id, username=u.username, display_name=u.display_name, duty=a.duty)
        for a, u in accounts.grid_workers(session, region, actor=actor)
    ]
    return RegionDetail(
        **_region_fields(region),
        geometry=as_dict(region.geometry),
        children=services.children_counts(session, region, actor=actor),
        workers=workers,
    )


@router.get("/regions", response_model=Page[RegionOut], summary="区域列表")
def list_regions(
    session: SessionDep,
    actor: ActorDep,
    page: Annotated[PageParams, Depends(page_params)],
    level: RegionLevel | None = None,
    parent_code: str | None = None,
    kind: str | None = None,
    q: Annotated[str | None, Query(max_length=100, description="name or code prefix")] = None,
) -> Page[RegionOut]:
    rows, total = services.list_regions(
        session, actor=actor, level=level, parent_code=parent_code, kind=kind, query=q, page=page
    )
    return Page.of([region_out(r) for r in rows], total, page)


@router.get("/regions.geojson", summary="区域边界（GeoJSON FeatureCollection）")
def regions_geojson(
    session: SessionDep,
    actor: ActorDep,
    level: Annotated[list[str], Query(description="levels to include")] = ["grid"],  # noqa: B006
    parent_code: str | None = None,
    bbox: Annotated[str | None, Query(description="min_lon,min_lat,max_lon,max_lat")] = None,
) -> dict[str, Any]:
    rows = services.regions_for_map(
        session, actor=actor, levels=level, parent_code=parent_code, bbox=parse_bbox(bbox)
    )
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": r.code,
                "geometry": as_dict(r.geometry),
                "properties": {"code": r.code, "name": r.name, "level": r.level, "kind": r.kind},
            }
            for r in rows
        ],
    }


@router.get("/regions/{code}", response_model=RegionDetail, summary="区域详情（含边界）")
def get_region(code: str, session: SessionDep, actor: ActorDep) -> RegionDetail:
    return region_detail(session, services.get_region(session, code, actor=actor), actor)


@router.post("/regions", response_model=RegionDetail, status_code=201, summary="新建区域/网格")
def create_region(data: RegionCreate, session: SessionDep, actor: ActorDep) -> RegionDetail:
    return region_detail(session, services.create_region(session, data, actor=actor), actor)


@router.patch("/regions/{code}", response_model=RegionDetail, summary="修改区域/网格")
def update_region(
    code: str, data: RegionUpdate, session: SessionDep, actor: ActorDep
) -> RegionDetail:
    return region_detail(session, services.update_region(session, code, data, actor=actor), actor)


@router.post("/regions/locate", response_model=LocateResult, summary="坐标定位到网格")
def locate(data: LocateRequest, session: SessionDep, actor: ActorDep) -> LocateResult:
    return services.locate(session, data.lon, data.lat, data.crs, actor=actor)


@router.get(
    "/base-layers", response_model=list[BaseLayerOut], summary="底图图层（湖泊、河流、道路）"
)
def base_layers(session: SessionDep, actor: ActorDep) -> list[BaseLayerOut]:
    return [
        BaseLayerOut(kind=layer.kind, name=layer.name, geometry=as_dict(layer.geometry))
        for layer in services.list_base_layers(session, actor=actor)
    ]


@router.post(
    "/regions/{code}/workers",
    response_model=RegionDetail,
    status_code=201,
    summary="分配网格员到网格",
)
def assign_worker(
    code: str, data: AssignmentCreate, session: SessionDep, actor: ActorDep
) -> RegionDetail:
    accounts.assign_to_grid(session, code, data.user_id, duty=data.duty, actor=actor)
    return region_detail(session, services.get_region(session, code, actor=actor), actor)


@router.delete("/regions/{code}/workers/{user_id}", status_code=204, summary="把网格员移出网格")
def unassign_worker(code: str, user_id: int, session: SessionDep, actor: ActorDep) -> None:
    accounts.unassign_from_grid(session, code, user_id, actor=actor)

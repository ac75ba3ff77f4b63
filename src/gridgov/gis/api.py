"""The map API: GeoJSON layers, vector tiles, popups, search and the area summary."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from gridgov.gis import services
from gridgov.gis.schemas import (
    AreaRequest,
    AreaSummary,
    BuildingPopup,
    CameraPopup,
    ComponentPopup,
    EventPopup,
    SearchHit,
    WorkerPopup,
)
from gridgov.http import ActorDep, SessionDep

router = APIRouter(prefix="/api/v1/gis", tags=["gis"])
tiles_router = APIRouter(tags=["gis"])

MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
# Tiles follow live data (new cases, edits): short private caching, then revalidation by ETag.
TILE_CACHE_CONTROL = "private, max-age=60"


@router.get("/layers/{layer}", summary="小图层（GeoJSON）：区域边界、专属网格、底图、监控、网格员")
def layer(
    layer: str,
    session: SessionDep,
    actor: ActorDep,
    crs: Annotated[
        Literal["wgs84", "gcj02", "bd09", "cgcs2000"],
        Query(description="coordinate system of the output (export to a consumer map)"),
    ] = "wgs84",
) -> JSONResponse:
    collection = services.layer_geojson(session, layer, actor=actor)
    # Straight to JSON: thousands of features need no response-model validation.
    return JSONResponse(
        services.in_crs(collection, crs),
        media_type="application/geo+json",
        headers={"Cache-Control": "private, max-age=60"},
    )


@tiles_router.get(
    "/tiles/{layer}/{z}/{x}/{y}.mvt",
    summary="矢量瓦片（Mapbox Vector Tile）：components、buildings、events",
    response_class=Response,
    responses={200: {"content": {MVT_MEDIA_TYPE: {}}}, 304: {"description": "not modified"}},
)
def tile(
    layer: str,
    z: int,
    x: int,
    y: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    days: Annotated[int, Query(ge=1, le=1100, description="events: the last N days")] = (
        services.DEFAULT_EVENT_DAYS
    ),
    category: Annotated[
        str | None, Query(max_length=20, description="events: category code or its prefix")
    ] = None,
    status: Annotated[str | None, Query(max_length=40, description="events: one status")] = None,
) -> Response:
    encoded = services.vector_tile(
        session,
        layer,
        z,
        x,
        y,
        actor=actor,
        filters=services.TileFilters(days=days, category=category or None, status=status or None),
    )
    headers = {
        "ETag": encoded.etag,
        "Cache-Control": TILE_CACHE_CONTROL,
        "Vary": "Authorization, Cookie",
    }
    if encoded.etag in _etags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    return Response(encoded.data, media_type=MVT_MEDIA_TYPE, headers=headers)


def _etags(header: str) -> set[str]:
    return {part.strip().removeprefix("W/") for part in header.split(",") if part.strip()}


@router.get(
    "/features/components/{component_id}", response_model=ComponentPopup, summary="部件弹窗"
)
def component_popup(component_id: int, session: SessionDep, actor: ActorDep) -> ComponentPopup:
    return services.component_popup(session, component_id, actor=actor)


@router.get("/features/buildings/{building_id}", response_model=BuildingPopup, summary="楼栋弹窗")
def building_popup(building_id: int, session: SessionDep, actor: ActorDep) -> BuildingPopup:
    return services.building_popup(session, building_id, actor=actor)


@router.get("/features/cameras/{camera_id}", response_model=CameraPopup, summary="监控弹窗")
def camera_popup(camera_id: int, session: SessionDep, actor: ActorDep) -> CameraPopup:
    return services.camera_popup(session, camera_id, actor=actor)


@router.get("/features/workers/{user_id}", response_model=WorkerPopup, summary="网格员弹窗")
def worker_popup(user_id: int, session: SessionDep, actor: ActorDep) -> WorkerPopup:
    return services.worker_popup(session, user_id, actor=actor)


@router.get("/features/events/{event_id}", response_model=EventPopup, summary="事件弹窗")
def event_popup(event_id: int, session: SessionDep, actor: ActorDep) -> EventPopup:
    return services.event_popup(session, event_id, actor=actor)


@router.get("/search", response_model=list[SearchHit], summary="地图搜索：地址、网格编码、部件编码")
def search(
    q: Annotated[str, Query(min_length=1, max_length=100)], session: SessionDep, actor: ActorDep
) -> list[SearchHit]:
    return services.search(session, q, actor=actor)


@router.post("/area-summary", response_model=AreaSummary, summary="区域研判：周边资源与影响范围")
def area_summary(data: AreaRequest, session: SessionDep, actor: ActorDep) -> AreaSummary:
    return services.area_summary(session, data, actor=actor)

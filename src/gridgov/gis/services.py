"""The map's business rules: which layers exist, what a tile holds, what a popup shows and
what an area summary lists. Read-only: nothing here writes, so there is nothing to audit."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import numpy as np
import shapely
from shapely.geometry import Polygon, mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.events import services as events
from gridgov.gis import area as areas
from gridgov.gis import repository, tiles
from gridgov.gis.schemas import (
    AreaImpact,
    AreaRequest,
    AreaResources,
    AreaSummary,
    BuildingInside,
    BuildingPopup,
    CameraNearby,
    CameraPopup,
    ComponentNearby,
    ComponentPopup,
    CountBy,
    DepartmentUnit,
    EventPopup,
    RegionInside,
    SearchHit,
    WorkerNearby,
    WorkerPopup,
)
from gridgov.kit import geo
from gridgov.kit.clock import now
from gridgov.kit.errors import InvalidInput, NotFound
from gridgov.kit.geojson import as_dict, loads, parse_polygon
from gridgov.kit.pagination import PageParams
from gridgov.orgs.models import ORG_KIND_LABELS, OrgKind
from gridgov.patrol import services as patrol
from gridgov.regions import services as regions
from gridgov.regions.models import SPECIAL_GRID_KIND_LABELS, Region, RegionLevel, SpecialGridKind
from gridgov.registry import services as registry

# ---------------------------------------------------------------- GeoJSON layers

REGION_LAYERS: dict[str, RegionLevel] = {
    "district": RegionLevel.DISTRICT,
    "streets": RegionLevel.STREET,
    "communities": RegionLevel.COMMUNITY,
    "grids": RegionLevel.GRID,
    "special_grids": RegionLevel.SPECIAL_GRID,
}
GEOJSON_LAYERS = (*REGION_LAYERS, "base", "cameras", "workers")
TILE_LAYERS = ("components", "buildings", "events")

FeatureCollection = dict[str, Any]


def _collection(features: list[dict[str, Any]]) -> FeatureCollection:
    return {"type": "FeatureCollection", "features": features}


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]}


def layer_geojson(session: Session, layer: str, *, actor: Actor) -> FeatureCollection:
    """A small layer as GeoJSON, in the actor's scope."""
    if layer in REGION_LAYERS:
        rows = regions.regions_for_map(
            session, actor=actor, levels=[REGION_LAYERS[layer].value], parent_code=None, bbox=None
        )
        return _collection(
            [
                {
                    "type": "Feature",
                    "id": r.id,
                    "geometry": as_dict(r.geometry),
                    "properties": {
                        "code": r.code,
                        "name": r.name,
                        "level": r.level,
                        "kind": r.kind,
                        "kind_label": _kind_label(r.kind),
                        "label_lon": r.centroid_lon,
                        "label_lat": r.centroid_lat,
                        "population": r.population_count,
                    },
                }
                for r in rows
            ]
        )
    if layer == "base":
        return _collection(
            [
                {
                    "type": "Feature",
                    "id": b.id,
                    "geometry": as_dict(b.geometry),
                    "properties": {"kind": b.kind, "name": b.name},
                }
                for b in regions.list_base_layers(session, actor=actor)
            ]
        )
    if layer == "cameras":
        actor.require(Perm.REGISTRY_READ)
        return _collection(
            [
                {
                    "type": "Feature",
                    "id": c.id,
                    "geometry": _point(c.lon, c.lat),
                    "properties": {"id": c.id, "code": c.code, "name": c.name, "status": c.status},
                }
                for c in repository.camera_rows(session, actor.scope, None)
            ]
        )
    if layer == "workers":
        return _collection(
            [
                {
                    "type": "Feature",
                    "id": w.user_id,
                    "geometry": _point(w.lon, w.lat),
                    "properties": {
                        "id": w.user_id,
                        "name": w.name,
                        "grid_code": w.grid_codes[0],
                        "source": w.source,
                        "position_label": w.position_label,
                        "on_duty_label": w.on_duty_label,
                    },
                }
                for w in grid_workers(session, actor=actor)
            ]
        )
    raise NotFound(f"没有名为 {layer} 的图层", code="unknown_layer", layers=list(GEOJSON_LAYERS))


def in_crs(collection: FeatureCollection, crs: geo.Crs) -> FeatureCollection:
    """The collection with every position converted from WGS-84 to ``crs`` (for export)."""
    if crs in ("wgs84", "cgcs2000"):
        return collection
    return _collection(
        [
            {**feature, "geometry": geo.geometry_from_wgs84(feature["geometry"], crs)}
            for feature in collection["features"]
        ]
    )


def _kind_label(kind: str | None) -> str | None:
    if not kind:
        return None
    try:
        return SPECIAL_GRID_KIND_LABELS[SpecialGridKind(kind)]
    except ValueError:
        return kind


# ---------------------------------------------------------------- grid workers' positions


@dataclass(frozen=True)
class WorkerPosition:
    user_id: int
    name: str
    username: str
    duty: str
    grid_codes: list[str]
    grid_names: list[str]
    lon: float
    lat: float
    # "gps": their latest GPS fix (patrol); "event": their latest own report; "grid": their
    # grid's centre
    source: str
    last_seen_at: datetime | None
    on_duty: bool | None  # None: unknown (the reader may not see duty)

    @property
    def position_label(self) -> str:
        if self.source == "gps":
            return "GPS定位"
        if self.source == "event":
            return "最近上报位置"
        return "网格位置（非GPS）"

    @property
    def on_duty_label(self) -> str:
        if self.on_duty is None:
            return "未知"
        return "在岗" if self.on_duty else "离岗"


def worker_positions(session: Session, rows: list[Any], *, actor: Actor) -> list[WorkerPosition]:
    """Where each grid worker is: their latest GPS fix and duty from patrol tracks, for
    readers who may follow workers (workers.read) and for the workers themselves; otherwise,
    and for workers with no fix yet, the point of their most recent own report, else the
    centre of their (first) grid, labelled as such."""
    by_user: dict[int, list[Any]] = {}
    for row in rows:
        by_user.setdefault(row[0], []).append(row)
    fixes: dict[int, patrol.WorkerFix] | None = None
    if patrol.can_read_positions(actor):
        found = patrol.latest_positions(session, actor=actor, user_ids=list(by_user))
        fixes = {f.user_id: f for f in found}
    unfixed = [u for u in by_user if fixes is None or fixes.get(u) is None or fixes[u].lon is None]
    reports = (
        repository.latest_reports(session, actor.scope, unfixed)
        if actor.can(Perm.EVENTS_READ)
        else {}
    )
    positions: list[WorkerPosition] = []
    for user_id, assigned in by_user.items():
        first = assigned[0]
        fix = fixes.get(user_id) if fixes is not None else None
        report = reports.get(user_id)
        if fix is not None and fix.lon is not None and fix.lat is not None:
            lon, lat, source, seen = fix.lon, fix.lat, "gps", fix.last_seen_at or fix.fix_at
        elif report:
            lon, lat, source, seen = report[0], report[1], "event", report[2]
        else:
            lon, lat, source, seen = first[7], first[8], "grid", None
        positions.append(
            WorkerPosition(
                user_id=user_id,
                name=first[2] or first[1],
                username=first[1],
                duty=first[3],
                grid_codes=[r[4] for r in assigned],
                grid_names=[r[5] for r in assigned],
                lon=lon,
                lat=lat,
                source=source,
                last_seen_at=seen,
                on_duty=None if fixes is None else bool(fix and fix.on_duty),
            )
        )
    return positions


def _source(source: str) -> Literal["gps", "event", "grid"]:
    return "gps" if source == "gps" else "event" if source == "event" else "grid"


def grid_workers(
    session: Session, *, actor: Actor, bbox: repository.Bbox | None = None
) -> list[WorkerPosition]:
    actor.require(Perm.REGIONS_READ)
    return worker_positions(
        session, repository.worker_rows(session, actor.scope, bbox=bbox), actor=actor
    )


# ---------------------------------------------------------------- vector tiles

# Below these zooms, points are sent binned into cells with a count (server-side clustering).
COMPONENT_DETAIL_ZOOM = 14
EVENT_DETAIL_ZOOM = 12
BUILDING_MIN_ZOOM = 12
CLUSTER_CELL_PX = 128
# Tile units: the extent is 4,096 across 256 screen pixels, so 256 units are 16 pixels.
DENSE_TILE_POINTS = 1_500
DENSE_CELL_PX = 256
HEAT_CELL_PX = 32
MAX_TILE_POINTS = 20_000
POINT_BUFFER_PX = 16
DEFAULT_EVENT_DAYS = 30


@dataclass(frozen=True)
class TileFilters:
    days: int = DEFAULT_EVENT_DAYS
    category: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class EncodedTile:
    data: bytes
    etag: str


def vector_tile(
    session: Session,
    layer: str,
    z: int,
    x: int,
    y: int,
    *,
    actor: Actor,
    filters: TileFilters | None = None,
) -> EncodedTile:
    """One Mapbox Vector Tile of a large layer, in the actor's scope."""
    if layer not in TILE_LAYERS:
        raise NotFound(
            f"没有名为 {layer} 的瓦片图层", code="unknown_layer", layers=list(TILE_LAYERS)
        )
    # The map is a staff tool: citizens (who may read their own cases) have no map.
    actor.require(Perm.REGIONS_READ)
    tile = tiles.Tile.checked(z, x, y)
    filters = filters or TileFilters()
    if layer == "components":
        actor.require(Perm.REGISTRY_READ)
        features = _component_features(session, tile, actor)
    elif layer == "buildings":
        actor.require(Perm.REGISTRY_READ)
        features = _building_features(session, tile, actor)
    else:
        actor.require(Perm.EVENTS_READ)
        features = _event_features(session, tile, actor, filters)
    data = tiles.encode([(layer, features)])
    return EncodedTile(data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"')


def _component_features(session: Session, tile: tiles.Tile, actor: Actor) -> list[dict[str, Any]]:
    rows = repository.component_points(session, actor.scope, tile.bounds(POINT_BUFFER_PX))
    if not rows:
        return []
    lon = np.fromiter((r.lon for r in rows), float, len(rows))
    lat = np.fromiter((r.lat for r in rows), float, len(rows))
    px, py = tiles.to_pixels(tile, lon, lat)

    def single(index: int, px_: float, py_: float) -> dict[str, Any]:
        r = rows[index]
        return tiles.point_feature(
            px_,
            py_,
            # Few attributes: encoding time grows with them, and the popup fetches the rest.
            {"cls": r.major_code, "status": r.status, "count": 1},
            r.id,
        )

    if tile.z >= COMPONENT_DETAIL_ZOOM and len(rows) <= DENSE_TILE_POINTS:
        points = tiles.pixel_points(px, py)
        return [
            {
                "geometry": point,
                "properties": {"cls": r.major_code, "status": r.status, "count": 1},
                "id": r.id,
            }
            for point, r in zip(points, rows, strict=True)
        ]
    # A detail tile denser than a map can show (city centres: ~3,000 components in 256 px) is
    # clustered on a 16-pixel grid instead, so lone components keep their icon and the rest are
    # counted; one zoom in shows them one by one. It also keeps such a tile under 50 ms.
    cell_px = CLUSTER_CELL_PX if tile.z < COMPONENT_DETAIL_ZOOM else DENSE_CELL_PX
    features = []
    for cell in tiles.bin_points(px, py, cell_px):
        if cell.count == 1:
            features.append(single(cell.first, cell.px, cell.py))
        else:
            features.append(tiles.point_feature(cell.px, cell.py, {"count": cell.count}))
    return features


def _building_features(session: Session, tile: tiles.Tile, actor: Actor) -> list[dict[str, Any]]:
    if tile.z < BUILDING_MIN_ZOOM:
        return []
    features = []
    for r in repository.building_rows(session, actor.scope, tile.bounds(tiles.CLIP_BUFFER_PX)):
        geom = tiles.project_geometry(tile, loads(r.footprint))
        if geom.is_empty:
            continue
        features.append(
            {
                "geometry": geom,
                "id": r.id,
                "properties": {
                    "name": r.name,
                    "floors": r.floors,
                    "use": r.use,
                    # 3 m a floor: what the extrusion draws (the registry's height may differ).
                    "height": r.floors * 3,
                },
            }
        )
    return features


def _event_features(
    session: Session, tile: tiles.Tile, actor: Actor, filters: TileFilters
) -> list[dict[str, Any]]:
    since = now() - timedelta(days=filters.days)
    rows = repository.event_points(
        session,
        actor.scope,
        tile.bounds(POINT_BUFFER_PX),
        since=since,
        category=filters.category,
        status=filters.status,
        limit=MAX_TILE_POINTS if tile.z >= EVENT_DETAIL_ZOOM else None,
    )
    if not rows:
        return []
    lon = np.fromiter((r.lon for r in rows), float, len(rows))
    lat = np.fromiter((r.lat for r in rows), float, len(rows))
    px, py = tiles.to_pixels(tile, lon, lat)
    if tile.z < EVENT_DETAIL_ZOOM:
        return [
            tiles.point_feature(cell.px, cell.py, {"count": cell.count})
            for cell in tiles.bin_points(px, py, HEAT_CELL_PX)
        ]
    return [
        tiles.point_feature(
            px[i],
            py[i],
            {"status": r.status, "category": r.category_code, "count": 1},
            r.id,
        )
        for i, r in enumerate(rows)
    ]


# ---------------------------------------------------------------- popups


def component_popup(session: Session, component_id: int, *, actor: Actor) -> ComponentPopup:
    c = registry.get_component(session, component_id, actor=actor)
    department_id = c.maintainer_department_id or c.owner_department_id
    names = repository.organisation_names(session, [department_id] if department_id else [])
    return ComponentPopup(
        id=c.id,
        code=c.code,
        class_name=c.minor_name,
        major_name=c.major_name,
        status=c.status,
        status_label=c.status,
        department=names.get(department_id) if department_id else None,
        address=c.address,
        photo_url=c.photo_url,
        lon=c.lon,
        lat=c.lat,
    )


RESIDENT_NAME_LIMIT = 50


def building_popup(session: Session, building_id: int, *, actor: Actor) -> BuildingPopup:
    b = registry.get_building(session, building_id, actor=actor)
    houses, residents = registry.building_counts(session, [b], actor=actor).get(b.id, (0, 0))
    households = repository.household_counts(session, actor.scope, [b.id]).get(b.id, 0)
    names = (
        repository.resident_names(session, actor.scope, b.id, RESIDENT_NAME_LIMIT)
        if actor.can(Perm.PERSONS_READ)
        else None
    )
    return BuildingPopup(
        id=b.id,
        code=b.code,
        name=b.name,
        address=b.address,
        kind=b.kind,
        use=b.use,
        floors=b.floors,
        houses=houses,
        households=households,
        residents=residents,
        resident_names=names,
        lon=b.lon,
        lat=b.lat,
    )


def camera_popup(session: Session, camera_id: int, *, actor: Actor) -> CameraPopup:
    c = registry.get_camera(session, camera_id, actor=actor)
    return CameraPopup(
        id=c.id,
        code=c.code,
        name=c.name,
        status=c.status,
        status_label=c.status,
        direction_deg=c.direction_deg,
        stream_url=c.stream_url,
        lon=c.lon,
        lat=c.lat,
    )


def worker_popup(session: Session, user_id: int, *, actor: Actor) -> WorkerPopup:
    actor.require(Perm.REGIONS_READ)
    rows = repository.worker_rows(session, actor.scope, user_id=user_id)
    if not rows:
        raise NotFound(f"网格员 {user_id} 不存在或不在您的管辖范围内", code="worker_not_found")
    w = worker_positions(session, rows, actor=actor)[0]
    return WorkerPopup(
        user_id=w.user_id,
        name=w.name,
        username=w.username,
        grids=[f"{code} {name}" for code, name in zip(w.grid_codes, w.grid_names, strict=True)],
        duty=w.duty,
        on_duty=w.on_duty,
        on_duty_label=w.on_duty_label,
        position_source=_source(w.source),
        position_label=w.position_label,
        last_seen_at=w.last_seen_at,
        lon=w.lon,
        lat=w.lat,
    )


def event_popup(session: Session, event_id: int, *, actor: Actor) -> EventPopup:
    e = events.get_event(session, event_id, actor=actor)
    labels = events.state_labels(session)
    categories = repository.category_names(session)
    summary = e.description if len(e.description) <= 120 else e.description[:120] + "…"
    return EventPopup(
        id=e.id,
        code=e.code,
        title=e.title,
        summary=summary,
        category=categories.get(e.category_code, e.category_code),
        status=e.status,
        status_label=labels.get(e.status, e.status),
        address=e.address,
        created_at=e.created_at,
        url=f"/events/{e.id}",
        lon=e.lon,
        lat=e.lat,
    )


# ---------------------------------------------------------------- search


def search(session: Session, query: str, *, actor: Actor) -> list[SearchHit]:
    """Grid or region code, component code, region name, then a building address."""
    actor.require(Perm.REGIONS_READ)
    text = query.strip()
    if not text:
        raise InvalidInput("请输入地址、网格编码或部件编码", code="empty_query")
    hits: list[SearchHit] = []
    regions_found, _ = regions.list_regions(
        session, actor=actor, query=text, page=PageParams(page=1, page_size=5)
    )
    for r in regions_found:
        hits.append(
            SearchHit(
                kind="region",
                label=f"{r.name}（{r.code}）",
                lon=r.centroid_lon,
                lat=r.centroid_lat,
                zoom=15.0 if r.level in ("grid", "special_grid") else 13.0,
                bbox=(r.min_lon, r.min_lat, r.max_lon, r.max_lat),
            )
        )
    if actor.can(Perm.REGISTRY_READ):
        component = repository.component_by_code(session, actor.scope, text)
        if component is not None:
            hits.insert(
                0,
                SearchHit(
                    kind="component",
                    label=f"{component.minor_name} {component.code}",
                    lon=component.lon,
                    lat=component.lat,
                    zoom=18.0,
                ),
            )
        point = registry.geocode(session, text)
        if point is not None:
            hits.append(
                SearchHit(kind="address", label=text, lon=point[0], lat=point[1], zoom=17.0)
            )
    return hits


# ---------------------------------------------------------------- area summary

LIST_LIMIT = 100
PAST_EVENT_DAYS = 90
# The chunk size of IN lists (SQLite allows 32,766 parameters; PostgreSQL far more).
ID_CHUNK = 5000


def _area_of(session: Session, request: AreaRequest, actor: Actor) -> tuple[Polygon, float, float]:
    if request.event_id is not None:
        event = events.get_event(session, request.event_id, actor=actor)
        return areas.circle(event.lon, event.lat, request.radius_m), event.lon, event.lat
    assert request.geometry is not None
    geometry = request.geometry
    if request.crs in ("gcj02", "bd09"):
        geometry = geo.geometry_to_wgs84(geometry, request.crs)
    polygon = parse_polygon(geometry)
    center = (
        polygon.centroid if polygon.contains(polygon.centroid) else polygon.representative_point()
    )
    return polygon, center.x, center.y


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + ID_CHUNK] for i in range(0, len(ids), ID_CHUNK)]


def _intersecting(rows: list[Region], area: BaseGeometry) -> list[Region]:
    return [r for r in rows if area.intersects(loads(r.geometry))]


def _region_inside(r: Region) -> RegionInside:
    return RegionInside(
        code=r.code,
        name=r.name,
        level=r.level,
        kind=r.kind,
        kind_label=_kind_label(r.kind),
        population=r.population_count,
    )


def area_summary(session: Session, request: AreaRequest, *, actor: Actor) -> AreaSummary:
    """Who and what can help inside an area, and who and what it affects."""
    actor.require(Perm.REGIONS_READ)
    area, center_lon, center_lat = _area_of(session, request, actor)
    roots = regions.scope_roots(session, actor=actor)
    if not any(area.intersects(loads(r.geometry)) for r in roots):
        raise InvalidInput("所选区域不在您的管辖范围内", code="area_out_of_scope")
    bbox = area.bounds
    shapely.prepare(area)
    territory = regions.regions_for_map(
        session,
        actor=actor,
        levels=[
            RegionLevel.STREET,
            RegionLevel.COMMUNITY,
            RegionLevel.GRID,
            RegionLevel.SPECIAL_GRID,
        ],
        parent_code=None,
        bbox=bbox,
    )
    touched = _intersecting(territory, area)
    resources = _resources(session, area, center_lon, center_lat, touched, actor)
    impact = _impact(session, area, touched, actor)
    return AreaSummary(
        area=mapping(area),
        center=(center_lon, center_lat),
        radius_m=request.radius_m if request.event_id is not None else None,
        event_id=request.event_id,
        list_limit=LIST_LIMIT,
        resources=resources,
        impact=impact,
    )


def _resources(
    session: Session,
    area: BaseGeometry,
    center_lon: float,
    center_lat: float,
    touched: list[Region],
    actor: Actor,
) -> AreaResources:
    bbox = area.bounds
    grid_codes = {r.code for r in touched if r.level in ("grid", "special_grid")}
    workers = [
        w
        for w in grid_workers(session, actor=actor, bbox=bbox)
        if any(code in grid_codes for code in w.grid_codes)
    ]
    worker_items = []
    if workers:
        distances = areas.distance_m(
            center_lon,
            center_lat,
            np.array([w.lon for w in workers]),
            np.array([w.lat for w in workers]),
        )
        for w, d in zip(workers, distances, strict=True):
            index = next(i for i, code in enumerate(w.grid_codes) if code in grid_codes)
            worker_items.append(
                WorkerNearby(
                    user_id=w.user_id,
                    name=w.name,
                    grid_code=w.grid_codes[index],
                    grid_name=w.grid_names[index],
                    duty=w.duty,
                    on_duty=w.on_duty,
                    on_duty_label=w.on_duty_label,
                    position_source=_source(w.source),
                    position_label=w.position_label,
                    lon=w.lon,
                    lat=w.lat,
                    distance_m=round(float(d), 1),
                )
            )
        worker_items.sort(key=lambda item: (item.distance_m, item.user_id))

    components: list[ComponentNearby] = []
    by_class: Counter[tuple[str, str]] = Counter()
    by_department: Counter[int] = Counter()
    component_count = 0
    cameras: list[CameraNearby] = []
    camera_count = 0
    if actor.can(Perm.REGISTRY_READ):
        rows = repository.component_points(session, actor.scope, bbox)
        inside_rows, distances = _inside(rows, area, center_lon, center_lat)
        component_count = len(inside_rows)
        for r in inside_rows:
            by_class[(r.major_code, r.major_name)] += 1
            if r.maintainer_department_id is not None:
                by_department[r.maintainer_department_id] += 1
        nearest = np.argsort(distances, kind="stable")[:LIST_LIMIT]
        names = repository.organisation_names(session, list(by_department))
        components = [
            ComponentNearby(
                id=inside_rows[i].id,
                code=inside_rows[i].code,
                class_name=inside_rows[i].minor_name,
                status=inside_rows[i].status,
                department=names.get(inside_rows[i].maintainer_department_id or -1),
                distance_m=round(float(distances[i]), 1),
            )
            for i in nearest
        ]
        camera_rows = repository.camera_rows(session, actor.scope, bbox)
        inside_cameras, camera_distances = _inside(camera_rows, area, center_lon, center_lat)
        camera_count = len(inside_cameras)
        cameras = [
            CameraNearby(
                id=inside_cameras[i].id,
                code=inside_cameras[i].code,
                name=inside_cameras[i].name,
                status=inside_cameras[i].status,
                distance_m=round(float(camera_distances[i]), 1),
            )
            for i in np.argsort(camera_distances, kind="stable")[:LIST_LIMIT]
        ]
    else:
        names = {}
    departments = [
        DepartmentUnit(
            id=department_id,
            name=names.get(department_id, str(department_id)),
            kind=ORG_KIND_LABELS.get(OrgKind.DEPARTMENT, "区直部门"),
            reason=f"养护区域内 {count} 个部件",
        )
        for department_id, count in by_department.most_common()
    ]
    for org in repository.organisations_in_regions(
        session, actor.scope, [r.id for r in touched if r.level in ("street", "community")]
    ):
        departments.append(
            DepartmentUnit(
                id=org.id,
                name=org.name,
                kind=_org_kind_label(org.kind),
                reason="辖区单位",
            )
        )
    return AreaResources(
        workers=worker_items[:LIST_LIMIT],
        components=components,
        component_count=component_count,
        components_by_class=[
            CountBy(key=code, label=name, count=count)
            for (code, name), count in sorted(by_class.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        cameras=cameras,
        camera_count=camera_count,
        departments=departments[:LIST_LIMIT],
    )


def _org_kind_label(kind: str) -> str:
    try:
        return ORG_KIND_LABELS[OrgKind(kind)]
    except ValueError:
        return kind


def _inside(
    rows: list[Any], area: BaseGeometry, center_lon: float, center_lat: float
) -> tuple[list[Any], np.ndarray]:
    if not rows:
        return [], np.zeros(0)
    lon = np.fromiter((r.lon for r in rows), float, len(rows))
    lat = np.fromiter((r.lat for r in rows), float, len(rows))
    mask = areas.inside(area, lon, lat)
    kept = [r for r, keep in zip(rows, mask, strict=True) if keep]
    return kept, areas.distance_m(center_lon, center_lat, lon[mask], lat[mask])


def _impact(
    session: Session, area: BaseGeometry, touched: list[Region], actor: Actor
) -> AreaImpact:
    bbox = area.bounds
    buildings: list[BuildingInside] = []
    building_count = household_total = resident_total = 0
    if actor.can(Perm.REGISTRY_READ):
        rows = repository.building_rows(session, actor.scope, bbox)
        inside_rows, _ = _inside(rows, area, 0.0, 0.0)
        building_count = len(inside_rows)
        households: dict[int, int] = {}
        residents: dict[int, int] = {}
        for chunk in _chunks([r.id for r in inside_rows]):
            households.update(repository.household_counts(session, actor.scope, chunk))
            residents.update(repository.resident_counts(session, actor.scope, chunk))
        household_total = sum(households.values())
        resident_total = sum(residents.values())
        ranked = sorted(inside_rows, key=lambda r: (-residents.get(r.id, 0), r.id))
        buildings = [
            BuildingInside(
                id=r.id,
                name=r.name,
                address=r.address,
                floors=r.floors,
                households=households.get(r.id, 0),
                residents=residents.get(r.id, 0),
            )
            for r in ranked[:LIST_LIMIT]
        ]
    special = [r for r in touched if r.level == "special_grid"]
    past: Counter[str] = Counter()
    if actor.can(Perm.EVENTS_READ):
        rows = repository.event_points(
            session,
            actor.scope,
            bbox,
            since=now() - timedelta(days=PAST_EVENT_DAYS),
            category=None,
            status=None,
        )
        inside_events, _ = _inside(rows, area, 0.0, 0.0)
        past.update(r.category_code for r in inside_events)
    categories = repository.category_names(session) if past else {}
    return AreaImpact(
        buildings=buildings,
        building_count=building_count,
        household_count=household_total,
        resident_count=resident_total,
        communities=[_region_inside(r) for r in touched if r.level == "community"],
        special_grids=[_region_inside(r) for r in special],
        schools=[_region_inside(r) for r in special if r.kind == SpecialGridKind.SCHOOL],
        hospitals=[_region_inside(r) for r in special if r.kind == SpecialGridKind.HOSPITAL],
        past_events_days=PAST_EVENT_DAYS,
        past_event_count=sum(past.values()),
        past_events_by_category=[
            CountBy(key=code, label=categories.get(code, code), count=count)
            for code, count in sorted(past.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
    )

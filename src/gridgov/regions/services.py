"""Business rules for the territory. Services take a session and an actor and never commit."""

from __future__ import annotations

import math

import shapely
from shapely.geometry import Polygon
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.accounts.scope import Scope
from gridgov.audit import services as audit
from gridgov.kit import geo
from gridgov.kit.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gridgov.kit.geojson import dumps, loads, parse_polygon
from gridgov.kit.pagination import PageParams
from gridgov.regions import repository
from gridgov.regions.locator import PointHit, get_locator
from gridgov.regions.models import ALLOWED_PARENT_LEVELS, BaseLayer, Region, RegionLevel
from gridgov.regions.schemas import LocateResult, RegionBrief, RegionCreate, RegionUpdate

# Borders drawn by hand never meet exactly; overlaps below this (about 1 m²) are not overlaps.
OVERLAP_TOLERANCE_DEG2 = 1e-10


def get_region(session: Session, code: str, *, actor: Actor) -> Region:
    actor.require(Perm.REGIONS_READ)
    region = repository.get_by_code(session, actor.scope, code)
    if region is None:
        raise NotFound(f"区域 {code} 不存在或不在您的管辖范围内", code="region_not_found")
    return region


def list_regions(
    session: Session,
    *,
    actor: Actor,
    level: str | None = None,
    parent_code: str | None = None,
    kind: str | None = None,
    query: str | None = None,
    page: PageParams,
) -> tuple[list[Region], int]:
    actor.require(Perm.REGIONS_READ)
    return repository.list_regions(
        session,
        actor.scope,
        level=level,
        parent_code=parent_code,
        kind=kind,
        query=query,
        page=page,
    )


MAP_FEATURE_LIMIT = 50_000


def regions_for_map(
    session: Session,
    *,
    actor: Actor,
    levels: list[str],
    parent_code: str | None,
    bbox: tuple[float, float, float, float] | None,
) -> list[Region]:
    actor.require(Perm.REGIONS_READ)
    unknown = set(levels) - {level.value for level in RegionLevel}
    if unknown:
        raise InvalidInput(f"未知的区域层级：{', '.join(sorted(unknown))}", code="invalid_level")
    return repository.list_for_map(
        session,
        actor.scope,
        levels=levels,
        parent_code=parent_code,
        bbox=bbox,
        limit=MAP_FEATURE_LIMIT,
    )


def children_counts(session: Session, region: Region, *, actor: Actor) -> dict[str, int]:
    actor.require(Perm.REGIONS_READ)
    return repository.count_children_by_level(session, actor.scope, region.id)


def list_base_layers(session: Session, *, actor: Actor) -> list[BaseLayer]:
    actor.require(Perm.REGIONS_READ)
    return repository.list_base_layers(session)


def _bounds_values(polygon: Polygon) -> dict[str, float]:
    min_lon, min_lat, max_lon, max_lat = polygon.bounds
    # A label point must fall inside the region, which a concave polygon's centroid may not.
    centroid = polygon.centroid
    if not polygon.contains(centroid):
        centroid = polygon.representative_point()
    # km² from degrees at this latitude: enough for display and density figures.
    lat_factor = math.cos(math.radians((min_lat + max_lat) / 2))
    return {
        "min_lon": min_lon,
        "min_lat": min_lat,
        "max_lon": max_lon,
        "max_lat": max_lat,
        "centroid_lon": centroid.x,
        "centroid_lat": centroid.y,
        "area_km2": polygon.area * 111.32 * 110.574 * lat_factor,
    }


def geometry_columns(polygon: Polygon) -> dict[str, float | str]:
    """Column values derived from a polygon (shared with the demo generator's bulk load)."""
    return {"geometry": dumps(polygon), **_bounds_values(polygon)}


def _check_grid_geometry(
    session: Session, polygon: Polygon, parent: Region, exclude_id: int | None
) -> None:
    parent_shape = loads(parent.geometry)
    outside = polygon.difference(parent_shape).area
    if outside > OVERLAP_TOLERANCE_DEG2:
        raise InvalidInput(f"网格范围超出上级区域“{parent.name}”", code="geometry_outside_parent")
    for other in repository.list_overlapping_grids(
        session, Scope.everything(), polygon.bounds, exclude_id
    ):
        shared = shapely.intersection(polygon, loads(other.geometry)).area
        if shared > OVERLAP_TOLERANCE_DEG2:
            raise InvalidInput(
                f"基础网格不能重叠：与“{other.name}”（{other.code}）重叠",
                code="geometry_overlaps_grid",
                other=other.code,
            )


def _parent_for(session: Session, level: RegionLevel, parent_code: str, actor: Actor) -> Region:
    parent = repository.get_by_code(session, actor.scope, parent_code)
    if parent is None:
        raise InvalidInput(
            f"上级区域 {parent_code} 不存在或不在您的管辖范围内", code="parent_not_found"
        )
    if RegionLevel(parent.level) not in ALLOWED_PARENT_LEVELS[level]:
        raise InvalidInput(
            f"{level.value} 不能挂在 {parent.level} 之下", code="invalid_parent_level"
        )
    return parent


def create_region(session: Session, data: RegionCreate, *, actor: Actor) -> Region:
    actor.require(Perm.REGIONS_WRITE)
    level = RegionLevel(data.level)
    parent = _parent_for(session, level, data.parent_code, actor)
    if repository.code_exists(session, data.code):
        raise Conflict(f"区域编码 {data.code} 已存在", code="region_code_taken")
    if level == RegionLevel.SPECIAL_GRID and data.kind is None:
        raise InvalidInput("专属网格必须指定类型（kind）", code="special_grid_kind_required")
    if level != RegionLevel.SPECIAL_GRID and data.kind is not None:
        raise InvalidInput("只有专属网格有类型（kind）", code="kind_not_allowed")
    polygon = parse_polygon(data.geometry)
    if level == RegionLevel.GRID:
        _check_grid_geometry(session, polygon, parent, exclude_id=None)
    region = Region(
        code=data.code,
        name=data.name,
        level=level.value,
        kind=data.kind.value if data.kind else None,
        parent_id=parent.id,
        path=f"{parent.path}{data.code}/",
        **geometry_columns(polygon),
    )
    session.add(region)
    session.flush()
    repository.bump_revision(session)
    audit.record(
        session,
        actor=actor,
        action="region.create",
        object_type="region",
        object_id=region.code,
        region_path=region.path,
        summary=f"新建{level.value}“{region.name}”",
    )
    return region


def update_region(session: Session, code: str, data: RegionUpdate, *, actor: Actor) -> Region:
    actor.require(Perm.REGIONS_WRITE)
    region = get_region(session, code, actor=actor)
    changes: dict[str, object] = {}
    if data.name is not None and data.name != region.name:
        changes["name"] = [region.name, data.name]
        region.name = data.name
    if data.kind is not None:
        if region.level != RegionLevel.SPECIAL_GRID:
            raise InvalidInput("只有专属网格有类型（kind）", code="kind_not_allowed")
        if data.kind.value != region.kind:
            changes["kind"] = [region.kind, data.kind.value]
            region.kind = data.kind.value
    if data.geometry is not None:
        polygon = parse_polygon(data.geometry)
        if region.level == RegionLevel.GRID and region.parent_id is not None:
            parent = session.get(Region, region.parent_id)
            if parent is None:
                raise NotFound("上级区域不存在", code="parent_not_found")
            _check_grid_geometry(session, polygon, parent, exclude_id=region.id)
        for column, value in geometry_columns(polygon).items():
            setattr(region, column, value)
        changes["geometry"] = "changed"
        repository.bump_revision(session)
    if changes:
        audit.record(
            session,
            actor=actor,
            action="region.update",
            object_type="region",
            object_id=region.code,
            region_path=region.path,
            summary=f"修改区域“{region.name}”",
            details={"changes": changes},
        )
    return region


def locate(session: Session, lon: float, lat: float, crs: geo.Crs, *, actor: Actor) -> LocateResult:
    """Which grid, community, street and special grids a point falls in."""
    actor.require(Perm.REGIONS_READ)
    wlon, wlat = geo.to_wgs84(lon, lat, crs)
    hit = get_locator(session).locate(wlon, wlat)
    if hit is None:
        raise InvalidInput("该位置不在本辖区范围内", code="outside_territory", lon=wlon, lat=wlat)
    if not actor.scope.covers_path(hit.grid.path):
        raise PermissionDenied("该位置不在您的管辖范围内", code="out_of_scope")
    ancestors = repository.names_and_levels(session, hit.grid.ancestor_codes)
    by_level = {
        level: RegionBrief(code=code, name=name) for code, (name, level) in ancestors.items()
    }
    return LocateResult(
        lon=wlon,
        lat=wlat,
        district=by_level.get(RegionLevel.DISTRICT),
        street=by_level.get(RegionLevel.STREET),
        community=by_level.get(RegionLevel.COMMUNITY),
        grid=RegionBrief(code=hit.grid.code, name=hit.grid.name),
        special_grids=[
            RegionBrief(code=ref.code, name=ref.name)
            for ref in hit.special_grids
            if actor.scope.covers_path(ref.path)
        ],
    )


def regions_by_codes(session: Session, codes: list[str], *, actor: Actor) -> list[Region]:
    actor.require(Perm.REGIONS_READ)
    return repository.get_many_by_code(session, actor.scope, codes)


def grid_path_at(session: Session, lon: float, lat: float, crs: geo.Crs, *, actor: Actor) -> str:
    """Path of the basic grid a point lies in, for placing a new row; refuses points outside
    the territory or the actor's scope."""
    wlon, wlat = geo.to_wgs84(lon, lat, crs)
    hit = get_locator(session).locate(wlon, wlat)
    if hit is None:
        raise InvalidInput("该位置不在本辖区范围内", code="outside_territory", lon=wlon, lat=wlat)
    if not actor.scope.covers_path(hit.grid.path):
        raise PermissionDenied("该位置不在您的管辖范围内", code="out_of_scope")
    return hit.grid.path


def scope_roots(session: Session, *, actor: Actor) -> list[Region]:
    """The top regions an actor sees: their scope roots, or the territory's roots when
    unrestricted."""
    actor.require(Perm.REGIONS_READ)
    if actor.scope.region_paths is None:
        return repository.list_roots(session)
    codes = [path.rstrip("/").split("/")[-1] for path in actor.scope.region_paths]
    return repository.get_many_by_code(session, actor.scope, codes)


def scope_bounds(session: Session, *, actor: Actor) -> list[float] | None:
    """[west, south, east, north] around the actor's scope roots (where a map opens), or None
    when there are none."""
    roots = scope_roots(session, actor=actor)
    if not roots:
        return None
    return [
        min(r.min_lon for r in roots),
        min(r.min_lat for r in roots),
        max(r.max_lon for r in roots),
        max(r.max_lat for r in roots),
    ]


def point_hit(session: Session, lon: float, lat: float) -> PointHit | None:
    """Where a reported point lies, for intake from anyone (a citizen may report anywhere in
    the district; what they learn is only the grid of their own report)."""
    return get_locator(session).locate(lon, lat)

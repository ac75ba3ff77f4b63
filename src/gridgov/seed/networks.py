"""Demo departmental networks whose borders do not follow the basic grids, their overlay, a full
roster for every grid, and accounts for social organisations and utility enterprises.

Four networks: police beats (Voronoi cells of random points), urban-management grids (a
rotated square tiling, two holes cut out), fire-safety grids (a hexagonal tiling, one hole) and
market-supervision grids (Voronoi again, one unit grown over its neighbours). So the overlay has
real shares, slivers where a unit clips a grid's corner, planted gaps and one planted overlap.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import insert, select, update

from gridgov.accounts.models import GridAssignment, User
from gridgov.accounts.permissions import Role
from gridgov.kit.crypto import FieldCipher, mask_phone
from gridgov.kit.geojson import dumps
from gridgov.networks import overlay
from gridgov.networks.models import (
    Network,
    NetworkOverlay,
    NetworkUnit,
    NetworkVersion,
    RosterEntry,
    RosterRole,
)
from gridgov.regions.models import RegionLevel
from gridgov.seed.accounts import STREET_LOGINS
from gridgov.seed.context import SeedContext
from gridgov.seed.names import person_name
from gridgov.seed.orgs import UTILITIES

# (code, name, department, roster role, event category prefixes, unit prefix, grids per unit)
NETWORKS: tuple[tuple[str, str, str, str, list[str], str, float], ...] = (
    ("police", "公安警格", "dept-ga", "police", ["0202"], "JG", 6.0),
    ("urban", "城管网格", "dept-cg", "urban_management", ["01", "02", "03"], "CG", 5.0),
    ("fire", "消防网格", "dept-xf", "fire_safety", ["0401", "0402"], "XF", 7.0),
    ("market", "市场监管网格", "dept-sj", "market_supervision", ["0604"], "SJ", 9.0),
)
# A duty an admin added: the market-supervision network fills it.
CUSTOM_ROLES = (("market_supervision", "市场监管员", 80),)
# Planted gaps: holes of this radius (metres) cut out of a network, per network code.
PLANTED_GAPS = {"urban": 2, "fire": 1}
GAP_RADIUS_M = 120.0
OVERLAP_GROWTH_M = 80.0
SEED_USER = "seed"
# Clipped cells smaller than this (m²) are merged into a neighbour rather than kept as units.
MIN_UNIT_M2 = 1000.0


def _phone(rng: random.Random) -> str:
    return f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"


def _metres(lat: float) -> tuple[float, float]:
    return overlay.metres_per_degree(lat)


def _voronoi(outline: BaseGeometry, count: int, rng: random.Random) -> list[BaseGeometry]:
    min_lon, min_lat, max_lon, max_lat = outline.bounds
    points: list[Point] = []
    while len(points) < count:
        p = Point(rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat))
        if outline.contains(p):
            points.append(p)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(points), extend_to=outline.envelope)
    return list(shapely.get_parts(cells))


def _tiling(
    outline: BaseGeometry, cell_m: float, angle: float, rng: random.Random, *, hexagons: bool
) -> list[BaseGeometry]:
    """Square or hexagonal cells of about ``cell_m`` metres, rotated by ``angle`` degrees."""
    centre = outline.centroid
    kx, ky = _metres(centre.y)
    reach = max(outline.bounds[2] - outline.bounds[0], outline.bounds[3] - outline.bounds[1])
    reach_m = reach * max(kx, ky)
    n = int(reach_m / cell_m) + 2
    ox, oy = rng.uniform(0, cell_m), rng.uniform(0, cell_m)
    cells: list[BaseGeometry] = []
    for i in range(-n, n + 1):
        for j in range(-n, n + 1):
            if hexagons:
                x = i * cell_m * 1.5 + ox
                y = j * cell_m * math.sqrt(3) + (i % 2) * cell_m * math.sqrt(3) / 2 + oy
                corners = [
                    (x + cell_m * math.cos(math.pi / 3 * k), y + cell_m * math.sin(math.pi / 3 * k))
                    for k in range(6)
                ]
                cell = Polygon(corners)
            else:
                x, y = i * cell_m + ox, j * cell_m + oy
                cell = shapely.box(x, y, x + cell_m, y + cell_m)
            cell = affinity.rotate(cell, angle, origin=(0, 0))
            cells.append(
                affinity.affine_transform(cell, [1 / kx, 0, 0, 1 / ky, centre.x, centre.y])
            )
    return cells


def _clip(cells: list[BaseGeometry], outline: BaseGeometry) -> list[BaseGeometry]:
    clipped = shapely.intersection(np.asarray(cells, dtype=object), outline)
    kept: list[BaseGeometry] = []
    crumbs: list[BaseGeometry] = []
    for geom in clipped:
        polygons = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 0]
        if not polygons:
            continue
        shape = polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)
        (kept if overlay.area_m2(shape) >= MIN_UNIT_M2 else crumbs).append(shape)
    # A cell the district's edge cuts to a crumb joins the neighbour it touches most, so the
    # network still covers the whole district.
    for crumb in crumbs:
        touching = [i for i, unit in enumerate(kept) if unit.intersects(crumb)]
        if touching:
            best = max(touching, key=lambda i: kept[i].intersection(crumb.buffer(1e-7)).area)
            kept[best] = shapely.union(kept[best], crumb)
    return kept


def build_units(
    code: str, outline: BaseGeometry, count: int, rng: random.Random
) -> list[BaseGeometry]:
    """The demo polygons of one network (pure geometry, deterministic from ``rng``)."""
    area = overlay.area_m2(outline)
    cell_m = math.sqrt(area / max(count, 1))
    if code == "urban":
        units = _clip(_tiling(outline, cell_m, 23.0, rng, hexagons=False), outline)
    elif code == "fire":
        units = _clip(_tiling(outline, cell_m / 1.6, -11.0, rng, hexagons=True), outline)
    else:
        units = _clip(_voronoi(outline, count, rng), outline)
    for _ in range(PLANTED_GAPS.get(code, 0)):
        # A hole around a point well inside the district: an area nobody in this network covers.
        index = rng.randrange(len(units))
        centre = units[index].representative_point()
        kx, ky = _metres(centre.y)
        hole = affinity.scale(
            centre.buffer(GAP_RADIUS_M / kx), xfact=1.0, yfact=kx / ky, origin=centre
        )
        units = [shapely.difference(u, hole) for u in units]
    if code == "market" and len(units) > 2:
        # A unit drawn a little too generously: it overlaps its neighbours.
        index = rng.randrange(len(units))
        kx, _ = _metres(units[index].centroid.y)
        units[index] = shapely.intersection(units[index].buffer(OVERLAP_GROWTH_M / kx), outline)
    return [shapely.make_valid(u) if not u.is_valid else u for u in units]


def generate(ctx: SeedContext) -> None:
    assert ctx.territory is not None, "the regions generator runs first"
    session = ctx.session
    rng = random.Random(ctx.seed * 31 + 9)
    cipher = FieldCipher(ctx.settings.effective_data_key())
    grid_specs = [r for r in ctx.territory.regions if r.level == RegionLevel.GRID]
    paths = {r.code: r.path for r in ctx.regions_at(RegionLevel.GRID)}
    grid_shapes = [spec.polygon for spec in grid_specs]
    outline = shapely.union_all(np.asarray(grid_shapes, dtype=object))
    ctx.progress("专业网格", 0, len(NETWORKS))
    session.execute(
        insert(RosterRole),
        [
            {"code": c, "name": n, "sort_order": order, "is_builtin": False}
            for c, n, order in CUSTOM_ROLES
        ],
    )
    overlay_rows = 0
    for done, (code, name, department, role, prefixes, prefix, per_unit) in enumerate(NETWORKS):
        units = build_units(code, outline, max(4, round(len(grid_specs) / per_unit)), rng)
        network = Network(
            code=code,
            name=name,
            department_id=ctx.org_ids.get(department),
            roster_role=role,
            category_prefixes=prefixes,
        )
        session.add(network)
        session.flush()
        version = NetworkVersion(
            network_id=network.id,
            version=1,
            unit_count=len(units),
            note="演示数据",
            imported_by=SEED_USER,
        )
        session.add(version)
        session.flush()
        unit_rows: list[dict[str, Any]] = []
        for n, shape in enumerate(units, start=1):
            phone = _phone(rng)
            unit_rows.append(
                {
                    "version_id": version.id,
                    "unit_code": f"{prefix}{n:03d}",
                    "name": f"{name}{prefix}{n:03d}",
                    "officer_name": person_name(rng),
                    "officer_phone_cipher": cipher.encrypt(phone),
                    "officer_phone_masked": mask_phone(phone),
                    "properties": {},
                    "geometry": dumps(shape),
                    "area_m2": overlay.area_m2(shape),
                }
            )
        session.execute(insert(NetworkUnit), unit_rows)
        ids = dict(
            session.execute(
                select(NetworkUnit.unit_code, NetworkUnit.id).where(
                    NetworkUnit.version_id == version.id
                )
            ).all()
        )
        rows = [
            {
                "version_id": version.id,
                "unit_id": ids[str(unit_rows[c.unit]["unit_code"])],
                "grid_code": grid_specs[c.grid].code,
                "region_path": paths[grid_specs[c.grid].code],
                "share": c.share,
                "area_m2": c.area_m2,
            }
            for c in overlay.covers(grid_shapes, units)
        ]
        for start in range(0, len(rows), 5000):
            session.execute(insert(NetworkOverlay), rows[start : start + 5000])
        overlay_rows += len(rows)
        session.execute(
            update(Network).where(Network.id == network.id).values(current_version_id=version.id)
        )
        session.execute(
            update(NetworkVersion)
            .where(NetworkVersion.id == version.id)
            .values(overlay_at=version.created_at)
        )
        ctx.progress("专业网格", done + 1, len(NETWORKS))
    _roster(ctx, rng, cipher, paths)
    _social_accounts(ctx)
    ctx.counts["network_overlay_rows"] = overlay_rows


def _roster(
    ctx: SeedContext, rng: random.Random, cipher: FieldCipher, paths: dict[str, str]
) -> None:
    """A grid chief and a legal adviser (one per community) for every grid, and a part-time
    worker entered by hand where no part-time account is assigned."""
    with_part_time = set(
        ctx.session.scalars(
            select(GridAssignment.region_path).where(GridAssignment.duty == "兼职网格员")
        )
    )
    advisers: dict[str, tuple[str, str]] = {}
    rows: list[dict[str, Any]] = []

    def add(grid: str, role: str, person: str, phone: str) -> None:
        rows.append(
            {
                "grid_code": grid,
                "region_path": paths[grid],
                "role_code": role,
                "person_name": person,
                "phone_cipher": cipher.encrypt(phone),
                "phone_masked": mask_phone(phone),
                "note": "",
                "updated_by": SEED_USER,
            }
        )

    for grid, path in sorted(paths.items()):
        community = path.rstrip("/").split("/")[-2]
        add(grid, "grid_chief", person_name(rng), _phone(rng))
        if community not in advisers:
            advisers[community] = (f"{person_name(rng)}律师", _phone(rng))
        add(grid, "legal_adviser", *advisers[community])
        if path not in with_part_time:
            add(grid, "part_time", person_name(rng), _phone(rng))
    for start in range(0, len(rows), 5000):
        ctx.session.execute(insert(RosterEntry), rows[start : start + 5000])
    ctx.counts["roster_entries"] = len(rows)


def _social_accounts(ctx: SeedContext) -> None:
    """social_<street> for each street's 人民调解委员会, ent_<utility> for each utility."""
    session = ctx.session
    password_hash = session.scalar(
        select(User.password_hash).where(User.is_demo.is_(True)).limit(1)
    )
    if password_hash is None:
        return
    root = ctx.regions[0]
    rows: list[dict[str, Any]] = []
    for street in ctx.regions_at(RegionLevel.STREET):
        org = ctx.org_ids.get(f"social-{street.code}")
        if org is None:
            continue
        rows.append(
            {
                "username": f"social_{STREET_LOGINS.get(street.code, street.code)}",
                "display_name": f"{street.name}人民调解委员会",
                "role": Role.SOCIAL_ORG.value,
                "organisation_id": org,
                "scope_region_id": street.id,
                "scope_path": street.path,
                "region_path": street.path,
            }
        )
    for short, name in UTILITIES:
        org = ctx.org_ids.get(f"ent-{short}")
        if org is None:
            continue
        rows.append(
            {
                "username": f"ent_{short}",
                "display_name": name,
                "role": Role.ENTERPRISE.value,
                "organisation_id": org,
                "scope_region_id": root.id,
                "scope_path": root.path,
                "region_path": root.path,
            }
        )
    for row in rows:
        row.update(password_hash=password_hash, department_id=None, is_demo=True)
    session.execute(insert(User), rows)
    ctx.counts["users"] = ctx.counts.get("users", 0) + len(rows)

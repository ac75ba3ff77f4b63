"""The geometry of network fusion, with no database: which unit covers what share of each basic
grid, and where a network leaves gaps or overlaps itself.

Shares are ratios of areas in one plane. Any linear local projection (here: lon/lat scaled to
metres at one latitude, an equirectangular projection) multiplies every area by the same
factor, so a share is the same number in degrees² as in m²; only the m² figures shown beside it
need the scale. Every area in m² here is taken at the geometry's own mid-latitude, the rule
``regions`` uses for a region's km².
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

METRES_PER_DEGREE_LAT = 110_574.0
METRES_PER_DEGREE_LON_AT_EQUATOR = 111_320.0
# Pairs sharing less than this share of the grid only touch along a border (float noise).
MIN_SHARE = 1e-9
# Gaps and overlaps smaller than this many m² are where two hand-drawn borders nearly meet.
MIN_REPORTED_M2 = 10.0


def metres_per_degree(lat: float) -> tuple[float, float]:
    """(x, y) metres per degree of longitude and latitude at ``lat``."""
    return METRES_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(lat)), METRES_PER_DEGREE_LAT


def area_m2(geom: BaseGeometry) -> float:
    """Area in m², scaled at the geometry's own mid-latitude."""
    if geom.is_empty:
        return 0.0
    _, min_lat, _, max_lat = geom.bounds
    kx, ky = metres_per_degree((min_lat + max_lat) / 2)
    return float(geom.area) * kx * ky


@dataclass(frozen=True)
class Cover:
    """Unit ``unit`` covers ``share`` of grid ``grid`` (indexes into the inputs)."""

    grid: int
    unit: int
    share: float
    area_m2: float


def covers(grids: Sequence[BaseGeometry], units: Sequence[BaseGeometry]) -> list[Cover]:
    """Every (grid, unit) pair that shares area, with the share of the grid's area."""
    if not grids or not units:
        return []
    grid_arr = np.asarray(grids, dtype=object)
    unit_arr = np.asarray(units, dtype=object)
    tree = shapely.STRtree(unit_arr)
    grid_idx, unit_idx = tree.query(grid_arr, predicate="intersects")
    if len(grid_idx) == 0:
        return []
    pieces = shapely.intersection(grid_arr[grid_idx], unit_arr[unit_idx])
    shared = shapely.area(pieces)
    grid_areas = shapely.area(grid_arr)
    result: list[Cover] = []
    for g, u, piece, area in zip(grid_idx, unit_idx, pieces, shared, strict=True):
        share = float(area / grid_areas[g])
        if share > MIN_SHARE:
            result.append(Cover(int(g), int(u), share, area_m2(piece)))
    return result


@dataclass(frozen=True)
class Gap:
    geometry: BaseGeometry
    area_m2: float


def gaps(
    territory: BaseGeometry, units: Sequence[BaseGeometry], *, min_m2: float = MIN_REPORTED_M2
) -> list[Gap]:
    """The parts of ``territory`` no unit covers, largest first."""
    covered = shapely.union_all(np.asarray(units, dtype=object)) if units else None
    rest = territory if covered is None else shapely.difference(territory, covered)
    found = []
    for part in shapely.get_parts(rest):
        if part.geom_type != "Polygon":
            continue
        size = area_m2(part)
        if size >= min_m2:
            found.append(Gap(part, size))
    return sorted(found, key=lambda gap: -gap.area_m2)


@dataclass(frozen=True)
class Overlap:
    first: int
    second: int
    geometry: BaseGeometry
    area_m2: float


def overlaps(
    units: Sequence[BaseGeometry],
    *,
    within: BaseGeometry | None = None,
    min_m2: float = MIN_REPORTED_M2,
) -> list[Overlap]:
    """Pairs of units of one network that share area (optionally only inside ``within``)."""
    if len(units) < 2:
        return []
    arr = np.asarray(units, dtype=object)
    tree = shapely.STRtree(arr)
    first, second = tree.query(arr, predicate="intersects")
    keep = first < second
    first, second = first[keep], second[keep]
    if len(first) == 0:
        return []
    pieces = shapely.intersection(arr[first], arr[second])
    if within is not None:
        pieces = shapely.intersection(pieces, within)
    found = []
    for a, b, piece in zip(first, second, pieces, strict=True):
        size = area_m2(piece)
        if size >= min_m2:
            found.append(Overlap(int(a), int(b), piece, size))
    return found

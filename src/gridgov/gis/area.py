"""The shape of an area selection: a drawn polygon, or a circle in metres around a point.

Circles are built in a local equidistant plane around their centre (metres east and north),
so a 1 km radius is 1 km in every direction at the district's latitude, then returned to
lon/lat. Membership is decided by shapely's vectorised ``contains_xy``.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

# Metres per degree on the mean sphere that distances (haversine) use, so a circle's radius
# and the distances listed beside it agree; fine for areas a few kilometres across.
EARTH_RADIUS_M = 6371008.8
M_PER_DEG = EARTH_RADIUS_M * math.pi / 180.0
CIRCLE_QUAD_SEGMENTS = 16


def circle(lon: float, lat: float, radius_m: float) -> Polygon:
    """A polygon approximating the circle of ``radius_m`` metres around (lon, lat)."""
    scale_x = M_PER_DEG * math.cos(math.radians(lat))
    disc = shapely.Point(0.0, 0.0).buffer(radius_m, quad_segs=CIRCLE_QUAD_SEGMENTS)

    def to_lonlat(coords: np.ndarray) -> np.ndarray:
        return np.column_stack([lon + coords[:, 0] / scale_x, lat + coords[:, 1] / M_PER_DEG])

    result = shapely.transform(disc, to_lonlat)
    assert isinstance(result, Polygon)
    return result


def distance_m(lon1: float, lat1: float, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Haversine distances in metres from one point to many."""
    radius = EARTH_RADIUS_M
    p1, p2 = math.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dp / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    result: np.ndarray = 2 * radius * np.arcsin(np.sqrt(h))
    return result


def inside(area: BaseGeometry, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Which points lie inside the area (boundary excluded), as a boolean mask."""
    if len(lon) == 0:
        return np.zeros(0, dtype=bool)
    shapely.prepare(area)
    mask: np.ndarray = shapely.contains_xy(area, lon, lat)
    return mask

"""Coordinate systems of Chinese consumer maps, converted to WGS-84 on the way in.

GCJ-02 is the obfuscated datum every map licensed in China must use; BD-09 is Baidu's further
offset of it. The transforms are the published ones; the GCJ-02 inverse is iterative because the
forward transform has no closed-form inverse.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

from gridgov.kit.errors import InvalidInput

Crs = Literal["wgs84", "gcj02", "bd09", "cgcs2000"]

_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0


def _outside_china(lon: float, lat: float) -> bool:
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if _outside_china(lon, lat):
        return lon, lat
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = math.sin(radlat)
    magic = 1 - _EE * magic * magic
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    if _outside_china(lon, lat):
        return lon, lat
    wlon, wlat = lon, lat
    # Fixed-point iteration converges to well under a millimetre within a few rounds.
    for _ in range(10):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = glon - lon, glat - lat
        wlon, wlat = wlon - dlon, wlat - dlat
        if abs(dlon) < 1e-10 and abs(dlat) < 1e-10:
            break
    return wlon, wlat


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def bd09_to_gcj02_closed_form(lon: float, lat: float) -> tuple[float, float]:
    """The published inverse: off by up to about 0.1 m, since it only approximates one."""
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    glon, glat = bd09_to_gcj02_closed_form(lon, lat)
    # Refine until the forward transform gives back the input, like the GCJ-02 inverse.
    for _ in range(10):
        blon, blat = gcj02_to_bd09(glon, glat)
        dlon, dlat = blon - lon, blat - lat
        glon, glat = glon - dlon, glat - dlat
        if abs(dlon) < 1e-10 and abs(dlat) < 1e-10:
            break
    return glon, glat


# CGCS2000 (China's national geodetic frame) differs from WGS-84 by centimetres: read as WGS-84.
CRS_ALIASES: dict[str, Crs] = {
    "wgs84": "wgs84",
    "wgs-84": "wgs84",
    "epsg:4326": "wgs84",
    "cgcs2000": "wgs84",
    "epsg:4490": "wgs84",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
}


def parse_crs(text: str) -> Crs:
    """A coordinate system name as users write it (CGCS2000 included), or InvalidInput."""
    crs = CRS_ALIASES.get(text.strip().lower())
    if crs is None:
        raise InvalidInput(
            f"未知的坐标系 {text}（可用 WGS84、CGCS2000、GCJ02、BD09）", code="invalid_crs"
        )
    return crs


def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon: float, lat: float, crs: Crs) -> tuple[float, float]:
    if crs == "wgs84" or crs == "cgcs2000":
        return lon, lat
    if crs == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if crs == "bd09":
        return bd09_to_wgs84(lon, lat)
    raise ValueError(f"unknown coordinate system {crs!r}")


def from_wgs84(lon: float, lat: float, crs: Crs) -> tuple[float, float]:
    """For export to a consumer map: WGS-84 to the named system."""
    if crs == "wgs84" or crs == "cgcs2000":
        return lon, lat
    if crs == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if crs == "bd09":
        return wgs84_to_bd09(lon, lat)
    raise ValueError(f"unknown coordinate system {crs!r}")


def _map_coordinates(value: Any, convert: Callable[[float, float], tuple[float, float]]) -> Any:
    if (
        isinstance(value, list | tuple)
        and len(value) >= 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value[:2])
    ):
        return [*convert(float(value[0]), float(value[1])), *value[2:]]
    if isinstance(value, list | tuple):
        return [_map_coordinates(item, convert) for item in value]
    return value


def geometry_to_wgs84(geometry: dict[str, Any], crs: Crs) -> dict[str, Any]:
    """A GeoJSON geometry (dict) with every position converted from ``crs`` to WGS-84."""
    if crs == "wgs84" or crs == "cgcs2000" or "coordinates" not in geometry:
        return geometry
    return {
        **geometry,
        "coordinates": _map_coordinates(geometry["coordinates"], lambda x, y: to_wgs84(x, y, crs)),
    }


def geometry_from_wgs84(geometry: dict[str, Any], crs: Crs) -> dict[str, Any]:
    if crs == "wgs84" or crs == "cgcs2000" or "coordinates" not in geometry:
        return geometry
    return {
        **geometry,
        "coordinates": _map_coordinates(
            geometry["coordinates"], lambda x, y: from_wgs84(x, y, crs)
        ),
    }


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    radius = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(h))


Bbox = tuple[float, float, float, float]


def parse_bbox(text: str | None) -> Bbox | None:
    """``min_lon,min_lat,max_lon,max_lat`` from a query string, or None when absent."""
    if not text:
        return None
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 4 or values[0] > values[2] or values[1] > values[3]:
        raise InvalidInput("bbox 应为 min_lon,min_lat,max_lon,max_lat", code="invalid_bbox")
    return values[0], values[1], values[2], values[3]

"""GeoJSON in and out, with validation that gives the user a reason."""

from __future__ import annotations

import json
from typing import Any

import shapely
from shapely.geometry import Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from gridgov.kit.errors import InvalidInput

# A district fits comfortably in China's bounds; anything outside is a swapped or wrong value.
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)


def parse_polygon(data: dict[str, Any], *, field: str = "geometry") -> Polygon:
    try:
        geom = shape(data)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise InvalidInput(
            f"{field} 不是合法的 GeoJSON 几何：{exc}", code="invalid_geometry", field=field
        ) from exc
    if geom.geom_type != "Polygon":
        raise InvalidInput(
            f"{field} 必须是 Polygon（收到 {geom.geom_type}）", code="invalid_geometry", field=field
        )
    if geom.is_empty or geom.area == 0:
        raise InvalidInput(f"{field} 面积为零", code="invalid_geometry", field=field)
    if not geom.is_valid:
        raise InvalidInput(
            f"{field} 几何无效：{shapely.is_valid_reason(geom)}",
            code="invalid_geometry",
            field=field,
        )
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    lo_lon, lo_lat, hi_lon, hi_lat = CHINA_BOUNDS
    if min_lon < lo_lon or max_lon > hi_lon or min_lat < lo_lat or max_lat > hi_lat:
        raise InvalidInput(
            f"{field} 坐标超出范围，应为 WGS-84 经纬度（经度在前）",
            code="invalid_geometry",
            field=field,
        )
    return geom


def dumps(geom: BaseGeometry) -> str:
    return json.dumps(mapping(geom), separators=(",", ":"))


def loads(text: str) -> BaseGeometry:
    return shape(json.loads(text))


def as_dict(text: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(text)
    return value

"""Web-mercator tile arithmetic and Mapbox Vector Tile encoding.

Geometry is projected to tile pixels here (extent 4096, y down) and handed to
``mapbox_vector_tile`` ready to write, so the encoder never guesses at bounds or axis order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import mapbox_vector_tile  # type: ignore[import-untyped]
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gridgov.kit.errors import InvalidInput

EXTENT = 4096
MAX_ZOOM = 22
# Polygons are clipped a little outside the tile so that strokes do not stop at tile seams.
CLIP_BUFFER_PX = 64
MAX_MERCATOR_LAT = 85.0511287798066


@dataclass(frozen=True)
class Tile:
    z: int
    x: int
    y: int

    @classmethod
    def checked(cls, z: int, x: int, y: int) -> Tile:
        size = 1 << z if 0 <= z <= MAX_ZOOM else 0
        if not (0 <= z <= MAX_ZOOM and 0 <= x < size and 0 <= y < size):
            raise InvalidInput(
                f"瓦片坐标无效：z 应在 0–{MAX_ZOOM}，x、y 应在 0–2^z-1", code="invalid_tile"
            )
        return cls(z, x, y)

    def bounds(self, buffer_px: float = 0.0) -> tuple[float, float, float, float]:
        """(min_lon, min_lat, max_lon, max_lat) of the tile, widened by ``buffer_px``."""
        pad = buffer_px / EXTENT
        west, north = tile_to_lonlat(self.x - pad, self.y - pad, self.z)
        east, south = tile_to_lonlat(self.x + 1 + pad, self.y + 1 + pad, self.z)
        return west, south, east, north

    def meters_per_pixel(self) -> float:
        """Ground size of one tile pixel (extent units) at the tile's centre latitude."""
        _, lat = tile_to_lonlat(self.x + 0.5, self.y + 0.5, self.z)
        return 40075016.686 * math.cos(math.radians(lat)) / ((1 << self.z) * EXTENT)


def tile_to_lonlat(x: float, y: float, z: int) -> tuple[float, float]:
    n = float(1 << z)
    lon = x / n * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1.0 - 2.0 * y / n))))
    return lon, lat


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The tile holding a point (for links and tests)."""
    px, py = _mercator(np.array([lon]), np.array([lat]), z)
    size = 1 << z
    return min(int(px[0]), size - 1), min(int(py[0]), size - 1)


def _mercator(lon: np.ndarray, lat: np.ndarray, z: int) -> tuple[np.ndarray, np.ndarray]:
    """Fractional tile coordinates of lon/lat arrays at zoom ``z``."""
    n = float(1 << z)
    lat_rad = np.radians(np.clip(lat, -MAX_MERCATOR_LAT, MAX_MERCATOR_LAT))
    x = (lon + 180.0) / 360.0 * n
    y = (1.0 - np.log(np.tan(lat_rad) + 1.0 / np.cos(lat_rad)) / math.pi) / 2.0 * n
    return x, y


def to_pixels(tile: Tile, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tile pixel coordinates (0..EXTENT, y down) of lon/lat arrays."""
    x, y = _mercator(lon, lat, tile.z)
    return (x - tile.x) * EXTENT, (y - tile.y) * EXTENT


def project_geometry(tile: Tile, geom: BaseGeometry) -> BaseGeometry:
    """A lon/lat geometry in tile pixels, clipped to the tile plus its buffer and rounded."""

    def transform(coords: np.ndarray) -> np.ndarray:
        px, py = to_pixels(tile, coords[:, 0], coords[:, 1])
        return np.column_stack([px, py])

    projected = shapely.transform(geom, transform)
    clip = shapely.box(
        -CLIP_BUFFER_PX, -CLIP_BUFFER_PX, EXTENT + CLIP_BUFFER_PX, EXTENT + CLIP_BUFFER_PX
    )
    if not clip.contains(projected):
        projected = shapely.intersection(projected, clip)
    return shapely.set_precision(projected, 1.0)


@dataclass
class Cell:
    """Points binned into one cell of a low-zoom tile: their count and mean position."""

    count: int
    px: float
    py: float
    first: int  # index of one member, whose attributes a single-point cell shows


def bin_points(px: np.ndarray, py: np.ndarray, cell_px: int) -> list[Cell]:
    """Aggregate pixel positions into square cells (server-side clustering)."""
    if len(px) == 0:
        return []
    cx = np.floor(px / cell_px).astype(np.int64)
    cy = np.floor(py / cell_px).astype(np.int64)
    keys = cx * 100_003 + cy
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    counts = np.diff(np.r_[starts, len(order)])
    sum_x = np.add.reduceat(px[order], starts)
    sum_y = np.add.reduceat(py[order], starts)
    return [
        Cell(int(c), float(sx / c), float(sy / c), int(order[s]))
        for c, sx, sy, s in zip(counts, sum_x, sum_y, starts, strict=True)
    ]


def pixel_points(px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Shapely points at rounded pixel positions, made in one vectorised call."""
    points: np.ndarray = shapely.points(np.column_stack([np.rint(px), np.rint(py)]))
    return points


def point_feature(
    px: float, py: float, properties: dict[str, Any], fid: int | None = None
) -> dict[str, Any]:
    feature: dict[str, Any] = {
        "geometry": shapely.Point(round(px), round(py)),
        "properties": properties,
    }
    if fid is not None:
        feature["id"] = fid
    return feature


def encode(layers: list[tuple[str, list[dict[str, Any]]]]) -> bytes:
    """One MVT holding the named layers, geometry already in tile pixels (y down)."""
    data: bytes = mapbox_vector_tile.encode(
        [{"name": name, "features": features} for name, features in layers],
        default_options={"extents": EXTENT, "y_coord_down": True},
    )
    return data

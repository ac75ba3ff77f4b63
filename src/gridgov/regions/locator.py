"""Point → grid lookup: a shapely 2 STRtree over every basic and special grid, held in memory.

Each process builds the tree once and rebuilds it only when the territory revision (bumped in
the same transaction as any polygon change) moves. A point on a border shared by two grids
resolves to the grid with the smallest code, so the answer never depends on insertion order.

Bulk lookups add a raster in front of the tree: the territory's bounding box is cut into cells,
and a cell that no grid boundary touches lies wholly inside one grid (or wholly outside all), so
its points are answered by array indexing. Only points in cells crossed by a boundary go to the
tree. The answer is exact either way; the raster only saves time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from sqlalchemy.orm import Session

from gridgov.kit.geojson import loads
from gridgov.regions import repository
from gridgov.regions.models import RegionLevel


@dataclass(frozen=True)
class GridRef:
    code: str
    name: str
    path: str

    @property
    def ancestor_codes(self) -> list[str]:
        """Codes from the root down to (but excluding) this grid."""
        return [part for part in self.path.split("/") if part][:-1]


@dataclass(frozen=True)
class PointHit:
    grid: GridRef
    special_grids: list[GridRef]


class GridLocator:
    def __init__(
        self,
        basic: list[tuple[GridRef, shapely.Geometry]],
        special: list[tuple[GridRef, shapely.Geometry]],
        revision: int,
    ) -> None:
        self.revision = revision
        # Sorted by code so that "smallest index among candidates" means "smallest code".
        basic = sorted(basic, key=lambda item: item[0].code)
        special = sorted(special, key=lambda item: item[0].code)
        self.basic_refs = [ref for ref, _ in basic]
        self.special_refs = [ref for ref, _ in special]
        self._basic_geoms = np.array([geom for _, geom in basic], dtype=object)
        self._special_geoms = np.array([geom for _, geom in special], dtype=object)
        shapely.prepare(self._basic_geoms)
        shapely.prepare(self._special_geoms)
        self._basic_tree = shapely.STRtree(self._basic_geoms)
        self._special_tree = shapely.STRtree(self._special_geoms)

        self._raster: _Raster | None = None

    @property
    def grid_count(self) -> int:
        return len(self.basic_refs)

    def basic_index_many(
        self, lons: npt.NDArray[np.float64], lats: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.int64]:
        """Index into ``basic_refs`` for each point; -1 where no basic grid covers it."""
        if len(lons) < RASTER_MIN_POINTS or not self.basic_refs:
            return self._query_tree(lons, lats)
        if self._raster is None:
            self._raster = _Raster.build(self)
        result = self._raster.lookup(lons, lats)
        undecided = result == _UNDECIDED
        if undecided.any():
            result[undecided] = self._query_tree(lons[undecided], lats[undecided])
        return result

    def _query_tree(
        self, lons: npt.NDArray[np.float64], lats: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.int64]:
        points = shapely.points(lons, lats)
        point_idx, grid_idx = self._basic_tree.query(points, predicate="covered_by")
        result = np.full(len(points), -1, dtype=np.int64)
        if len(point_idx) == 0:
            return result
        # Assign in descending grid order so the smallest code is written last and wins.
        order = np.lexsort((-grid_idx, point_idx))
        result[point_idx[order]] = grid_idx[order]
        return result

    def locate(self, lon: float, lat: float) -> PointHit | None:
        point = shapely.Point(lon, lat)
        covering = self._basic_tree.query(point, predicate="covered_by")
        if len(covering) == 0:
            return None
        index = int(covering.min())  # on a shared edge the smallest code wins, as in the batch
        specials = self._special_tree.query(point, predicate="covered_by")
        return PointHit(
            grid=self.basic_refs[index],
            special_grids=[self.special_refs[i] for i in sorted(specials.tolist())],
        )


# Below this many points a raster costs more to build than it saves.
RASTER_MIN_POINTS = 50_000
RASTER_CELLS_PER_GRID = 300
RASTER_MAX_CELLS = 1_000_000
RASTER_BAND_CELLS = 100_000
_UNDECIDED = -2


@dataclass(frozen=True)
class _Raster:
    min_lon: float
    min_lat: float
    cell_lon: float
    cell_lat: float
    cells: npt.NDArray[np.int64]  # grid index, -1 outside every grid, _UNDECIDED on a boundary

    @classmethod
    def build(cls, locator: GridLocator) -> _Raster:
        geoms = locator._basic_geoms
        min_lon, min_lat, max_lon, max_lat = shapely.total_bounds(geoms)
        cell_count = min(RASTER_MAX_CELLS, max(65_536, len(geoms) * RASTER_CELLS_PER_GRID))
        aspect = (max_lon - min_lon) / max(max_lat - min_lat, 1e-12)
        rows = max(1, int(np.sqrt(cell_count / max(aspect, 1e-6))))
        cols = max(1, int(cell_count / rows))
        cell_lon = (max_lon - min_lon) / cols
        cell_lat = (max_lat - min_lat) / rows
        boundaries = shapely.STRtree(shapely.boundary(geoms))
        cells = np.full(rows * cols, _UNDECIDED, dtype=np.int64)
        # Cell boxes are made a band of rows at a time: a million shapely boxes at once would
        # cost more memory than the whole rest of the process.
        band = max(1, RASTER_BAND_CELLS // cols)
        for first_row in range(0, rows, band):
            row_idx, col_idx = np.divmod(
                np.arange(first_row * cols, min(rows, first_row + band) * cols), cols
            )
            x0 = min_lon + col_idx * cell_lon
            y0 = min_lat + row_idx * cell_lat
            boxes = shapely.box(x0, y0, x0 + cell_lon, y0 + cell_lat)
            clear = np.ones(len(boxes), dtype=bool)
            clear[boundaries.query(boxes, predicate="intersects")[0]] = False
            cells[first_row * cols + np.flatnonzero(clear)] = locator._query_tree(
                x0[clear] + cell_lon / 2, y0[clear] + cell_lat / 2
            )
        return cls(min_lon, min_lat, cell_lon, cell_lat, cells.reshape(rows, cols))

    def lookup(
        self, lons: npt.NDArray[np.float64], lats: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.int64]:
        rows, cols = self.cells.shape
        col = np.floor((lons - self.min_lon) / self.cell_lon).astype(np.int64)
        row = np.floor((lats - self.min_lat) / self.cell_lat).astype(np.int64)
        # Points beyond the raster are outside every grid, except those on its very edge,
        # which the tree must judge.
        inside = (col >= 0) & (col < cols) & (row >= 0) & (row < rows)
        result = np.full(len(lons), -1, dtype=np.int64)
        result[inside] = self.cells[row[inside], col[inside]]
        on_edge = ~inside & (col >= -1) & (col <= cols) & (row >= -1) & (row <= rows)
        result[on_edge] = _UNDECIDED
        return result


_cache: dict[str, GridLocator] = {}
_lock = threading.Lock()


def build_locator(session: Session) -> GridLocator:
    revision = repository.get_revision(session)
    basic: list[tuple[GridRef, shapely.Geometry]] = []
    special: list[tuple[GridRef, shapely.Geometry]] = []
    for code, name, level, path, geometry in repository.list_locator_rows(session):
        target = basic if level == RegionLevel.GRID else special
        target.append((GridRef(code=code, name=name, path=path), loads(geometry)))
    return GridLocator(basic, special, revision)


def get_locator(session: Session) -> GridLocator:
    """The process's locator for this database, rebuilt when the territory has changed."""
    key = str(session.get_bind().engine.url)
    revision = repository.get_revision(session)
    cached = _cache.get(key)
    if cached is not None and cached.revision == revision:
        return cached
    with _lock:
        cached = _cache.get(key)
        if cached is None or cached.revision != revision:
            cached = build_locator(session)
            _cache[key] = cached
    return cached

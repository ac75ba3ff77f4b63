"""Point → grid lookup: a shapely 2 STRtree over every basic and special grid, held in memory.

Each process builds the tree once and rebuilds it only when the territory revision (bumped in
the same transaction as any polygon change) moves. A point on a border shared by two grids
resolves to the grid with the smallest code, so the answer never depends on insertion order.
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

    @property
    def grid_count(self) -> int:
        return len(self.basic_refs)

    def basic_index_many(
        self, lons: npt.NDArray[np.float64], lats: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.int64]:
        """Index into ``basic_refs`` for each point; -1 where no basic grid covers it."""
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
        index = int(self.basic_index_many(np.array([lon]), np.array([lat]))[0])
        if index < 0:
            return None
        point = shapely.Point(lon, lat)
        specials = self._special_tree.query(point, predicate="covered_by")
        return PointHit(
            grid=self.basic_refs[index],
            special_grids=[self.special_refs[i] for i in sorted(specials.tolist())],
        )


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

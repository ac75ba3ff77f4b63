from __future__ import annotations

import numpy as np
import shapely
from sqlalchemy.orm import Session

from gridgov.kit.geojson import loads
from gridgov.regions import repository
from gridgov.regions.locator import GridLocator, GridRef, build_locator, get_locator


def _square(x: float, y: float, size: float = 1.0) -> shapely.Polygon:
    return shapely.box(x, y, x + size, y + size)


def _ref(code: str) -> GridRef:
    return GridRef(code=code, name=code, path=f"D/S/C/{code}/")


def test_shared_border_resolves_to_smallest_code_whatever_the_order() -> None:
    left, right = (_ref("G002"), _square(0, 0)), (_ref("G001"), _square(1, 0))
    for basic in ([left, right], [right, left]):
        locator = GridLocator(basic, [], revision=1)
        hit = locator.locate(1.0, 0.5)  # on the shared edge x = 1
        assert hit is not None and hit.grid.code == "G001"
        corner = locator.locate(1.0, 1.0)
        assert corner is not None and corner.grid.code == "G001"


def test_points_outside_every_grid_are_not_located() -> None:
    locator = GridLocator([(_ref("G001"), _square(0, 0))], [], revision=1)
    assert locator.locate(5.0, 5.0) is None
    index = locator.basic_index_many(np.array([0.5, 5.0]), np.array([0.5, 5.0]))
    assert index.tolist() == [0, -1]


def test_special_grids_overlap_and_are_all_reported() -> None:
    locator = GridLocator(
        [(_ref("G001"), _square(0, 0, 10))],
        [
            (_ref("S002"), _square(1, 1, 2)),
            (_ref("S001"), _square(2, 2, 2)),
            (_ref("S003"), _square(8, 8)),
        ],
        revision=1,
    )
    hit = locator.locate(2.5, 2.5)
    assert hit is not None
    assert [s.code for s in hit.special_grids] == ["S001", "S002"]


def test_every_demo_grid_locates_its_own_interior_point(db: Session) -> None:
    locator = build_locator(db)
    rows = [r for r in repository.list_locator_rows(db) if r[2] == "grid"]
    points = [loads(geometry).representative_point() for *_, geometry in rows]
    index = locator.basic_index_many(
        np.array([p.x for p in points]), np.array([p.y for p in points])
    )
    assert [locator.basic_refs[i].code for i in index] == [code for code, *_ in rows]
    assert locator.grid_count == 225


def test_locator_is_rebuilt_when_the_revision_moves(db: Session) -> None:
    first = get_locator(db)
    assert get_locator(db) is first
    repository.bump_revision(db)
    db.flush()
    assert get_locator(db) is not first


def test_bulk_raster_answers_exactly_like_the_tree(db: Session) -> None:
    locator = build_locator(db)
    rows = [r for r in repository.list_locator_rows(db) if r[2] == "grid"]
    # Grid vertices sit exactly on shared borders: the hardest points for a raster.
    vertices = np.array(
        [pt for *_, geometry in rows for pt in loads(geometry).exterior.coords[:-1]]
    )
    rng = np.random.default_rng(7)
    min_lon, min_lat = vertices.min(axis=0) - 0.01
    max_lon, max_lat = vertices.max(axis=0) + 0.01
    lons = np.concatenate([vertices[:, 0], rng.uniform(min_lon, max_lon, 100_000)])
    lats = np.concatenate([vertices[:, 1], rng.uniform(min_lat, max_lat, 100_000)])
    bulk = locator.basic_index_many(lons, lats)
    assert np.array_equal(bulk, locator._query_tree(lons, lats))
    assert (bulk >= 0).sum() > 50_000 and (bulk == -1).sum() > 1_000

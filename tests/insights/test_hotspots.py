"""The hotspot test itself (pure): an injected cluster is found, a uniform background is not."""

from __future__ import annotations

import numpy as np
import pytest

from gridgov.insights import hotspots
from gridgov.insights.hotspots import Point, cell_of, detect, poisson_sf

# A 0.2° × 0.2° square (about 20 km × 22 km), some 550 H3-8 cells.
WEST, SOUTH, SIZE = 116.50, 35.30, 0.2


def _background(
    rng: np.random.Generator, per_period: int, periods: int, first_id: int
) -> list[Point]:
    """Uniform points over the square, ``per_period`` in each of the periods 0..periods."""
    xy = rng.random(((periods + 1) * per_period, 2))
    return [
        Point(first_id + i, WEST + x * SIZE, SOUTH + y * SIZE, i // per_period)
        for i, (x, y) in enumerate(xy)
    ]


def test_poisson_tail_matches_known_values() -> None:
    assert poisson_sf(0, 3.0) == 1.0
    assert poisson_sf(1, 2.0) == pytest.approx(1 - 0.1353352832, rel=1e-9)
    # P(X >= 10 | 2) = 4.6498e-5 (tabled)
    assert poisson_sf(10, 2.0) == pytest.approx(4.6498e-5, rel=1e-3)
    assert poisson_sf(3, 0.0) == 0.0


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_uniform_background_has_no_hotspot(seed: int) -> None:
    # About 11 cases a cell per period: hundreds of cells are tested every time.
    rnd = np.random.default_rng(seed)
    found = detect(_background(rnd, 6_000, 8, 1), resolution=8)
    assert found.tested > 300
    assert found.cells == []


def test_injected_cluster_is_found_with_its_cases() -> None:
    rnd = np.random.default_rng(11)
    points = _background(rnd, 6_000, 8, 1)
    centre = (WEST + 0.1, SOUTH + 0.1)
    cluster = [
        Point(
            1_000_000 + i,
            centre[0] + rnd.uniform(-0.0008, 0.0008),
            centre[1] + rnd.uniform(-0.0008, 0.0008),
            0,
        )
        for i in range(40)
    ]
    found = detect(points + cluster, resolution=8, boundary=True)
    cells = {c.cell for c in found.cells}
    assert cell_of(*centre, 8) in cells
    top = found.cells[0]
    assert top.cell == cell_of(*centre, 8)
    assert top.count >= 40
    assert top.z > 5
    assert 5 <= top.baseline <= 20
    assert abs(top.lon - centre[0]) < 0.01 and abs(top.lat - centre[1]) < 0.01
    assert len(top.event_ids) == hotspots.SAMPLE_SIZE
    assert all(i >= 1_000_000 for i in top.event_ids[:10])  # newest ids first: the cluster's
    assert len(top.boundary) == 6
    # Nothing else in the square stands out.
    assert len(found.cells) <= 2


def test_new_cell_with_no_history_is_hot_only_above_min_count() -> None:
    points = [Point(i, 116.6, 35.4, 0) for i in range(4)]
    assert detect(points, min_count=5).cells == []
    points += [Point(99, 116.6, 35.4, 0)]
    found = detect(points, min_count=5)
    assert [c.count for c in found.cells] == [5]
    assert found.cells[0].baseline == 0


def test_an_area_wide_rise_is_not_a_hotspot_everywhere() -> None:
    rnd = np.random.default_rng(5)
    before = [p for p in _background(rnd, 3_000, 8, 1) if p.period > 0]
    now = [p for p in _background(rnd, 6_000, 0, 10_000_000)]  # twice the volume everywhere
    found = detect(before + now, resolution=8)
    assert found.scale == pytest.approx(2.0, rel=0.05)
    assert found.cells == []


def test_resolution_is_checked() -> None:
    with pytest.raises(ValueError):
        detect([], resolution=6)

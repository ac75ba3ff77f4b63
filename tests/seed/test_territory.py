"""The synthetic 太白湖新区 territory: counts, codes, names and exact polygonal coverage.

Only the district tier is built here; the city tier takes tens of seconds and is measured by
bench/bench_territory_city.py instead.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from gridgov.seed.territory import SPECIAL_KINDS, RegionSpec, Territory, build_district

# Square degrees to km² near the district (local equirectangular approximation).
KM2_PER_DEG2 = 111.195**2 * math.cos(math.radians(35.38))
STREETS = {
    "370811002": "许庄街道",
    "370811006": "南张街道",
    "370811109": "石桥镇",
    "370811111": "喻屯镇",
}
URBAN = ("370811002", "370811006")


@pytest.fixture(scope="module")
def territory() -> Territory:
    return build_district(42)


def _level(t: Territory, level: str) -> list[RegionSpec]:
    return [r for r in t.regions if r.level == level]


def _district(t: Territory) -> Polygon:
    (district,) = _level(t, "district")
    return district.polygon


def _overlap_pairs(polygons: list[Polygon]) -> list[tuple[int, int]]:
    tree = shapely.STRtree(polygons)
    left, right = tree.query(polygons, predicate="intersects")
    return [(a, b) for a, b in zip(left.tolist(), right.tolist(), strict=True) if a < b]


def test_counts(territory: Territory) -> None:
    counts = Counter(r.level for r in territory.regions)
    assert set(counts) == {"district", "street", "community", "grid", "special_grid"}
    assert counts["district"] == 1
    assert counts["street"] == 4
    assert 35 <= counts["community"] <= 45
    assert counts["grid"] == 225
    assert counts["special_grid"] == 157


def test_district_and_real_streets(territory: Territory) -> None:
    (district,) = _level(territory, "district")
    assert (district.code, district.name, district.parent_code) == ("370811", "太白湖新区", None)
    streets = _level(territory, "street")
    assert {s.code: s.name for s in streets} == STREETS
    assert all(s.parent_code == "370811" for s in streets)


def test_grid_counts_per_street(territory: Territory) -> None:
    per_street = Counter(g.code[:9] for g in _level(territory, "grid"))
    assert per_street == {"370811002": 70, "370811006": 65, "370811109": 45, "370811111": 45}


def test_codes_follow_the_hierarchy(territory: Territory) -> None:
    seen: set[str] = set()
    for region in territory.regions:
        assert region.code not in seen, region.code
        if region.parent_code is not None:
            # Parents always come first, so loaders can insert in list order.
            assert region.parent_code in seen, region.code
        seen.add(region.code)
    patterns = {
        "street": r"370811\d{3}",
        "community": r"370811\d{6}",
        "grid": r"370811\d{9}",
        "special_grid": r"370811\d{3}ZS\d{3}",
    }
    for level, pattern in patterns.items():
        for region in _level(territory, level):
            assert re.fullmatch(pattern, region.code), region.code
            assert region.parent_code is not None
            if level == "special_grid":
                assert region.code.startswith(region.parent_code + "ZS")
                assert region.parent_code in STREETS
            else:
                assert region.code[:-3] == region.parent_code


def test_names_are_unique_and_plausible(territory: Territory) -> None:
    for level in ("street", "community", "grid", "special_grid"):
        names = [r.name for r in _level(territory, level)]
        assert len(names) == len(set(names)), level
        assert all(names), level
    communities = {c.code: c for c in _level(territory, "community")}
    for community in communities.values():
        assert community.name.endswith(("社区", "村")), community.name
        if community.parent_code in URBAN:
            assert community.name.endswith("社区"), community.name
    for grid in _level(territory, "grid"):
        assert grid.parent_code is not None
        assert grid.name.startswith(communities[grid.parent_code].name), grid.name
        assert re.search(r"第\d+网格$", grid.name), grid.name


def test_kinds(territory: Territory) -> None:
    for region in territory.regions:
        if region.level == "special_grid":
            assert region.kind in SPECIAL_KINDS
        else:
            assert region.kind is None
    kinds = Counter(r.kind for r in _level(territory, "special_grid"))
    assert set(kinds) == set(SPECIAL_KINDS)


def test_every_polygon_is_a_valid_polygon(territory: Territory) -> None:
    for region in territory.regions:
        assert isinstance(region.polygon, Polygon), region.code
        assert region.polygon.is_valid, region.code
        assert not region.polygon.is_empty, region.code
        assert region.polygon.area > 0, region.code


def test_district_shape_and_location(territory: Territory) -> None:
    district = _district(territory)
    area_km2 = district.area * KM2_PER_DEG2
    assert 120 <= area_km2 <= 140
    centre = district.centroid
    assert abs(centre.x - 116.55) < 0.05
    assert abs(centre.y - 35.38) < 0.05
    # Irregular outline: far from filling its bounding box.
    assert district.area / district.envelope.area < 0.9
    assert len(district.exterior.coords) > 50


@pytest.mark.parametrize("level", ["street", "community", "grid"])
def test_each_level_is_an_exact_coverage_of_the_district(territory: Territory, level: str) -> None:
    district = _district(territory)
    polygons = [r.polygon for r in _level(territory, level)]
    assert shapely.coverage_is_valid(np.array(polygons, dtype=object))
    union = shapely.union_all(polygons)
    assert abs(union.area - district.area) / district.area < 1e-9
    assert shapely.symmetric_difference(union, district).area / district.area < 1e-9
    assert abs(sum(p.area for p in polygons) - district.area) / district.area < 1e-9


@pytest.mark.parametrize("level", ["street", "community", "grid"])
def test_no_two_regions_of_a_level_overlap(territory: Territory, level: str) -> None:
    polygons = [r.polygon for r in _level(territory, level)]
    pairs = _overlap_pairs(polygons)
    assert pairs, "neighbours must share borders"
    worst = max(shapely.intersection(polygons[a], polygons[b]).area for a, b in pairs)
    assert worst < 1e-15


def test_children_tile_their_parent(territory: Territory) -> None:
    by_code = {r.code: r for r in territory.regions}
    children: defaultdict[str, list[Polygon]] = defaultdict(list)
    for level in ("street", "community", "grid"):
        for region in _level(territory, level):
            assert region.parent_code is not None
            parent = by_code[region.parent_code].polygon
            assert parent.covers(region.polygon), region.code
            assert region.polygon.difference(parent).area < 1e-15, region.code
            children[region.parent_code].append(region.polygon)
    for code, polys in children.items():
        parent = by_code[code].polygon
        assert abs(sum(p.area for p in polys) - parent.area) / parent.area < 1e-9, code


def test_each_grid_touches_no_other_community(territory: Territory) -> None:
    communities = _level(territory, "community")
    shapes = [c.polygon for c in communities]
    tree = shapely.STRtree(shapes)
    for grid in _level(territory, "grid"):
        for idx in tree.query(grid.polygon, predicate="intersects").tolist():
            if communities[idx].code != grid.parent_code:
                assert grid.polygon.intersection(shapes[idx]).area < 1e-15, grid.code


def test_urban_grids_are_smaller_than_town_grids(territory: Territory) -> None:
    areas: defaultdict[bool, list[float]] = defaultdict(list)
    for grid in _level(territory, "grid"):
        areas[grid.code[:9] in URBAN].append(grid.polygon.area)
    assert np.mean(areas[True]) < 0.8 * np.mean(areas[False])


def test_special_grids_stay_in_their_street(territory: Territory) -> None:
    streets = {s.code: s.polygon for s in _level(territory, "street")}
    for special in _level(territory, "special_grid"):
        assert special.parent_code is not None
        street = streets[special.parent_code]
        assert street.covers(special.polygon), special.code
        assert street.contains(special.polygon.centroid), special.code
        # At least ~1,000 m²: a real footprint, not a clipping sliver.
        assert special.polygon.area * KM2_PER_DEG2 > 0.001, special.code


def test_special_grids_avoid_the_lake(territory: Territory) -> None:
    lake = next(layer.geometry for layer in territory.layers if layer.kind == "lake")
    for special in _level(territory, "special_grid"):
        wet = special.polygon.intersection(lake).area / special.polygon.area
        assert wet <= (0.5 if special.kind == "scenic_area" else 0.2), special.code


def test_special_grids_do_overlap_basic_grids(territory: Territory) -> None:
    grids = [g.polygon for g in _level(territory, "grid")]
    tree = shapely.STRtree(grids)
    for special in _level(territory, "special_grid"):
        assert tree.query(special.polygon, predicate="intersects").size >= 1, special.code


def test_base_layers(territory: Territory) -> None:
    district = _district(territory)
    layers = territory.layers
    lakes = [layer for layer in layers if layer.kind == "lake"]
    assert [lake.name for lake in lakes] == ["太白湖"]
    lake = lakes[0].geometry
    assert lake.geom_type == "Polygon" and lake.is_valid
    assert 2 <= lake.area * KM2_PER_DEG2 <= 15
    assert district.contains(lake)
    # Middle-south: the lake centre lies south of the district centre.
    assert lake.centroid.y < district.centroid.y
    rivers = [layer for layer in layers if layer.kind == "river"]
    assert "京杭运河" in {r.name for r in rivers}
    roads = [layer for layer in layers if layer.kind == "road"]
    assert len(roads) >= 4
    assert "太白湖路" in {r.name for r in roads}
    for layer in rivers + roads:
        assert layer.geometry.geom_type == "LineString", layer.name
        assert layer.geometry.length > 0
    assert {layer.kind for layer in layers} == {"lake", "river", "road"}


def _fingerprint(t: Territory) -> list[tuple[str, str, str, str | None, str | None, bytes]]:
    return [
        (r.code, r.name, r.level, r.parent_code, r.kind, shapely.to_wkb(r.polygon))
        for r in t.regions
    ] + [
        (layer.kind, layer.name, "", None, None, shapely.to_wkb(layer.geometry))
        for layer in t.layers
    ]


def test_same_seed_same_territory(territory: Territory) -> None:
    assert _fingerprint(build_district(42)) == _fingerprint(territory)


def test_other_seed_other_geometry(territory: Territory) -> None:
    other = build_district(7)
    assert Counter(r.level for r in other.regions) == Counter(r.level for r in territory.regions)
    assert {s.code: s.name for s in _level(other, "street")} == STREETS
    assert shapely.to_wkb(_district(other)) != shapely.to_wkb(_district(territory))
    mine = {g.code: shapely.to_wkb(g.polygon) for g in _level(territory, "grid")}
    theirs = {g.code: shapely.to_wkb(g.polygon) for g in _level(other, "grid")}
    assert sum(mine[c] != theirs.get(c) for c in mine) > 200
    assert shapely.coverage_is_valid(np.array([g.polygon for g in _level(other, "grid")]))

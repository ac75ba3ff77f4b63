"""Point → grid assignment throughput over the demo district (target: > 500,000 points/s).

Builds the district territory in memory (no database needed), draws uniformly random points
over its bounding box (a share falls outside the district, as real reports sometimes do) and
assigns them all to basic grids with the same locator the API uses.

    python bench/bench_locate.py [--points 1000000] [--seed 42] [--tier district|city]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import shapely

from gridgov.regions.locator import GridLocator, GridRef
from gridgov.seed.territory import build_city, build_district

TARGET_POINTS_PER_SECOND = 500_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--tier", choices=["district", "city"], default="district")
    args = parser.parse_args()

    territory = build_city(args.seed) if args.tier == "city" else build_district(args.seed)
    path_of: dict[str, str] = {}
    basic: list[tuple[GridRef, shapely.Geometry]] = []
    special: list[tuple[GridRef, shapely.Geometry]] = []
    for region in territory.regions:
        parent = path_of.get(region.parent_code or "", "")
        path_of[region.code] = f"{parent}{region.code}/"
        ref = GridRef(code=region.code, name=region.name, path=path_of[region.code])
        if region.level == "grid":
            basic.append((ref, region.polygon))
        elif region.level == "special_grid":
            special.append((ref, region.polygon))
    root_level = "city" if args.tier == "city" else "district"
    district = next(r.polygon for r in territory.regions if r.level == root_level)

    started = time.perf_counter()
    locator = GridLocator(basic, special, revision=1)
    build_seconds = time.perf_counter() - started

    rng = np.random.default_rng(args.seed)
    min_lon, min_lat, max_lon, max_lat = district.bounds
    lons = rng.uniform(min_lon, max_lon, args.points)
    lats = rng.uniform(min_lat, max_lat, args.points)

    started = time.perf_counter()
    index = locator.basic_index_many(lons, lats)
    first_seconds = time.perf_counter() - started
    started = time.perf_counter()
    index = locator.basic_index_many(lons, lats)
    seconds = time.perf_counter() - started
    rate = args.points / seconds

    started = time.perf_counter()
    tree_only = locator._query_tree(lons, lats)
    tree_rate = args.points / (time.perf_counter() - started)

    inside = int((index >= 0).sum())
    sample = rng.choice(args.points, size=2000, replace=False)
    expected_inside = shapely.covers(district, shapely.points(lons[sample], lats[sample]))
    agree = float(np.mean((index[sample] >= 0) == expected_inside))

    print(
        f"grids: {locator.grid_count} basic, {len(special)} special; "
        f"tree built in {build_seconds * 1000:.1f} ms"
    )
    print(f"points: {args.points:,} ({inside:,} inside the district)")
    print(
        f"first call (builds the raster): {first_seconds:.3f} s, "
        f"{args.points / first_seconds:,.0f} points/s"
    )
    print(f"assigned in {seconds:.3f} s: {rate:,.0f} points/s")
    print(f"STRtree alone: {tree_rate:,.0f} points/s (raster speed-up {rate / tree_rate:.1f}x)")
    print(f"raster and tree agree on every point: {bool(np.array_equal(index, tree_only))}")
    print(
        f"ratio to target ({TARGET_POINTS_PER_SECOND:,}/s): {rate / TARGET_POINTS_PER_SECOND:.2f}x"
    )
    print(
        f"inside/outside agreement with the district polygon on a 2,000-point sample: {agree:.4f}"
    )


if __name__ == "__main__":
    main()

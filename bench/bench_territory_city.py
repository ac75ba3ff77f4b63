"""Build time, memory and exactness of the city tier territory (济宁市, 20,000 + 10,000 grids).

Everything stays in memory (no database). After the build it checks the properties the
district tests check, per level: exact coverage, one Polygon per region, children inside
their parents.

    python bench/bench_territory_city.py [--seed 42] [--no-check]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import Counter

import numpy as np
import shapely

from gridgov.seed.territory import Territory, build_city

TARGET_SECONDS = 180.0


def _check(territory: Territory) -> list[str]:
    problems: list[str] = []
    by_level: dict[str, list[shapely.Geometry]] = {}
    for region in territory.regions:
        by_level.setdefault(region.level, []).append(region.polygon)
        if region.polygon.geom_type != "Polygon" or not region.polygon.is_valid:
            problems.append(f"{region.code}: not a valid Polygon")
    (city,) = by_level["city"]
    for level in ("district", "street", "community", "grid"):
        polygons = np.array(by_level[level], dtype=object)
        if not shapely.coverage_is_valid(polygons):
            problems.append(f"{level}: not a valid coverage")
        union = shapely.union_all(polygons)
        if abs(union.area - city.area) / city.area > 1e-9:
            problems.append(f"{level}: union differs from the city outline")
    by_code = {r.code: r.polygon for r in territory.regions}
    for region in territory.regions:
        if region.parent_code is not None and not by_code[region.parent_code].covers(
            region.polygon
        ):
            problems.append(f"{region.code}: leaves its parent {region.parent_code}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-check", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    last_stage = ""

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal last_stage
        if stage != last_stage or done == total:
            print(f"  {time.perf_counter() - started:7.2f}s  {stage} {done}/{total}", flush=True)
            last_stage = stage

    territory = build_city(args.seed, progress=progress)
    seconds = time.perf_counter() - started
    # ru_maxrss is in KiB on Linux.
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    counts = Counter(r.level for r in territory.regions)
    print(f"build_city(seed={args.seed}): {seconds:.1f} s, peak RSS {peak_mib:.0f} MiB")
    for level in ("city", "district", "street", "community", "grid", "special_grid"):
        print(f"  {level:<13} {counts[level]:>6}")
    print(f"  layers        {len(territory.layers):>6}")
    verdict = "ok" if seconds < TARGET_SECONDS else "SLOW"
    print(f"target < {TARGET_SECONDS:.0f} s: {verdict}")

    if not args.no_check:
        started = time.perf_counter()
        problems = _check(territory)
        print(f"checks: {len(problems)} problems ({time.perf_counter() - started:.1f} s)")
        for problem in problems[:20]:
            print(f"  {problem}")
        if problems:
            sys.exit(1)


if __name__ == "__main__":
    main()

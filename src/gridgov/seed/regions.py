"""Writes the generated territory (regions and base layers) into the database."""

from __future__ import annotations

from sqlalchemy import insert, select

from gridgov.kit.geojson import dumps
from gridgov.regions.models import BaseLayer, Region, TerritoryRevision
from gridgov.regions.services import geometry_columns
from gridgov.seed.context import SeedContext, SeededRegion, Tier
from gridgov.seed.territory import Territory, build_city, build_district

LEVEL_ORDER = ("city", "district", "street", "community", "grid", "special_grid")


def build(ctx: SeedContext) -> Territory:
    if ctx.tier == Tier.CITY:
        return build_city(seed=ctx.seed, progress=ctx.progress)
    ctx.progress("区域边界", 0, 1)
    territory = build_district(seed=ctx.seed)
    ctx.progress("区域边界", 1, 1)
    return territory


def generate(ctx: SeedContext) -> None:
    territory = build(ctx)
    ctx.territory = territory
    paths: dict[str, str] = {}
    ids: dict[str, int] = {}
    specs_by_level = {
        level: [r for r in territory.regions if r.level == level] for level in LEVEL_ORDER
    }
    total = len(territory.regions)
    done = 0
    # Level by level, so that each row's parent already has its id and path.
    for level in LEVEL_ORDER:
        specs = specs_by_level[level]
        if not specs:
            continue
        rows = []
        for spec in specs:
            parent_path = paths[spec.parent_code] if spec.parent_code else ""
            path = f"{parent_path}{spec.code}/"
            paths[spec.code] = path
            rows.append(
                {
                    "code": spec.code,
                    "name": spec.name,
                    "level": spec.level,
                    "kind": spec.kind,
                    "parent_id": ids[spec.parent_code] if spec.parent_code else None,
                    "path": path,
                    **geometry_columns(spec.polygon),
                }
            )
        for start in range(0, len(rows), 5000):
            ctx.session.execute(insert(Region), rows[start : start + 5000])
            done += len(rows[start : start + 5000])
            ctx.progress("写入区域", done, total)
        ids.update(
            ctx.session.execute(select(Region.code, Region.id).where(Region.level == level)).all()
        )
        ctx.regions.extend(
            SeededRegion(
                id=ids[row["code"]],  # type: ignore[index]
                code=str(row["code"]),
                name=str(row["name"]),
                level=level,
                path=str(row["path"]),
                area_km2=float(row["area_km2"]),  # type: ignore[arg-type]
            )
            for row in rows
        )
    ctx.session.execute(
        insert(BaseLayer),
        [
            {"kind": layer.kind, "name": layer.name, "geometry": dumps(layer.geometry)}
            for layer in territory.layers
        ],
    )
    ctx.session.merge(TerritoryRevision(id=1, revision=1))
    for level in LEVEL_ORDER:
        ctx.counts[level] = len(specs_by_level[level])

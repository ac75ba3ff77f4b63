"""The seeded demo district as stored in the database: what `gridgov seed` promises."""

from __future__ import annotations

import shapely
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gridgov.accounts.models import GridAssignment, User
from gridgov.accounts.permissions import Role
from gridgov.kit.geojson import loads
from gridgov.orgs.models import Organisation, OrgKind
from gridgov.regions.models import Region
from gridgov.seed.context import Tier
from gridgov.seed.runner import AlreadySeeded, seed_database
from tests.conftest import FOUNDATION_ONLY, make_settings


def _shapes(db: Session, level: str) -> dict[str, shapely.Geometry]:
    rows = db.execute(select(Region.code, Region.geometry).where(Region.level == level))
    return {code: loads(geometry) for code, geometry in rows}


def test_grid_counts(db: Session) -> None:
    counts = dict(db.execute(select(Region.level, func.count()).group_by(Region.level)).all())
    assert counts["grid"] == 225
    assert counts["special_grid"] == 157
    assert counts["street"] == 4
    assert counts["district"] == 1


def test_basic_grids_tile_the_district(db: Session) -> None:
    grids = _shapes(db, "grid")
    district = next(iter(_shapes(db, "district").values()))
    union = shapely.union_all(list(grids.values()))
    assert abs(union.area - district.area) / district.area < 0.001
    assert shapely.symmetric_difference(union, district).area / district.area < 0.001
    geoms = list(grids.values())
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = [(a, b) for a, b in zip(left.tolist(), right.tolist(), strict=True) if a < b]
    assert pairs, "neighbouring grids must share borders"
    overlap = max(shapely.intersection(geoms[a], geoms[b]).area for a, b in pairs)
    assert overlap < 1e-15


def test_each_grid_lies_in_its_community(db: Session) -> None:
    communities = _shapes(db, "community")
    rows = db.execute(
        select(Region.code, Region.path, Region.geometry).where(Region.level == "grid")
    )
    for code, path, geometry in rows:
        parent = path.rstrip("/").split("/")[-2]
        grid = loads(geometry)
        assert grid.difference(communities[parent]).area < 1e-15, code
        others = [
            c
            for c, shape in communities.items()
            if c != parent and shape.intersection(grid).area > 1e-15
        ]
        assert others == [], code


def test_real_street_codes_and_names(db: Session) -> None:
    streets = dict(
        db.execute(select(Region.code, Region.name).where(Region.level == "street")).all()
    )
    assert streets == {
        "370811002": "许庄街道",
        "370811006": "南张街道",
        "370811109": "石桥镇",
        "370811111": "喻屯镇",
    }


def test_accounts_for_every_role_and_workers_on_grids(db: Session) -> None:
    roles = set(db.scalars(select(User.role).distinct()))
    assert roles == {role.value for role in Role}
    workers = db.scalar(select(func.count()).where(User.role == Role.GRID_WORKER)) or 0
    assert workers == 400
    assigned = db.scalar(select(func.count(GridAssignment.region_id.distinct()))) or 0
    assert assigned == 382  # every basic and special grid has someone
    departments = db.scalar(select(func.count()).where(Organisation.kind == OrgKind.DEPARTMENT))
    assert departments is not None and departments >= 15


def test_seeding_twice_refuses_without_reset(demo_engine: Engine, tmp_path: object) -> None:
    settings = make_settings(tmp_path, str(demo_engine.url))  # type: ignore[arg-type]
    try:
        seed_database(
            demo_engine,
            settings,
            tier=Tier.DISTRICT,
            seed=42,
            reset=False,
            progress=lambda *_: None,
        )
    except AlreadySeeded:
        return
    raise AssertionError("a second seed must refuse rather than duplicate the district")


def test_same_seed_same_district(empty_engine: Engine, db: Session, tmp_path: object) -> None:
    settings = make_settings(tmp_path, str(empty_engine.url))  # type: ignore[arg-type]
    seed_database(
        empty_engine,
        settings,
        tier=Tier.DISTRICT,
        seed=42,
        reset=False,
        progress=lambda *_: None,
        only=FOUNDATION_ONLY,
    )
    with Session(empty_engine) as other:
        again = dict(
            other.execute(
                select(Region.code, Region.geometry).where(Region.level == "community")
            ).all()
        )
    first = dict(
        db.execute(select(Region.code, Region.geometry).where(Region.level == "community")).all()
    )
    assert again == first

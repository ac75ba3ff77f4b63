"""The overlay: shares per grid, checked against an independent shapely computation, and the
gap / overlap / sliver report on planted and clean networks."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest
import shapely
from fastapi.testclient import TestClient
from shapely import affinity
from sqlalchemy import Engine, select

from gridgov.db import session_factory
from gridgov.kit.geojson import loads
from gridgov.networks.models import Network, NetworkOverlay, NetworkUnit
from gridgov.seed.networks import build_units
from tests.conftest import Auth
from tests.networks.conftest import feature_collection, grid_shapes, outline


def _overlay(client: TestClient, auth: Auth, code: str) -> dict[str, dict[str, float]]:
    shares: dict[str, dict[str, float]] = defaultdict(dict)
    page = 1
    while True:
        body = client.get(
            f"/api/v1/networks/{code}/overlay",
            params={"page": page, "page_size": 500},
            headers=auth("admin"),
        ).json()
        for row in body["items"]:
            shares[row["grid_code"]][row["unit_code"]] = row["share"]
        if page * 500 >= body["total"]:
            return shares
        page += 1


def _independent(engine: Engine, code: str) -> dict[str, dict[str, float]]:
    """Intersection area over grid area, for every grid and unit, in plain loops."""
    with session_factory(engine)() as session:
        network = session.scalars(select(Network).where(Network.code == code)).one()
        units = session.execute(
            select(NetworkUnit.unit_code, NetworkUnit.geometry).where(
                NetworkUnit.version_id == network.current_version_id
            )
        ).all()
    expected: dict[str, dict[str, float]] = defaultdict(dict)
    for grid_code, grid in grid_shapes(engine).items():
        for unit_code, geometry in units:
            shared = grid.intersection(loads(geometry)).area / grid.area
            if shared > 1e-9:
                expected[grid_code][unit_code] = shared
    return expected


@pytest.mark.parametrize("code", ["police", "urban", "fire", "market"])
def test_shares_match_an_independent_computation(
    client: TestClient, auth: Auth, demo_engine: Engine, code: str
) -> None:
    found = _overlay(client, auth, code)
    expected = _independent(demo_engine, code)
    assert set(found) == set(expected) and len(found) == 225
    for grid_code, units in expected.items():
        assert set(found[grid_code]) == set(units), grid_code
        for unit_code, share in units.items():
            assert found[grid_code][unit_code] == pytest.approx(share, abs=1e-9)


def test_shares_sum_to_one_where_the_network_covers_the_grid(
    client: TestClient, auth: Auth
) -> None:
    police = _overlay(client, auth, "police")  # a clean partition of the district
    assert all(sum(units.values()) == pytest.approx(1, abs=1e-9) for units in police.values())
    report = client.get("/api/v1/networks/urban/report", headers=auth("admin")).json()
    holed = {code for gap in report["gaps"] for code in gap["grid_codes"]}
    urban = _overlay(client, auth, "urban")
    for grid_code, units in urban.items():
        if grid_code not in holed:
            assert sum(units.values()) == pytest.approx(1, abs=1e-9), grid_code
    assert all(sum(urban[code].values()) < 1 for code in holed)


def test_demo_report_shows_planted_gaps_overlap_and_slivers(client: TestClient, auth: Auth) -> None:
    reports = {
        code: client.get(f"/api/v1/networks/{code}/report", headers=auth("admin")).json()
        for code in ("police", "urban", "fire", "market")
    }
    assert [len(reports[c]["gaps"]) for c in ("police", "urban", "fire", "market")] == [0, 2, 1, 0]
    assert reports["police"]["overlaps"] == [] and reports["market"]["overlaps"]
    for report in reports.values():
        assert report["slivers"] and all(s["share"] < 0.05 for s in report["slivers"])
    tighter = client.get(
        "/api/v1/networks/police/report", params={"sliver_share": 0.01}, headers=auth("admin")
    ).json()
    assert len(tighter["slivers"]) < len(reports["police"]["slivers"])


def test_gap_report_finds_planted_gaps_and_nothing_in_a_clean_network(
    district: tuple[TestClient, Auth, Engine],
) -> None:
    client, auth, engine = district
    admin = auth("admin")
    shape = outline(engine)
    clean = build_units("police", shape, 15, random.Random(7))
    holes = []
    for index in (2, 9):
        centre = clean[index].representative_point()
        holes.append(affinity.scale(centre.buffer(0.002), xfact=1, yfact=0.8, origin=centre))
    holed = [shapely.difference(u, shapely.union_all(holes)) for u in clean]
    for code, units in (("t_clean", clean), ("t_holed", holed)):
        created = client.post(
            "/api/v1/networks", json={"code": code, "name": f"测试网格{code}"}, headers=admin
        )
        assert created.status_code == 201, created.text
        imported = client.post(
            f"/api/v1/networks/{code}/versions", json=feature_collection(units), headers=admin
        )
        assert imported.status_code == 201, imported.text
    clean_report = client.get("/api/v1/networks/t_clean/report", headers=admin).json()
    assert clean_report["gaps"] == [] and clean_report["overlaps"] == []
    assert clean_report["fully_covered_grids"] == clean_report["grid_count"] == 225
    holed_report = client.get("/api/v1/networks/t_holed/report", headers=admin).json()
    found = sorted(gap["area_m2"] for gap in holed_report["gaps"])
    expected = sorted(_m2(hole.intersection(shape)) for hole in holes)
    assert found == pytest.approx(expected, rel=1e-6)
    for gap in holed_report["gaps"]:
        planted = shapely.geometry.shape(gap["geometry"])
        assert any(planted.intersection(h).area / planted.area > 0.999 for h in holes)
        assert gap["grid_codes"]


def _m2(geom: shapely.Geometry) -> float:
    from gridgov.networks.overlay import area_m2

    return area_m2(geom)


def test_overlay_rows_are_scoped(client: TestClient, auth: Auth, db: object) -> None:
    mine = client.get(
        "/api/v1/networks/police/overlay",
        params={"page_size": 500},
        headers=auth("street_xuzhuang"),
    ).json()
    assert mine["items"] and all(r["grid_code"].startswith("370811002") for r in mine["items"])
    report = client.get("/api/v1/networks/police/report", headers=auth("street_xuzhuang")).json()
    assert all(s["grid_code"].startswith("370811002") for s in report["slivers"])
    assert report["grid_count"] < 225
    units = client.get(
        "/api/v1/networks/police/units", params={"page_size": 500}, headers=auth("street_xuzhuang")
    ).json()
    every = client.get(
        "/api/v1/networks/police/units", params={"page_size": 500}, headers=auth("admin")
    ).json()
    assert 0 < units["total"] < every["total"]
    assert all("*" in (u["officer_phone"] or "*") for u in every["items"])


def test_overlay_table_holds_one_row_per_grid_and_unit(demo_engine: Engine) -> None:
    with session_factory(demo_engine)() as session:
        rows = session.execute(
            select(NetworkOverlay.version_id, NetworkOverlay.grid_code, NetworkOverlay.unit_id)
        ).all()
    assert len(rows) == len(set(rows)) > 0

"""The area summary against an independent shapely computation over the same layers.

The test reads the tables itself (plain selects, scope applied by path prefix by hand),
builds shapely geometries one by one and counts what the returned area contains; the
service's bbox prefilter, vectorised ``contains_xy`` and SQL joins must agree exactly."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import Point, shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.events.models import Event
from gridgov.gis import area as areas
from gridgov.kit import geo
from gridgov.kit.clock import now
from gridgov.kit.geojson import loads
from gridgov.regions.models import Region
from gridgov.registry.models import Building, Camera, Component, House, Household, Person
from tests.conftest import Auth

XUZHUANG = "370811/370811002/"


def _inside(area: Any, lon: float, lat: float) -> bool:
    return bool(area.contains(Point(lon, lat)))


def independent(db: Session, area: Any, prefix: str) -> dict[str, Any]:
    """What the summary must say, computed the slow and obvious way."""
    components = [
        c
        for c in db.scalars(select(Component).where(Component.region_path.startswith(prefix)))
        if _inside(area, c.lon, c.lat)
    ]
    cameras = [
        c
        for c in db.scalars(select(Camera).where(Camera.region_path.startswith(prefix)))
        if _inside(area, c.lon, c.lat)
    ]
    buildings = [
        b
        for b in db.scalars(select(Building).where(Building.region_path.startswith(prefix)))
        if _inside(area, b.lon, b.lat)
    ]
    ids = [b.id for b in buildings]
    households = residents = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        households += (
            db.scalar(
                select(func.count(Household.id))
                .join(House, Household.house_id == House.id)
                .where(House.building_id.in_(chunk), Household.region_path.startswith(prefix))
            )
            or 0
        )
        residents += (
            db.scalar(
                select(func.count(Person.id))
                .join(House, Person.house_id == House.id)
                .where(House.building_id.in_(chunk), Person.region_path.startswith(prefix))
            )
            or 0
        )
    since = now() - timedelta(days=90)
    events = Counter(
        e.category_code
        for e in db.scalars(
            select(Event).where(Event.region_path.startswith(prefix), Event.created_at >= since)
        )
        if _inside(area, e.lon, e.lat)
    )
    regions = [
        r
        for r in db.scalars(
            select(Region).where(
                Region.path.startswith(prefix),
                Region.level.in_(["community", "special_grid"]),
            )
        )
        if area.intersects(loads(r.geometry))
    ]
    return {
        "component_ids": {c.id for c in components},
        "by_class": Counter(c.major_code for c in components),
        "camera_ids": {c.id for c in cameras},
        "building_ids": set(ids),
        "households": households,
        "residents": residents,
        "events": events,
        "communities": {r.code for r in regions if r.level == "community"},
        "special": {r.code for r in regions if r.level == "special_grid"},
        "schools": {r.code for r in regions if r.kind == "school"},
        "hospitals": {r.code for r in regions if r.kind == "hospital"},
    }


def assert_matches(summary: dict[str, Any], expected: dict[str, Any]) -> None:
    resources, impact = summary["resources"], summary["impact"]
    assert resources["component_count"] == len(expected["component_ids"])
    assert {c["id"] for c in resources["components"]} <= expected["component_ids"]
    assert len(resources["components"]) == min(100, len(expected["component_ids"]))
    assert {c["key"]: c["count"] for c in resources["components_by_class"]} == dict(
        expected["by_class"]
    )
    distances = [c["distance_m"] for c in resources["components"]]
    assert distances == sorted(distances)
    assert resources["camera_count"] == len(expected["camera_ids"])
    assert {c["id"] for c in resources["cameras"]} <= expected["camera_ids"]
    assert impact["building_count"] == len(expected["building_ids"])
    assert {b["id"] for b in impact["buildings"]} <= expected["building_ids"]
    assert impact["household_count"] == expected["households"]
    assert impact["resident_count"] == expected["residents"]
    assert {c["key"]: c["count"] for c in impact["past_events_by_category"]} == dict(
        expected["events"]
    )
    assert impact["past_event_count"] == sum(expected["events"].values())
    assert {c["code"] for c in impact["communities"]} == expected["communities"]
    assert {g["code"] for g in impact["special_grids"]} == expected["special"]
    assert {g["code"] for g in impact["schools"]} == expected["schools"]
    assert {g["code"] for g in impact["hospitals"]} == expected["hospitals"]


def _busy_point(db: Session, prefix: str) -> tuple[float, float]:
    """A point among the most components of the area, so the summary is not trivially empty."""
    school = db.scalars(
        select(Region).where(
            Region.path.startswith(prefix), Region.level == "special_grid", Region.kind == "school"
        )
    ).first()
    assert school is not None
    return school.centroid_lon, school.centroid_lat


def test_drawn_polygon_equals_independent_shapely(
    client: TestClient, auth: Auth, db: Session
) -> None:
    lon, lat = _busy_point(db, "370811/")
    polygon = shapely.Polygon(
        [
            (lon - 0.012, lat - 0.006),
            (lon + 0.010, lat - 0.009),
            (lon + 0.013, lat + 0.008),
            (lon - 0.004, lat + 0.011),
        ]
    )
    response = client.post(
        "/api/v1/gis/area-summary",
        json={"geometry": shapely.geometry.mapping(polygon)},
        headers=auth("operator"),
    )
    assert response.status_code == 200, response.text
    summary = response.json()
    area = shape(summary["area"])
    assert area.equals_exact(polygon, 1e-9)
    expected = independent(db, area, "370811/")
    assert expected["component_ids"] and expected["building_ids"] and expected["schools"]
    assert_matches(summary, expected)
    assert summary["resources"]["workers"], "grid workers of the touched grids are listed"
    assert summary["resources"]["departments"]


def test_radius_around_a_case_equals_independent_shapely(
    client: TestClient, auth: Auth, db: Session
) -> None:
    event = db.scalars(select(Event).where(Event.region_path.startswith(XUZHUANG))).first()
    assert event is not None
    response = client.post(
        "/api/v1/gis/area-summary",
        json={"event_id": event.id, "radius_m": 1000},
        headers=auth("operator"),
    )
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["event_id"] == event.id and summary["radius_m"] == 1000
    area = shape(summary["area"])
    # The circle really is 1 km in every direction.
    for x, y in list(area.exterior.coords)[::7]:
        assert geo.haversine_m(event.lon, event.lat, x, y) == pytest.approx(1000, rel=0.005)
    assert_matches(summary, independent(db, area, "370811/"))
    workers = summary["resources"]["workers"]
    assert workers and all(w["on_duty"] in (True, False) for w in workers)
    labels = ("GPS定位", "最近上报位置", "网格位置（非GPS）")
    assert all(w["position_label"] in labels for w in workers)
    assert [w["distance_m"] for w in workers] == sorted(w["distance_m"] for w in workers)


def test_street_staff_summary_counts_only_their_street(
    client: TestClient, auth: Auth, db: Session
) -> None:
    """An area straddling 许庄 and another street: 许庄's staff get 许庄's rows only."""
    own = db.scalars(select(Region).where(Region.code == "370811002")).one()
    own_shape = loads(own.geometry)
    # A box around a point of 许庄's border, so it reaches over into the neighbour.
    border = own_shape.exterior.interpolate(0.37, normalized=True)
    box = shapely.box(border.x - 0.01, border.y - 0.01, border.x + 0.01, border.y + 0.01)
    assert box.difference(own_shape).area > 0.0001
    response = client.post(
        "/api/v1/gis/area-summary",
        json={"geometry": shapely.geometry.mapping(box)},
        headers=auth("street_xuzhuang"),
    )
    assert response.status_code == 200, response.text
    summary = response.json()
    assert_matches(summary, independent(db, shape(summary["area"]), XUZHUANG))
    everyone = independent(db, shape(summary["area"]), "370811/")
    assert summary["resources"]["component_count"] < len(everyone["component_ids"])
    assert all(w["grid_code"].startswith("370811002") for w in summary["resources"]["workers"])


def test_area_input_is_checked(client: TestClient, auth: Auth, db: Session) -> None:
    headers = auth("operator")
    both = client.post(
        "/api/v1/gis/area-summary",
        json={"event_id": 1, "geometry": {"type": "Polygon", "coordinates": []}},
        headers=headers,
    )
    assert both.status_code == 422
    neither = client.post("/api/v1/gis/area-summary", json={}, headers=headers)
    assert neither.status_code == 422
    bad = client.post(
        "/api/v1/gis/area-summary",
        json={"geometry": {"type": "Point", "coordinates": [116.5, 35.4]}},
        headers=headers,
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_geometry"
    far = shapely.box(116.0, 35.0, 116.01, 35.01)
    outside = client.post(
        "/api/v1/gis/area-summary",
        json={"geometry": shapely.geometry.mapping(far)},
        headers=headers,
    )
    assert outside.status_code == 422
    assert outside.json()["error"]["code"] == "area_out_of_scope"
    too_wide = client.post(
        "/api/v1/gis/area-summary", json={"event_id": 1, "radius_m": 50_000}, headers=headers
    )
    assert too_wide.status_code == 422
    missing = client.post(
        "/api/v1/gis/area-summary", json={"event_id": 999_999_999}, headers=headers
    )
    assert missing.status_code == 404


def test_gcj02_polygon_is_converted_before_the_summary(
    client: TestClient, auth: Auth, db: Session
) -> None:
    lon, lat = _busy_point(db, "370811/")
    wgs = shapely.box(lon - 0.005, lat - 0.005, lon + 0.005, lat + 0.005)
    gcj = shapely.Polygon([geo.wgs84_to_gcj02(x, y) for x, y in wgs.exterior.coords])
    headers = auth("operator")
    as_gcj = client.post(
        "/api/v1/gis/area-summary",
        json={"geometry": shapely.geometry.mapping(gcj), "crs": "gcj02"},
        headers=headers,
    ).json()
    assert shape(as_gcj["area"]).equals_exact(wgs, 1e-7)
    as_wgs = client.post(
        "/api/v1/gis/area-summary",
        json={"geometry": shapely.geometry.mapping(wgs), "crs": "cgcs2000"},
        headers=headers,
    ).json()
    assert as_gcj["resources"]["component_count"] == as_wgs["resources"]["component_count"]


def test_circle_helper_is_metric() -> None:
    circle = areas.circle(116.55, 35.4, 250)
    assert circle.is_valid
    for x, y in circle.exterior.coords:
        assert geo.haversine_m(116.55, 35.4, x, y) == pytest.approx(250, rel=0.005)


def test_an_area_wholly_in_another_street_is_refused(
    client: TestClient, auth: Auth, db: Session
) -> None:
    foreign = db.scalars(
        select(Region)
        .where(Region.path.startswith("370811/370811006/"), Region.level == "grid")
        .order_by(Region.code)
    ).first()
    assert foreign is not None
    inner = loads(foreign.geometry).representative_point()
    polygon = shapely.box(inner.x - 0.0002, inner.y - 0.0002, inner.x + 0.0002, inner.y + 0.0002)
    assert loads(foreign.geometry).contains(polygon)
    response = client.post(
        "/api/v1/gis/area-summary",
        json={"geometry": shapely.geometry.mapping(polygon)},
        headers=auth("street_xuzhuang"),
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "area_out_of_scope"

"""GeoJSON layers, vector tiles (content, clustering, caching, scope), popups and search."""

from __future__ import annotations

from typing import Any, TypeVar

import mapbox_vector_tile  # type: ignore[import-untyped]
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import ScalarResult, select
from sqlalchemy.orm import Session

from gridgov.accounts.models import User
from gridgov.events.models import Event
from gridgov.gis import services, tiles
from gridgov.kit import geo
from gridgov.kit.errors import InvalidInput
from gridgov.regions.models import Region
from gridgov.registry.models import Building, Camera, Component
from tests.conftest import Auth

T = TypeVar("T")
XUZHUANG = "370811/370811002/"
NANZHANG = "370811/370811006/"


def first(rows: ScalarResult[T]) -> T:
    row = rows.first()
    assert row is not None
    return row


def _decode(content: bytes) -> dict[str, list[dict[str, Any]]]:
    decoded = mapbox_vector_tile.decode(content, default_options={"y_coord_down": True})
    return {name: layer["features"] for name, layer in decoded.items()}


def _tile_of(db: Session, model: Any, prefix: str, z: int) -> tuple[int, int]:
    row = db.scalars(select(model).where(model.region_path.startswith(prefix))).first()
    assert row is not None
    return tiles.lonlat_to_tile(row.lon, row.lat, z)


def test_tile_math_round_trips() -> None:
    tile = tiles.Tile.checked(14, *tiles.lonlat_to_tile(116.55, 35.4, 14))
    west, south, east, north = tile.bounds()
    assert west <= 116.55 <= east and south <= 35.4 <= north
    px, py = tiles.to_pixels(tile, np.array([west, east]), np.array([north, south]))
    assert px == pytest.approx([0, tiles.EXTENT]) and py == pytest.approx([0, tiles.EXTENT])
    for bad in ((23, 0, 0), (3, 8, 0), (3, 0, -1), (-1, 0, 0)):
        with pytest.raises(InvalidInput):
            tiles.Tile.checked(*bad)
    cells = tiles.bin_points(np.array([1.0, 2.0, 300.0]), np.array([1.0, 3.0, 300.0]), 128)
    assert sorted(c.count for c in cells) == [1, 2]


def test_small_layers_are_geojson_in_scope(client: TestClient, auth: Auth) -> None:
    headers = auth("operator")
    counts = {}
    for layer in ("district", "streets", "communities", "grids", "special_grids", "base"):
        response = client.get(f"/api/v1/gis/layers/{layer}", headers=headers)
        assert response.status_code == 200, response.text
        data = response.json()
        assert data["type"] == "FeatureCollection"
        counts[layer] = len(data["features"])
    assert counts["district"] == 1 and counts["streets"] >= 4 and counts["grids"] > 100
    assert counts["base"] > 0
    street = client.get("/api/v1/gis/layers/grids", headers=auth("street_xuzhuang")).json()
    assert street["features"]
    assert all(f["properties"]["code"].startswith("370811002") for f in street["features"])
    unknown = client.get("/api/v1/gis/layers/rivers", headers=headers)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_layer"


def test_workers_layer_says_where_positions_come_from(
    client: TestClient, auth: Auth, db: Session
) -> None:
    # The demo's workers go off duty 15 minutes after the seed; a slow run reaches this test
    # later than that, so one worker checks in now (上岗) for the 在岗 label to be there.
    worker = db.scalars(select(User.username).where(User.role == "grid_worker")).first()
    assert worker is not None
    checked_in = client.post(
        "/api/v1/workers/me/duty", json={"on_duty": True}, headers=auth(worker)
    )
    assert checked_in.status_code == 200, checked_in.text
    data = client.get("/api/v1/gis/layers/workers", headers=auth("operator")).json()
    assert len(data["features"]) > 100
    # The operator follows workers: their latest GPS fix and duty (patrol tracks), the older
    # fallbacks only for workers with no fix yet.
    labels = {f["properties"]["position_label"] for f in data["features"]}
    assert "GPS定位" in labels and labels <= {"GPS定位", "最近上报位置", "网格位置（非GPS）"}
    duty = {f["properties"]["on_duty_label"] for f in data["features"]}
    assert "在岗" in duty and duty <= {"在岗", "离岗"}
    gps = [f for f in data["features"] if f["properties"]["source"] == "gps"]
    assert len(gps) > len(data["features"]) / 2
    cameras = client.get("/api/v1/gis/layers/cameras", headers=auth("street_xuzhuang")).json()
    assert cameras["features"]


def _components_in(db: Session, tile: tiles.Tile) -> set[int]:
    west, south, east, north = tile.bounds()
    return set(
        db.scalars(
            select(Component.id).where(
                Component.lon.between(west, east), Component.lat.between(south, north)
            )
        )
    )


def test_component_tiles_cluster_when_dense_and_are_cached(
    client: TestClient, auth: Auth, db: Session
) -> None:
    headers = auth("operator")
    x, y = _tile_of(db, Component, XUZHUANG, 15)
    response = client.get(f"/tiles/components/15/{x}/{y}.mvt", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert response.headers["cache-control"].startswith("private")
    features = _decode(response.content)["components"]
    assert features and all(f["properties"]["count"] == 1 for f in features)
    inside = _components_in(db, tiles.Tile(15, x, y))
    assert inside <= {f["id"] for f in features}  # every component (plus a small buffer)
    etag = response.headers["etag"]
    again = client.get(
        f"/tiles/components/15/{x}/{y}.mvt", headers={**headers, "If-None-Match": etag}
    )
    assert again.status_code == 304 and again.content == b""
    # Detail zoom shows each component unless the tile holds more than a map can show.
    detail = _decode(
        client.get(f"/tiles/components/14/{x >> 1}/{y >> 1}.mvt", headers=headers).content
    )
    in_detail_tile = _components_in(db, tiles.Tile(14, x >> 1, y >> 1))
    counts = [int(f["properties"]["count"]) for f in detail["components"]]
    if len(in_detail_tile) > services.DENSE_TILE_POINTS:
        assert max(counts) > 1 and len(counts) < len(in_detail_tile)
    else:
        assert set(counts) == {1}
    assert sum(counts) >= len(in_detail_tile)
    low = client.get(f"/tiles/components/11/{x >> 4}/{y >> 4}.mvt", headers=headers)
    clustered = _decode(low.content)["components"]
    assert any(f["properties"]["count"] > 1 for f in clustered)
    total = sum(int(f["properties"]["count"]) for f in clustered)
    assert total >= len(inside)


def test_building_and_event_tiles(client: TestClient, auth: Auth, db: Session) -> None:
    headers = auth("operator")
    x, y = _tile_of(db, Building, XUZHUANG, 15)
    buildings = _decode(client.get(f"/tiles/buildings/15/{x}/{y}.mvt", headers=headers).content)
    feature = buildings["buildings"][0]
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert feature["properties"]["height"] == feature["properties"]["floors"] * 3
    x, y = _tile_of(db, Event, XUZHUANG, 13)
    events = _decode(
        client.get(f"/tiles/events/13/{x}/{y}.mvt", params={"days": 90}, headers=headers).content
    )["events"]
    assert events and all("status" in f["properties"] for f in events)
    category = str(events[0]["properties"]["category"])
    only = _decode(
        client.get(
            f"/tiles/events/13/{x}/{y}.mvt",
            params={"days": 90, "category": category[:2]},
            headers=headers,
        ).content
    ).get("events", [])
    assert only and all(str(f["properties"]["category"]).startswith(category[:2]) for f in only)
    heat = _decode(
        client.get(
            f"/tiles/events/10/{x >> 3}/{y >> 3}.mvt", params={"days": 90}, headers=headers
        ).content
    )["events"]
    assert heat and all("status" not in f["properties"] for f in heat)


def test_bad_tiles_are_refused(client: TestClient, auth: Auth) -> None:
    headers = auth("operator")
    unknown = client.get("/tiles/rivers/14/1/1.mvt", headers=headers)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_layer"
    outside = client.get("/tiles/components/3/8/1.mvt", headers=headers)
    assert outside.status_code == 422 and outside.json()["error"]["code"] == "invalid_tile"
    assert client.get("/tiles/components/x/1/1.mvt", headers=headers).status_code == 422
    assert client.get("/tiles/components/14/1/1.mvt").status_code == 401
    assert client.get("/tiles/events/14/1/1.mvt", headers=auth("citizen1")).status_code == 403


def test_tiles_apply_the_region_scope(client: TestClient, auth: Auth, db: Session) -> None:
    x, y = _tile_of(db, Component, NANZHANG, 15)
    own = client.get(f"/tiles/components/15/{x}/{y}.mvt", headers=auth("operator"))
    foreign = client.get(f"/tiles/components/15/{x}/{y}.mvt", headers=auth("street_xuzhuang"))
    own_ids = {f["id"] for f in _decode(own.content)["components"]}
    foreign_ids = {f["id"] for f in _decode(foreign.content).get("components", [])}
    assert own_ids and own.headers["etag"] != foreign.headers["etag"]
    allowed = set(
        db.scalars(select(Component.id).where(Component.region_path.startswith(XUZHUANG)))
    )
    assert foreign_ids <= allowed


def test_popups(client: TestClient, auth: Auth, db: Session) -> None:
    headers = auth("operator")
    component = first(
        db.scalars(select(Component).where(Component.maintainer_department_id.is_not(None)))
    )
    body = client.get(f"/api/v1/gis/features/components/{component.id}", headers=headers).json()
    assert body["code"] == component.code and body["department"]
    building = first(db.scalars(select(Building).where(Building.region_path.startswith(XUZHUANG))))
    body = client.get(f"/api/v1/gis/features/buildings/{building.id}", headers=headers).json()
    assert body["floors"] == building.floors and body["residents"] >= 0
    assert isinstance(body["resident_names"], list)  # the operator has persons.read
    department = client.get(
        f"/api/v1/gis/features/buildings/{building.id}", headers=auth("dept_cg")
    )
    assert department.status_code == 200 and department.json()["resident_names"] is None
    assert department.json()["residents"] == body["residents"]
    camera = first(db.scalars(select(Camera)))
    body = client.get(f"/api/v1/gis/features/cameras/{camera.id}", headers=headers).json()
    assert body["stream_url"] == camera.stream_url
    event = first(db.scalars(select(Event).where(Event.region_path.startswith(XUZHUANG))))
    body = client.get(f"/api/v1/gis/features/events/{event.id}", headers=headers).json()
    assert body["url"] == f"/events/{event.id}" and body["status_label"]
    workers = client.get("/api/v1/gis/layers/workers", headers=headers).json()["features"]
    worker_id = workers[0]["properties"]["id"]
    body = client.get(f"/api/v1/gis/features/workers/{worker_id}", headers=headers).json()
    assert body["grids"] and body["on_duty"] in (True, False) and body["on_duty_label"]
    foreign = first(db.scalars(select(Event).where(Event.region_path.startswith(NANZHANG))))
    hidden = client.get(
        f"/api/v1/gis/features/events/{foreign.id}", headers=auth("street_xuzhuang")
    )
    assert hidden.status_code == 404


def test_search_by_grid_code_component_code_and_address(
    client: TestClient, auth: Auth, db: Session
) -> None:
    headers = auth("operator")
    grid = first(db.scalars(select(Region).where(Region.level == "grid")))
    hits = client.get("/api/v1/gis/search", params={"q": grid.code}, headers=headers).json()
    assert hits[0]["kind"] == "region" and grid.code in hits[0]["label"]
    component = first(db.scalars(select(Component)))
    hits = client.get("/api/v1/gis/search", params={"q": component.code}, headers=headers).json()
    assert hits[0]["kind"] == "component"
    assert hits[0]["lon"] == pytest.approx(component.lon)
    building = first(db.scalars(select(Building)))
    hits = client.get("/api/v1/gis/search", params={"q": building.address}, headers=headers).json()
    assert any(h["kind"] == "address" for h in hits)
    foreign = client.get(
        "/api/v1/gis/search", params={"q": "370811006"}, headers=auth("street_xuzhuang")
    ).json()
    assert all(h["kind"] != "region" for h in foreign)


def test_map_page_needs_login_and_loads_local_assets(client: TestClient, auth: Auth) -> None:
    anonymous = client.get("/map", headers={"Accept": "text/html"}, follow_redirects=False)
    assert anonymous.status_code == 303
    page = client.get("/map", headers=auth("operator"))
    assert page.status_code == 200
    assert "/static/vendor/maplibre-gl-6.17.0/maplibre-gl.css" in page.text
    assert "/static/map.js" in page.text
    for asset in (
        "/static/map.js",
        "/static/map.css",
        "/static/vendor/maplibre-gl-6.17.0/maplibre-gl.mjs",
        "/static/vendor/maplibre-gl-6.17.0/maplibre-gl-worker.mjs",
        "/static/vendor/maplibre-gl-6.17.0/LICENSE.txt",
    ):
        assert client.get(asset).status_code == 200, asset


def test_layers_export_in_consumer_map_coordinates(client: TestClient, auth: Auth) -> None:
    headers = auth("operator")
    wgs = client.get("/api/v1/gis/layers/cameras", headers=headers).json()["features"][0]
    gcj = client.get("/api/v1/gis/layers/cameras", params={"crs": "gcj02"}, headers=headers).json()[
        "features"
    ][0]
    expected = geo.wgs84_to_gcj02(*wgs["geometry"]["coordinates"])
    assert gcj["geometry"]["coordinates"] == pytest.approx(list(expected))
    bd = client.get("/api/v1/gis/layers/streets", params={"crs": "bd09"}, headers=headers).json()[
        "features"
    ][0]
    plain = client.get("/api/v1/gis/layers/streets", headers=headers).json()["features"][0]
    first = plain["geometry"]["coordinates"][0][0]
    assert bd["geometry"]["coordinates"][0][0] == pytest.approx(list(geo.wgs84_to_bd09(*first)))

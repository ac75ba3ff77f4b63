from __future__ import annotations

import json
from typing import Any

import shapely
from fastapi.testclient import TestClient
from shapely.geometry import mapping
from sqlalchemy import Engine

from gridgov.kit.geo import wgs84_to_gcj02
from tests.conftest import Auth


def _grid(client: TestClient, auth: Auth, code: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/regions/{code}", headers=auth("admin"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_list_filters_and_paginates(client: TestClient, auth: Auth) -> None:
    first = client.get(
        "/api/v1/regions", params={"level": "grid", "page_size": 100}, headers=auth("leader")
    ).json()
    assert first["total"] == 225 and len(first["items"]) == 100
    third = client.get(
        "/api/v1/regions",
        params={"level": "grid", "page_size": 100, "page": 3},
        headers=auth("leader"),
    ).json()
    assert len(third["items"]) == 25
    codes = [i["code"] for i in first["items"]] + [i["code"] for i in third["items"]]
    assert len(set(codes)) == 125
    special = client.get(
        "/api/v1/regions", params={"level": "special_grid"}, headers=auth("leader")
    ).json()
    assert special["total"] == 157
    streets = client.get(
        "/api/v1/regions", params={"parent_code": "370811"}, headers=auth("leader")
    ).json()
    assert {s["name"] for s in streets["items"]} == {"许庄街道", "南张街道", "石桥镇", "喻屯镇"}


def test_bad_page_size_is_422(client: TestClient, auth: Auth) -> None:
    response = client.get("/api/v1/regions", params={"page_size": 0}, headers=auth("leader"))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


def test_detail_has_geometry_children_and_workers(client: TestClient, auth: Auth) -> None:
    community = _grid(client, auth, "370811002001")
    assert community["level"] == "community"
    assert community["geometry"]["type"] == "Polygon"
    assert community["children"]["grid"] >= 1
    grid = _grid(client, auth, "370811002001001")
    assert grid["parent_code"] == "370811002001"
    assert [w["username"] for w in grid["workers"]][:1] == ["gw_370811002001001"]


def test_unknown_region_is_404(client: TestClient, auth: Auth) -> None:
    response = client.get("/api/v1/regions/999999", headers=auth("admin"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "region_not_found"


def test_geojson_feature_collection(client: TestClient, auth: Auth) -> None:
    body = client.get(
        "/api/v1/regions.geojson", params={"level": "street"}, headers=auth("leader")
    ).json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == 4
    assert all(f["geometry"]["type"] == "Polygon" for f in body["features"])


def test_locate_converts_gcj02_and_names_the_whole_chain(client: TestClient, auth: Auth) -> None:
    grid = _grid(client, auth, "370811006001002")
    inside = shapely.geometry.shape(grid["geometry"]).representative_point()
    gcj_lon, gcj_lat = wgs84_to_gcj02(inside.x, inside.y)
    body = client.post(
        "/api/v1/regions/locate",
        json={"lon": gcj_lon, "lat": gcj_lat, "crs": "gcj02"},
        headers=auth("operator"),
    ).json()
    assert body["grid"]["code"] == "370811006001002"
    assert body["community"]["code"] == "370811006001"
    assert body["street"] == {"code": "370811006", "name": "南张街道"}
    assert body["district"]["code"] == "370811"
    assert abs(body["lon"] - inside.x) < 1e-6 and abs(body["lat"] - inside.y) < 1e-6


def test_locate_outside_district_is_422(client: TestClient, auth: Auth) -> None:
    response = client.post(
        "/api/v1/regions/locate", json={"lon": 117.5, "lat": 36.5}, headers=auth("operator")
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "outside_territory"


def _split_grid(geometry: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    polygon = shapely.geometry.shape(geometry)
    min_x, min_y, max_x, max_y = polygon.bounds
    mid = (min_x + max_x) / 2
    west = polygon.intersection(shapely.box(min_x - 1, min_y - 1, mid, max_y + 1))
    east = polygon.intersection(shapely.box(mid, min_y - 1, max_x + 1, max_y + 1))
    return mapping(max(getattr(west, "geoms", [west]), key=lambda g: g.area)), mapping(
        max(getattr(east, "geoms", [east]), key=lambda g: g.area)
    )


def test_admin_edits_a_grid_and_the_locator_follows(
    fresh: tuple[TestClient, Auth, Engine],
) -> None:
    client, auth, _engine = fresh
    code = "370811111002001"
    grid = _grid(client, auth, code)
    west, east = _split_grid(grid["geometry"])
    west_shape = shapely.geometry.shape(west)
    probe = shapely.geometry.shape(east).representative_point()
    shrunk = client.patch(f"/api/v1/regions/{code}", json={"geometry": west}, headers=auth("admin"))
    assert shrunk.status_code == 200, shrunk.text
    assert shrunk.json()["area_km2"] < grid["area_km2"]
    gone = client.post(
        "/api/v1/regions/locate", json={"lon": probe.x, "lat": probe.y}, headers=auth("admin")
    )
    assert gone.status_code == 422  # the east half now belongs to no grid
    created = client.post(
        "/api/v1/regions",
        json={
            "code": f"{code[:-3]}901",
            "name": "拆分网格",
            "level": "grid",
            "parent_code": grid["parent_code"],
            "geometry": json.loads(json.dumps(east)),
        },
        headers=auth("admin"),
    )
    assert created.status_code == 201, created.text
    found = client.post(
        "/api/v1/regions/locate", json={"lon": probe.x, "lat": probe.y}, headers=auth("admin")
    )
    assert found.json()["grid"]["code"] == f"{code[:-3]}901"
    assert west_shape.area > 0
    audit = client.get(
        "/api/v1/audit", params={"action": "region.create"}, headers=auth("admin")
    ).json()
    assert any(e["object_id"] == f"{code[:-3]}901" for e in audit["items"])


def test_overlapping_grid_is_refused_and_nothing_is_written(client: TestClient, auth: Auth) -> None:
    grid = _grid(client, auth, "370811109001001")
    before = client.get("/api/v1/regions", params={"level": "grid"}, headers=auth("admin")).json()
    response = client.post(
        "/api/v1/regions",
        json={
            "code": "370811109001950",
            "name": "重叠网格",
            "level": "grid",
            "parent_code": "370811109001",
            "geometry": grid["geometry"],
        },
        headers=auth("admin"),
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "geometry_overlaps_grid"
    after = client.get("/api/v1/regions", params={"level": "grid"}, headers=auth("admin")).json()
    assert after["total"] == before["total"]


def test_invalid_polygon_and_wrong_parent_are_refused(client: TestClient, auth: Auth) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[116.5, 35.3], [116.6, 35.4], [116.6, 35.3], [116.5, 35.4], [116.5, 35.3]]
        ],
    }
    payload = {"code": "BAD001", "name": "坏网格", "level": "grid", "parent_code": "370811002001"}
    invalid = client.post(
        "/api/v1/regions", json={**payload, "geometry": bowtie}, headers=auth("admin")
    )
    assert invalid.status_code == 422
    assert invalid.json()["error"]["code"] == "invalid_geometry"
    wrong_level = client.post(
        "/api/v1/regions",
        json={**payload, "parent_code": "370811002", "geometry": bowtie},
        headers=auth("admin"),
    )
    assert wrong_level.json()["error"]["code"] == "invalid_parent_level"
    taken = client.post(
        "/api/v1/regions",
        json={**payload, "code": "370811002001001", "geometry": bowtie},
        headers=auth("admin"),
    )
    assert taken.status_code == 409


def test_non_admin_cannot_write(client: TestClient, auth: Auth) -> None:
    response = client.patch(
        "/api/v1/regions/370811002001001", json={"name": "改名"}, headers=auth("street_xuzhuang")
    )
    assert response.status_code == 403


def test_base_layers_draw_the_map(client: TestClient, auth: Auth) -> None:
    body = client.get("/api/v1/base-layers", headers=auth("leader")).json()
    kinds = {layer["kind"] for layer in body}
    assert {"lake", "road"} <= kinds
    assert any(layer["name"] == "太白湖" for layer in body)


def test_assign_and_remove_a_grid_worker(fresh: tuple[TestClient, Auth, Engine]) -> None:
    client, auth, _engine = fresh
    admin = auth("admin")
    users = client.get("/api/v1/users", params={"q": "gw_370811109001001"}, headers=admin).json()[
        "items"
    ]
    worker_id = users[0]["id"]
    url = "/api/v1/regions/370811109001002/workers"
    added = client.post(url, json={"user_id": worker_id, "duty": "兼职网格员"}, headers=admin)
    assert added.status_code == 201, added.text
    assert "gw_370811109001001" in [w["username"] for w in added.json()["workers"]]
    again = client.post(url, json={"user_id": worker_id}, headers=admin)
    assert again.status_code == 409
    not_grid = client.post(
        "/api/v1/regions/370811109001/workers", json={"user_id": worker_id}, headers=admin
    )
    assert not_grid.json()["error"]["code"] == "not_a_grid"
    leader_id = client.get("/api/v1/auth/me", headers=auth("leader")).json()["id"]
    not_worker = client.post(url, json={"user_id": leader_id}, headers=admin)
    assert not_worker.json()["error"]["code"] == "not_a_grid_worker"
    # The worker's scope now covers both grids.
    me = client.get("/api/v1/auth/me", headers=auth("gw_370811109001001")).json()
    assert set(me["scope"]["region_codes"]) == {"370811109001001", "370811109001002"}
    assert client.delete(f"{url}/{worker_id}", headers=admin).status_code == 204
    assert client.delete(f"{url}/{worker_id}", headers=admin).status_code == 404

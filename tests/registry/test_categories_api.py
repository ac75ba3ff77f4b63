"""Admin-defined resource categories and their records, validated against JSON Schema."""

from __future__ import annotations

from typing import Any

import shapely
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.conftest import Auth

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "capacity": {"type": "integer", "minimum": 0},
        "operator": {"type": "string"},
        "kind": {"enum": ["快充", "慢充"]},
    },
    "required": ["capacity", "kind"],
}


def test_demo_has_76_categories(client: TestClient, auth: Auth) -> None:
    categories = client.get("/api/v1/resource-categories", headers=auth("leader")).json()
    assert len(categories) == 76
    typed = [c for c in categories if c["typed_table"]]
    assert {c["typed_table"] for c in typed} >= {"persons", "buildings", "houses", "components"}


def test_define_a_category_and_validate_records(fresh: tuple[TestClient, Auth, Engine]) -> None:
    client, auth, _ = fresh
    admin = auth("admin")
    created = client.post(
        "/api/v1/resource-categories",
        json={
            "code": "ev_charger_test",
            "name": "测试充电桩",
            "group_name": "设施",
            "geometry_type": "point",
            "attribute_schema": SCHEMA,
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    broken_schema = client.post(
        "/api/v1/resource-categories",
        json={
            "code": "broken",
            "name": "坏类别",
            "group_name": "设施",
            "geometry_type": "point",
            "attribute_schema": {"type": "object", "properties": {"a": {"type": "nonsense"}}},
        },
        headers=admin,
    )
    assert broken_schema.json()["error"]["code"] == "invalid_attribute_schema"
    grid = client.get("/api/v1/regions/370811002001001", headers=admin).json()
    point = shapely.geometry.shape(grid["geometry"]).representative_point()
    url = "/api/v1/resource-categories/ev_charger_test/records"
    record = {
        "code": "EV-001",
        "name": "和都社区充电桩1号",
        "location": {"lon": point.x, "lat": point.y},
        "attributes": {"capacity": 4, "kind": "快充"},
    }
    worker = auth("gw_370811002001001")
    ok = client.post(url, json=record, headers=worker)
    assert ok.status_code == 201, ok.text
    assert ok.json()["grid_code"] == "370811002001001"
    invalid = client.post(
        url,
        json={**record, "code": "EV-002", "attributes": {"capacity": -1, "kind": "超充"}},
        headers=worker,
    )
    assert invalid.status_code == 422
    errors = invalid.json()["error"]["details"]["errors"]
    assert len(errors) == 2 and any("capacity" in e for e in errors)
    duplicate = client.post(url, json=record, headers=worker)
    assert duplicate.status_code == 409
    elsewhere = client.post(
        url, json={**record, "code": "EV-003"}, headers=auth("gw_370811002001002")
    )
    assert elsewhere.status_code == 403 and elsewhere.json()["error"]["code"] == "out_of_scope"
    outside = client.post(
        url,
        json={**record, "code": "EV-004", "location": {"lon": 118.0, "lat": 36.0}},
        headers=admin,
    )
    assert outside.json()["error"]["code"] == "outside_territory"
    listed = client.get(url, headers=auth("comm_370811002001")).json()
    assert [r["code"] for r in listed["items"]] == ["EV-001"]
    assert client.get(url, headers=auth("street_yutun")).json()["total"] == 0
    typed = client.get("/api/v1/resource-categories/persons/records", headers=admin)
    assert typed.status_code in (404, 422)

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gridgov.orgs import repository
from tests.conftest import Auth


def test_list_and_filter_departments(client: TestClient, auth: Auth) -> None:
    body = client.get(
        "/api/v1/organisations",
        params={"kind": "department", "page_size": 100},
        headers=auth("leader"),
    ).json()
    names = {o["name"] for o in body["items"]}
    assert "太白湖新区综合行政执法局" in names and "许庄派出所" in names
    assert all(o["kind_label"] == "区直部门" for o in body["items"])


def test_department_handler_sees_only_their_department(client: TestClient, auth: Auth) -> None:
    body = client.get("/api/v1/organisations", headers=auth("dept_cg")).json()
    assert [o["code"] for o in body["items"]] == ["dept-cg"]


def test_create_update_and_audit(fresh: tuple[TestClient, Auth, Engine]) -> None:
    client, auth, _ = fresh
    admin = auth("admin")
    created = client.post(
        "/api/v1/organisations",
        json={
            "code": "so-test",
            "name": "和都社区志愿者协会",
            "kind": "social_organisation",
            "region_code": "370811002001",
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    org_id = created.json()["id"]
    assert created.json()["region_code"] == "370811002001"
    renamed = client.patch(
        f"/api/v1/organisations/{org_id}", json={"phone": "0537-1234567"}, headers=admin
    )
    assert renamed.json()["phone"] == "0537-1234567"
    duplicate = client.post(
        "/api/v1/organisations",
        json={"code": "so-test", "name": "重复", "kind": "enterprise", "region_code": "370811"},
        headers=admin,
    )
    assert duplicate.status_code == 409
    community = client.get("/api/v1/organisations", headers=auth("comm_370811002001")).json()
    assert "so-test" in [o["code"] for o in community["items"]]
    audit = client.get(
        "/api/v1/audit", params={"object_type": "organisation"}, headers=admin
    ).json()
    assert {e["action"] for e in audit["items"]} == {"organisation.create", "organisation.update"}


def test_a_lost_race_on_a_unique_code_is_409_and_writes_nothing(
    fresh: tuple[TestClient, Auth, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, auth, _ = fresh
    # Pretend the other request inserted between our check and our insert.
    monkeypatch.setattr(repository, "code_exists", lambda session, code: False)
    response = client.post(
        "/api/v1/organisations",
        json={
            "code": "center",
            "name": "第二个中心",
            "kind": "command_center",
            "region_code": "370811",
        },
        headers=auth("admin"),
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    listed = client.get("/api/v1/organisations", params={"q": "第二个中心"}, headers=auth("admin"))
    assert listed.json()["total"] == 0

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.conftest import Auth


def test_street_staff_list_only_their_street(client: TestClient, auth: Auth) -> None:
    body = client.get(
        "/api/v1/users", params={"page_size": 500}, headers=auth("street_shiqiao")
    ).json()
    assert body["total"] == len(body["items"]) > 10
    assert all(
        any(code.startswith("370811109") for code in u["scope"]["region_codes"])
        for u in body["items"]
    )


def test_admin_creates_deactivates_and_resets(fresh: tuple[TestClient, Auth, Engine]) -> None:
    client, auth, _ = fresh
    admin = auth("admin")
    created = client.post(
        "/api/v1/users",
        json={
            "username": "new_comm",
            "display_name": "新社工",
            "password": "initial-pass-1",
            "role": "community_staff",
            "scope_region_code": "370811006002",
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["scope"]["region_code"] == "370811006002"
    login = {"username": "new_comm", "password": "initial-pass-1"}
    assert client.post("/api/v1/auth/login", json=login).status_code == 200
    taken = client.post(
        "/api/v1/users",
        json={**login, "display_name": "重名", "role": "citizen"},
        headers=admin,
    )
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "username_taken"
    missing_scope = client.post(
        "/api/v1/users",
        json={
            "username": "no_scope",
            "display_name": "无",
            "password": "x" * 10,
            "role": "street_staff",
        },
        headers=admin,
    )
    assert missing_scope.json()["error"]["code"] == "scope_region_required"
    off = client.patch(f"/api/v1/users/{user['id']}", json={"is_active": False}, headers=admin)
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert client.post("/api/v1/auth/login", json=login).status_code == 401
    client.patch(
        f"/api/v1/users/{user['id']}",
        json={"is_active": True, "password": "second-pass-2"},
        headers=admin,
    )
    assert client.post("/api/v1/auth/login", json=login).status_code == 401
    renewed = {"username": "new_comm", "password": "second-pass-2"}
    assert client.post("/api/v1/auth/login", json=renewed).status_code == 200
    me = client.get("/api/v1/auth/me", headers=admin).json()
    self_off = client.patch(f"/api/v1/users/{me['id']}", json={"is_active": False}, headers=admin)
    assert self_off.json()["error"]["code"] == "cannot_deactivate_self"


def test_short_password_is_refused(client: TestClient, auth: Auth) -> None:
    response = client.post(
        "/api/v1/users",
        json={"username": "shorty", "display_name": "短", "password": "short", "role": "citizen"},
        headers=auth("admin"),
    )
    assert response.status_code == 422

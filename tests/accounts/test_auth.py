from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gridgov.accounts import security
from gridgov.app import create_app
from gridgov.config import Settings
from tests.conftest import DEMO_PASSWORD, Auth, Databases, make_settings


def test_login_returns_bearer_token(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/login", json={"username": "operator", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == "operator"
    assert me.json()["role"] == "center_operator"
    assert me.json()["scope"]["region_code"] == "370811"


def test_wrong_password_is_401_with_code(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/login", json={"username": "leader", "password": "wrong-password"}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_missing_fields_are_422_with_code(client: TestClient) -> None:
    response = client.post("/api/v1/auth/login", json={"username": "leader"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


@pytest.mark.parametrize(
    "header", ["Bearer not-a-token", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"]
)
def test_bad_token_is_401(client: TestClient, header: str) -> None:
    response = client.get("/api/v1/auth/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_no_credentials_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/regions")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_repeated_failures_are_throttled(
    databases: Databases, tmp_path: Path, demo_engine: Engine
) -> None:
    # Its own app over the shared demo database, with a tiny limit, under its own username.
    settings = make_settings(
        tmp_path, str(demo_engine.url.render_as_string(hide_password=False)), login_max_failures=3
    )
    with TestClient(create_app(settings, demo_engine)) as client:
        for _ in range(3):
            bad = client.post(
                "/api/v1/auth/login", json={"username": "citizen2", "password": "nope-nope"}
            )
            assert bad.status_code == 401
        blocked = client.post(
            "/api/v1/auth/login", json={"username": "citizen2", "password": DEMO_PASSWORD}
        )
        assert blocked.status_code == 429
        assert blocked.json()["error"]["code"] == "too_many_login_attempts"
        assert int(blocked.headers["Retry-After"]) > 0


def test_role_without_permission_gets_403(client: TestClient, auth: Auth) -> None:
    response = client.get("/api/v1/users", headers=auth("citizen1"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def test_page_login_uses_cookie_session_with_csrf(
    demo_settings: Settings, demo_engine: Engine
) -> None:
    with TestClient(create_app(demo_settings, demo_engine)) as browser:
        page = browser.get("/login")
        assert page.status_code == 200
        token = _csrf(page.text)
        refused = browser.post(
            "/login",
            data={"username": "leader", "password": DEMO_PASSWORD, "csrf_token": "forged"},
        )
        assert refused.status_code == 403
        done = browser.post(
            "/login",
            data={"username": "leader", "password": DEMO_PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert done.status_code == 303
        home = browser.get("/")
        assert "领导" in home.text and "太白湖新区" in home.text
        # Cookie-authenticated API writes need the CSRF header too.
        me = browser.get("/api/v1/auth/me")
        assert me.status_code == 200
        write = browser.patch("/api/v1/regions/370811", json={"name": "x"})
        assert write.status_code == 403
        assert write.json()["error"]["code"] == "csrf_failed"
        logout = browser.post(
            "/logout", data={"csrf_token": _csrf(home.text)}, follow_redirects=False
        )
        assert logout.status_code == 303
        assert browser.get("/api/v1/auth/me").status_code == 401


def test_pages_redirect_to_login_when_anonymous(client: TestClient) -> None:
    response = client.get("/regions", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_login_next_is_never_an_open_redirect(demo_settings: Settings, demo_engine: Engine) -> None:
    with TestClient(create_app(demo_settings, demo_engine)) as browser:
        token = _csrf(browser.get("/login").text)
        done = browser.post(
            "/login",
            data={
                "username": "leader",
                "password": DEMO_PASSWORD,
                "csrf_token": token,
                "next": "//evil.example/",
            },
            follow_redirects=False,
        )
        assert done.headers["location"] == "/"


def test_a_token_read_before_is_still_refused_once_expired(monkeypatch: pytest.MonkeyPatch) -> None:
    # The signature is checked once per process; the times are checked on every read.
    secret = "a-secret-for-this-test-only-0123456789abcdef"
    token = security.issue_token(42, secret, minutes=1)
    assert security.read_token(token, secret) == 42
    assert security.read_token(token, secret + "x") is None  # another key: not ours
    assert security.read_token(token[:-2] + "xx", secret) is None  # a forged signature
    later, earlier = time.time() + 61, time.time() - 3600
    monkeypatch.setattr(time, "time", lambda: later)
    assert security.read_token(token, secret) is None
    monkeypatch.setattr(time, "time", lambda: earlier)
    assert security.read_token(token, secret) is None  # not issued yet

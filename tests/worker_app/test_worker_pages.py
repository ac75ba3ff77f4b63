"""The worker app's own routes: the shell, the manifest, the service worker and the session,
who may use the app, and the category suggestions the report form offers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import DEMO_PASSWORD
from tests.worker_app.conftest import WORKER, Fresh


def signed_in(client: TestClient, username: str) -> TestClient:
    """A page session (cookie), as the app has after the login form."""
    client.cookies.clear()
    form = client.get("/m/worker/session").json()
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": DEMO_PASSWORD,
            "csrf_token": form["csrf_token"],
            "next": "/m/worker/",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/m/worker/"
    return client


def test_the_shell_manifest_and_service_worker_are_served_with_their_types(
    worker_district: Fresh,
) -> None:
    client, _, _ = worker_district
    client.cookies.clear()
    shell = client.get("/m/worker/")
    assert shell.status_code == 200
    assert shell.headers["content-type"].startswith("text/html")
    assert 'rel="manifest" href="/m/worker/manifest.webmanifest"' in shell.text
    assert "frame-ancestors 'none'" in shell.headers["content-security-policy"]
    # A shell with nothing of the session in it (no token, no account): the service worker
    # may keep it and show it to whoever opens the app offline.
    signed_in(client, WORKER)
    own = client.get("/m/worker/")
    assert own.status_code == 200
    token = client.get("/m/worker/session").json()["csrf_token"]
    assert token not in own.text and WORKER not in own.text
    assert own.text == shell.text
    client.cookies.clear()

    manifest = client.get("/m/worker/manifest.webmanifest")
    assert manifest.status_code == 200
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert (body["start_url"], body["scope"], body["display"]) == (
        "/m/worker/",
        "/m/worker/",
        "standalone",
    )
    icon = client.get(body["icons"][0]["src"])
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")

    worker = client.get("/m/worker/sw.js")
    assert worker.status_code == 200
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["cache-control"] == "no-cache"
    # Everything the service worker keeps exists.
    for path in ("/static/worker.js", "/static/worker.css", "/static/js/worker-outbox.js"):
        assert path in worker.text
        assert client.get(path).status_code == 200, path

    assert client.get("/m/worker", follow_redirects=False).headers["location"] == "/m/worker/"


def test_the_session_tells_the_app_who_is_signed_in(worker_district: Fresh) -> None:
    client, _, _ = worker_district
    client.cookies.clear()
    anonymous = client.get("/m/worker/session")
    assert anonymous.status_code == 200
    assert anonymous.headers["cache-control"] == "no-store"
    assert anonymous.json()["user"] is None and anonymous.json()["allowed"] is False

    signed_in(client, WORKER)
    session = client.get("/m/worker/session").json()
    assert session["allowed"] is True
    assert session["user"]["username"] == WORKER
    assert session["user"]["grid_codes"] == ["370811002001001"]
    assert "patrol.report" in session["user"]["permissions"]
    # The token it hands out is the one writes by the page session must carry.
    body = {"on_duty": True}
    refused = client.post("/api/v1/workers/me/duty", json=body)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    accepted = client.post(
        "/api/v1/workers/me/duty", json=body, headers={"X-CSRF-Token": session["csrf_token"]}
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["checked_in"] is True
    client.cookies.clear()


def test_accounts_that_do_not_patrol_are_turned_away_clearly(worker_district: Fresh) -> None:
    client, _, _ = worker_district
    for username in ("operator", "street_xuzhuang", "dept_cg"):
        signed_in(client, username)
        page = client.get("/m/worker/", headers={"Accept": "text/html"})
        assert page.status_code == 403, username
        assert "网格员助手仅供网格员账号使用" in page.text
        session = client.get("/m/worker/session").json()
        assert session["allowed"] is False
        assert "仅供网格员" in session["message"]
    client.cookies.clear()


def test_category_suggestions_rank_the_likely_categories(worker_district: Fresh) -> None:
    client, auth, _ = worker_district
    worker = auth(WORKER)
    categories = {
        c["code"]: c for c in client.get("/api/v1/event-categories", headers=worker).json()
    }
    response = client.get(
        "/api/v1/events/classify-suggestions",
        params={"title": "井盖破损", "description": "人行道上的井盖缺失，行人容易踩空"},
        headers=worker,
    )
    assert response.status_code == 200, response.text
    suggestions = response.json()
    assert 1 <= len(suggestions) <= 3
    best = suggestions[0]
    assert "井盖" in best["name"]
    assert categories[best["code"]]["parent_code"] == best["parent_code"] is not None
    confidences = [s["confidence"] for s in suggestions]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0 < c <= 1 for c in confidences)

    nothing = client.get("/api/v1/events/classify-suggestions", headers=worker)
    assert nothing.status_code == 200 and nothing.json() == []

    # Only those who may report get suggestions.
    leader = client.get(
        "/api/v1/events/classify-suggestions", params={"title": "井盖破损"}, headers=auth("leader")
    )
    assert leader.status_code == 403

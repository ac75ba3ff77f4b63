"""Saved views (专题): create, read, change, delete; who sees which; what is refused."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.audit.models import AuditEntry
from tests.conftest import Auth
from tests.reports.conftest import NANZHANG, XUZHUANG, XUZHUANG_COMMUNITY

STREET_STAFF = "street_xuzhuang"
OTHER_STREET_STAFF = "street_nanzhang"
COMMUNITY_STAFF = f"comm_{XUZHUANG_COMMUNITY}"


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def _create(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/analytics/views", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_view_is_created_read_changed_and_deleted_with_audit(
    client: TestClient, auth: Auth, db: Session
) -> None:
    staff = auth(STREET_STAFF)
    name = _name("上月热线")
    view = _create(
        client,
        staff,
        name=name,
        region_code=XUZHUANG,
        preset="last_month",
        source="hotline",
        panels=["kpis", "trend"],
        indicators=["closure_rate", "on_time_rate"],
    )
    assert view["region_name"] == "许庄街道" and view["mine"] and not view["shared"]
    assert view["preset_label"] == "上月" and view["period_start"].endswith("-01")
    assert view["page_url"].startswith("/analytics?region_code=370811002&start=")
    assert "source=hotline" in view["page_url"]
    listed = client.get("/api/v1/analytics/views", headers=staff).json()
    assert view["id"] in [v["id"] for v in listed]
    got = client.get(f"/api/v1/analytics/views/{view['id']}", headers=staff).json()
    assert got["name"] == name and got["indicators"] == ["closure_rate", "on_time_rate"]

    changed = client.patch(
        f"/api/v1/analytics/views/{view['id']}",
        json={
            "name": name + "（固定）",
            "start": "2026-01-01",
            "end": "2026-03-31",
            "shared": True,
        },
        headers=staff,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["preset"] is None and body["start"] == "2026-01-01" and body["shared"]
    assert body["period_end"] == "2026-03-31" and body["source"] == "hotline"

    gone = client.delete(f"/api/v1/analytics/views/{view['id']}", headers=staff)
    assert gone.status_code == 204
    missing = client.get(f"/api/v1/analytics/views/{view['id']}", headers=staff)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "view_not_found"
    actions = db.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.object_type == "analytics_view", AuditEntry.object_id == str(view["id"]))
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["analytics.view_create", "analytics.view_update", "analytics.view_delete"]


def test_shared_views_are_seen_inside_their_region_only(client: TestClient, auth: Auth) -> None:
    staff = auth(STREET_STAFF)
    street_shared = _create(
        client, staff, name=_name("街道共享"), region_code=XUZHUANG, shared=True
    )
    private = _create(client, staff, name=_name("街道私有"), region_code=XUZHUANG)
    community_shared = _create(
        client, staff, name=_name("社区共享"), region_code=XUZHUANG_COMMUNITY, shared=True
    )

    def visible(username: str) -> set[int]:
        rows = client.get("/api/v1/analytics/views", headers=auth(username)).json()
        return {v["id"] for v in rows}

    mine = visible(STREET_STAFF)
    assert {street_shared["id"], private["id"], community_shared["id"]} <= mine
    # The district's leader: the street's shared views, never someone's private one.
    leader = visible("leader")
    assert {street_shared["id"], community_shared["id"]} <= leader
    assert private["id"] not in leader
    # The community's staff: the view of their community, not the street's (wider than theirs).
    community = visible(COMMUNITY_STAFF)
    assert community_shared["id"] in community
    assert street_shared["id"] not in community and private["id"] not in community
    # Another street: nothing, not even by id.
    assert not visible(OTHER_STREET_STAFF) & mine
    for view in (street_shared, private, community_shared):
        other = client.get(
            f"/api/v1/analytics/views/{view['id']}", headers=auth(OTHER_STREET_STAFF)
        )
        assert other.status_code == 404
    # Only the owner changes a shared view.
    refused = client.patch(
        f"/api/v1/analytics/views/{community_shared['id']}",
        json={"name": "改名"},
        headers=auth(COMMUNITY_STAFF),
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_view_owner"
    refused = client.delete(
        f"/api/v1/analytics/views/{street_shared['id']}", headers=auth("leader")
    )
    assert refused.status_code == 403
    assert (
        client.get(f"/api/v1/analytics/views/{street_shared['id']}", headers=staff).json()["name"]
        == street_shared["name"]
    )


def test_bad_views_are_refused_with_a_code(client: TestClient, auth: Auth) -> None:
    staff = auth(STREET_STAFF)
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"preset": "fortnight"}, 422, "bad_preset"),
        ({"preset": "month", "start": "2026-01-01", "end": "2026-01-31"}, 422, "bad_period"),
        ({"start": "2026-01-01"}, 422, "bad_period"),
        ({"start": "2026-02-01", "end": "2026-01-01"}, 422, "bad_period"),
        ({"category_code": "nope"}, 422, "bad_category"),
        ({"source": "pigeon"}, 422, "bad_source"),
        ({"panels": ["kpis", "horoscope"]}, 422, "bad_panel"),
        ({"indicators": ["closure_rate", "luck"]}, 422, "bad_indicator"),
        ({"department_id": 999_999}, 422, "bad_department"),
        ({"name": "   "}, 422, "bad_name"),
    ]
    for extra, status, code in cases:
        body = {"name": _name("坏专题"), "region_code": XUZHUANG, **extra}
        response = client.post("/api/v1/analytics/views", json=body, headers=staff)
        assert response.status_code == status, (extra, response.text)
        assert response.json()["error"]["code"] == code, extra
    foreign = client.post(
        "/api/v1/analytics/views",
        json={"name": _name("别的街道"), "region_code": NANZHANG},
        headers=staff,
    )
    assert foreign.status_code in (403, 404)
    name = _name("同名")
    _create(client, staff, name=name, region_code=XUZHUANG)
    twice = client.post(
        "/api/v1/analytics/views", json={"name": name, "region_code": XUZHUANG}, headers=staff
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "view_name_taken"
    # A view without a region is the account's own area.
    own = _create(client, staff, name=_name("本级"))
    assert own["region_code"] == XUZHUANG
    citizen = client.post(
        "/api/v1/analytics/views", json={"name": "我的"}, headers=auth("citizen1")
    )
    assert citizen.status_code == 403
    assert client.get("/api/v1/analytics/views", headers=auth("citizen1")).status_code == 403
    assert client.get("/api/v1/analytics/views").status_code == 401

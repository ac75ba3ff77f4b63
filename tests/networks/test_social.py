"""Social participants (社会组织, 企业): they report events and see their own cases, inside their
organisation's region, and nothing else. Task completion waits for the tasks feature (#7)."""

from __future__ import annotations

import shapely
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.events.models import Event
from gridgov.kit.geojson import loads
from gridgov.regions.models import Region
from tests.conftest import Auth

SOCIAL = "social_xuzhuang"
OWN_GRID = "370811002001001"  # 许庄街道
FOREIGN_GRID = "370811006001001"  # 南张街道


def _point(db: Session, code: str) -> dict[str, float]:
    geometry = db.scalars(select(Region.geometry).where(Region.code == code)).one()
    point = shapely.Polygon(loads(geometry)).representative_point()
    return {"lon": point.x, "lat": point.y}


def _report(client: TestClient, auth: Auth, who: str, where: dict[str, float]) -> object:
    return client.post(
        "/api/v1/events",
        json={
            "title": "小区消防通道被杂物堵塞",
            "description": "志愿者巡查发现",
            "category_code": "0401",
            "location": where,
            "source": "citizen",
        },
        headers=auth(who),
    )


def test_social_org_reports_and_reads_only_its_own_cases(
    client: TestClient, auth: Auth, db: Session
) -> None:
    me = client.get("/api/v1/auth/me", headers=auth(SOCIAL))
    assert me.status_code == 200 and me.json()["role"] == "social_org"
    reported = _report(client, auth, SOCIAL, _point(db, OWN_GRID))
    assert reported.status_code == 201, reported.text  # type: ignore[attr-defined]
    event_id = reported.json()["id"]  # type: ignore[attr-defined]
    own = client.get(f"/api/v1/events/{event_id}", headers=auth(SOCIAL))
    assert own.status_code == 200 and own.json()["title"] == "小区消防通道被杂物堵塞"
    listed = client.get("/api/v1/events", headers=auth(SOCIAL)).json()
    assert [e["id"] for e in listed["items"]] == [event_id]
    # A case of the same street reported by someone else: not theirs.
    other = db.scalars(
        select(Event.id)
        .where(Event.region_path.startswith("370811/370811002/"), Event.id != event_id)
        .limit(1)
    ).one()
    assert client.get(f"/api/v1/events/{other}", headers=auth(SOCIAL)).status_code == 404
    # Outside their organisation's region they may not report.
    outside = _report(client, auth, SOCIAL, _point(db, FOREIGN_GRID))
    assert outside.status_code == 403  # type: ignore[attr-defined]


def test_social_accounts_see_nothing_else(client: TestClient, auth: Auth) -> None:
    for who in (SOCIAL, "ent_power"):
        headers = auth(who)
        for path in (
            "/api/v1/regions",
            "/api/v1/persons",
            "/api/v1/networks",
            f"/api/v1/grids/{OWN_GRID}/roster",
            "/api/v1/users",
            "/api/v1/audit",
        ):
            response = client.get(path, headers=headers)
            assert response.status_code in (403, 404), (who, path, response.status_code)


def test_an_enterprise_reports_anywhere_in_the_district_and_reads_its_own(
    client: TestClient, auth: Auth, db: Session
) -> None:
    reported = _report(client, auth, "ent_power", _point(db, FOREIGN_GRID))
    assert reported.status_code == 201, reported.text  # type: ignore[attr-defined]
    mine = client.get("/api/v1/events", headers=auth("ent_power")).json()
    assert [e["id"] for e in mine["items"]] == [reported.json()["id"]]  # type: ignore[attr-defined]
    assert client.get("/api/v1/events", headers=auth(SOCIAL)).json()["total"] >= 0


def test_social_accounts_need_an_organisation(client: TestClient, auth: Auth) -> None:
    response = client.post(
        "/api/v1/users",
        json={
            "username": "social_without_org",
            "display_name": "无组织",
            "password": "Social-pass-1234",
            "role": "social_org",
        },
        headers=auth("admin"),
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "organisation_required"

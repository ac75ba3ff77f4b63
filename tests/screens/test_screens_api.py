"""The big screens' payloads on the demo district: every panel of every screen has data for
the district's leader, a number opens the list it counts, and each reader sees their own area
only."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gridgov import jobs
from gridgov.analytics.services import today
from gridgov.screens.services import SCREENS
from tests.conftest import Auth

FOREIGN_STREET = "370811006"  # 南张街道, not 许庄
OWN_STREET_USER = "street_xuzhuang"
MAY_BE_EMPTY = {"overdue", "m_overdue", "sla_risk", "alerts"}


def _period() -> dict[str, str]:
    # The demo's cases are of the last weeks; a quarter covers them whatever the day.
    end = today()
    return {"start": (end - timedelta(days=89)).isoformat(), "end": end.isoformat()}


def _screen(client: TestClient, auth: Auth, name: str, user: str = "leader", **params: Any) -> Any:
    response = client.get(
        f"/api/v1/screens/{name}", headers=auth(user), params={**_period(), **params}
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("name", list(SCREENS))
def test_every_panel_of_every_screen_has_data(client: TestClient, auth: Auth, name: str) -> None:
    body = _screen(client, auth, name)
    assert body["title"] == SCREENS[name]
    assert body["region"]["level"] == "district" and body["region"]["children"]
    # Lists of problems may rightly be empty (no overdue case today); everything else not.
    empty = [p["id"] for p in body["panels"] if not p["has_data"] and p["id"] not in MAY_BE_EMPTY]
    assert empty == [], f"{name}: panels without data: {empty}"
    assert len(body["panels"]) >= 5
    # The map colours the children of the district (streets) or marks points on them.
    assert body["map"]["region_values"] or body["map"]["points"] or body["map"]["heat_days"]


def test_a_number_opens_the_list_behind_it(
    client: TestClient, auth: Auth, demo_engine: Engine
) -> None:
    # The screens read the rollups; other tests' new cases reach them with the next run.
    jobs.analytics_rollup(demo_engine)
    body = _screen(client, auth, "events")
    totals = next(p for p in body["panels"] if p["id"] == "totals")
    reported = next(i for i in totals["items"] if i["name"] == "上报")
    assert reported["value"] > 0 and reported["link"].startswith("/analytics/cases?")
    page = client.get(reported["link"], headers=auth("leader"))
    assert page.status_code == 200
    found = re.search(r"共 ([\d,]+) 件", page.text)
    assert found is not None and int(found.group(1).replace(",", "")) == reported["value"]


def test_drill_down_to_a_street_and_its_communities(client: TestClient, auth: Auth) -> None:
    district = _screen(client, auth, "events")
    street = district["region"]["children"][0]
    body = _screen(client, auth, "events", region_code=street["code"])
    assert body["region"]["code"] == street["code"]
    assert [r["code"] for r in body["region"]["breadcrumb"]][-1] == street["code"]
    assert {c["level"] for c in body["region"]["children"]} == {"community"}
    assert set(body["map"]["region_values"]) <= {c["code"] for c in body["region"]["children"]}

    # A street's reports are part of the district's.
    def reported(b: Any) -> float:
        totals = next(p for p in b["panels"] if p["id"] == "totals")
        return float(next(i["value"] for i in totals["items"] if i["name"] == "上报"))

    assert 0 < reported(body) <= reported(district)


def test_street_staff_see_their_street_only(client: TestClient, auth: Auth) -> None:
    own = _screen(client, auth, "events", user=OWN_STREET_USER)
    assert own["region"]["level"] == "street"
    path = own["region"]["path"]
    ticker = next(p for p in own["panels"] if p["id"] == "ticker")
    for row in ticker["rows"]:
        event_id = row[1]["link"].rsplit("/", 1)[-1]
        event = client.get(f"/api/v1/events/{event_id}", headers=auth(OWN_STREET_USER))
        # The events API answers 404 outside the reader's area: 200 means inside their street.
        assert event.status_code == 200, path
    foreign = client.get(
        "/api/v1/screens/events",
        headers=auth(OWN_STREET_USER),
        params={"region_code": FOREIGN_STREET},
    )
    assert foreign.status_code == 404
    assert foreign.json()["error"]["code"] == "region_not_found"


def test_who_may_not_look(client: TestClient, auth: Auth) -> None:
    citizen = client.get("/api/v1/screens/events", headers=auth("citizen1"))
    assert citizen.status_code == 403
    assert citizen.json()["error"]["code"] == "analytics_not_available"
    unknown = client.get("/api/v1/screens/nothing", headers=auth("leader"))
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "screen_not_found"
    assert client.get("/api/v1/screens/events").status_code == 401
    listed = client.get("/api/v1/screens", headers=auth("leader")).json()
    assert [s["code"] for s in listed] == list(SCREENS)


def test_the_pages(client: TestClient, auth: Auth) -> None:
    index = client.get("/screens", headers=auth("leader"))
    assert index.status_code == 200
    for name, title in SCREENS.items():
        assert f"/screens/{name}" in index.text
        page = client.get(f"/screens/{name}?preset=month", headers=auth("leader"))
        assert page.status_code == 200 and title in page.text
    foreign = client.get(
        f"/screens/events?region_code={FOREIGN_STREET}", headers=auth(OWN_STREET_USER)
    )
    assert foreign.status_code == 404

"""一格多员 reaches routing: the recommendation for a case names the departmental network unit
that covers the case's grid for its category (the demo's police beats answer for 违停)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gridgov.networks import services as networks
from tests.conftest import Auth
from tests.events.test_api import _inside

GRID = "370811002001001"


def test_the_recommendation_names_the_unit_covering_the_grid(
    client: TestClient, auth: Auth, demo_engine: Engine
) -> None:
    body = {
        "title": "路口违章停车",
        "description": "私家车长期违停堵住出入口",
        "category_code": "0202",
        "source": "grid_worker",
        "location": _inside(client, auth, GRID),
    }
    created = client.post("/api/v1/events", json=body, headers=auth(f"gw_{GRID}"))
    assert created.status_code == 201, created.text
    event = created.json()
    advice = client.get(f"/api/v1/events/{event['id']}/routing", headers=auth("operator"))
    assert advice.status_code == 200, advice.text
    with Session(demo_engine) as session:
        expected = networks.responsible_unit(session, event["grid_code"], "police")
    assert expected is not None
    unit = advice.json()["responsible_unit"]
    assert unit.startswith("公安警格：") and expected.unit_code in unit
    if expected.officer_phone_masked:
        assert expected.officer_phone_masked in unit
    # A category no network answers for names no unit.
    body.update(title="学校门口入学咨询", category_code="0602", description="入学政策咨询")
    other = client.post("/api/v1/events", json=body, headers=auth(f"gw_{GRID}")).json()
    advice = client.get(f"/api/v1/events/{other['id']}/routing", headers=auth("operator"))
    assert advice.json()["responsible_unit"] is None

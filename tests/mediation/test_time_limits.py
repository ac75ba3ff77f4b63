"""Time limits with a controlled clock: the mediators are warned before the limit; past it the
dispute goes up one mediation level (community → street → district) with a limit of its own;
at the district it stays, told once. The limit is a setting."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gridgov.config import get_settings
from gridgov.jobs import mediation_scan
from gridgov.mediation.models import Dispute
from gridgov.mediation.services import scan_deadlines
from tests.conftest import Auth
from tests.mediation.conftest import Fresh

COMMUNITY = "370811002001"
STREET = "370811002"


def grid_of(client: TestClient, auth: Auth) -> str:
    found = client.get(
        "/api/v1/regions",
        params={"level": "grid", "parent_code": COMMUNITY},
        headers=auth(f"comm_{COMMUNITY}"),
    ).json()
    return str(found["items"][0]["code"])


def register(client: TestClient, auth: Auth, **overrides: Any) -> dict[str, Any]:
    body = {
        "dispute_type": "labour",
        "title": "拖欠工资纠纷",
        "grid_code": grid_of(client, auth),
        "parties": [
            {"name": "钱打工", "phone": "13700001111"},
            {"name": "某劳务公司", "role": "respondent"},
        ],
        **overrides,
    }
    response = client.post("/api/v1/disputes", json=body, headers=auth(f"comm_{COMMUNITY}"))
    assert response.status_code == 201, response.text
    return dict(response.json())


def scan(engine: Engine) -> Any:
    with Session(engine) as session:
        report = scan_deadlines(session)
        session.commit()
    return report


def inbox(client: TestClient, headers: dict[str, str], dispute_id: int) -> list[str]:
    found = client.get("/api/v1/notifications", params={"page_size": 200}, headers=headers).json()
    return [n["kind"] for n in found["items"] if n["link"] == f"/disputes/{dispute_id}"]


def test_warning_then_escalation_up_to_the_district(
    fresh_mediation: Fresh, frozen: list[datetime]
) -> None:
    client, auth, engine = fresh_mediation
    community, street = auth(f"comm_{COMMUNITY}"), auth("street_xuzhuang")
    dispute = register(client, auth)
    with Session(engine) as session:
        stored = session.get_one(Dispute, dispute["id"])
        created, deadline, warn_at = stored.created_at, stored.deadline_at, stored.warn_at
    assert deadline - created == timedelta(days=30)
    assert deadline - warn_at == timedelta(days=5)

    frozen.append(warn_at + timedelta(minutes=1))
    first = scan(engine)
    assert first.warned >= 1
    assert inbox(client, community, dispute["id"]) == ["dispute_warning"]
    assert scan(engine).warned == 0  # told once

    frozen.append(deadline + timedelta(minutes=1))
    second = scan(engine)
    assert second.overdue >= 1 and second.escalated >= 1
    after = client.get(f"/api/v1/disputes/{dispute['id']}", headers=street).json()
    assert after["level"] == "street"
    assert after["organisation"].endswith("人民调解委员会")
    step = after["timeline"][-1]
    assert step["action"] == "escalate" and step["actor_username"] == "mediation-sla"
    assert step["data"]["from_level"] == "community" and step["data"]["to_level"] == "street"
    assert "dispute_overdue" in inbox(client, community, dispute["id"])
    assert "dispute_escalated" in inbox(client, street, dispute["id"])
    # The street committee has a limit of its own; the community follows but no longer acts.
    with Session(engine) as session:
        stored = session.get_one(Dispute, dispute["id"])
        assert stored.deadline_at == frozen[-1] + timedelta(days=30)
        second_deadline = stored.deadline_at
    assert (
        client.get(f"/api/v1/disputes/{dispute['id']}", headers=community).json()["actions"] == []
    )
    refused = client.post(
        f"/api/v1/disputes/{dispute['id']}/actions/accept",
        json={"version": after["version"]},
        headers=community,
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_mediating_level"
    assert "accept" in [a["action"] for a in after["actions"]]

    frozen.append(second_deadline + timedelta(minutes=1))
    scan(engine)
    top = client.get(f"/api/v1/disputes/{dispute['id']}", headers=auth("admin")).json()
    assert top["level"] == "district" and top["organisation_id"] is not None
    assert top["organisation"].endswith("人民调解委员会")
    with Session(engine) as session:
        third_deadline = session.get_one(Dispute, dispute["id"]).deadline_at

    frozen.append(third_deadline + timedelta(minutes=1))
    scan(engine)
    final = client.get(f"/api/v1/disputes/{dispute['id']}", headers=auth("admin")).json()
    assert final["level"] == "district" and final["overdue"] is True
    assert [s["action"] for s in final["timeline"]].count("escalate") == 2
    again = scan(engine)
    assert again.escalated == 0 and again.overdue == 0


def test_outcome_stops_the_clock(fresh_mediation: Fresh, frozen: list[datetime]) -> None:
    client, auth, engine = fresh_mediation
    headers = auth(f"comm_{COMMUNITY}")
    dispute = register(client, auth)
    for action, fields in (
        ("accept", {}),
        ("session", {"session_date": "2026-01-05", "participants": ["甲"], "comment": "调解"}),
        ("agree", {"terms": "一次性支付工资9600元"}),
    ):
        dispute = client.post(
            f"/api/v1/disputes/{dispute['id']}/actions/{action}",
            json={"version": dispute["version"], **fields},
            headers=headers,
        ).json()
    assert dispute["status"] == "agreed"
    frozen.append(frozen[0] + timedelta(days=90))
    scan(engine)
    after = client.get(f"/api/v1/disputes/{dispute['id']}", headers=headers).json()
    assert after["level"] == "community" and after["overdue"] is False
    assert "dispute_overdue" not in inbox(client, headers, dispute["id"])


def test_manual_escalation_and_the_top(fresh_mediation: Fresh) -> None:
    client, auth, _ = fresh_mediation
    dispute = register(client, auth, level="street")
    assert dispute["level"] == "street"
    up = client.post(
        f"/api/v1/disputes/{dispute['id']}/actions/escalate",
        json={"version": dispute["version"], "comment": "涉及人数多，提交区调委会"},
        headers=auth("street_xuzhuang"),
    ).json()
    assert up["level"] == "district" and up["organisation"]
    assert "escalate" not in [a["action"] for a in up["actions"]]
    refused = client.post(
        f"/api/v1/disputes/{dispute['id']}/actions/escalate",
        json={"version": up["version"], "comment": "再提级"},
        headers=auth("admin"),
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "already_top_level"


@pytest.fixture
def ten_days(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GRIDGOV_MEDIATION_DAYS", "10")
    monkeypatch.setenv("GRIDGOV_MEDIATION_WARNING_DAYS", "2")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_the_time_limit_is_a_setting(fresh_mediation: Fresh, ten_days: None) -> None:
    client, auth, engine = fresh_mediation
    dispute = register(client, auth)
    with Session(engine) as session:
        stored = session.get_one(Dispute, dispute["id"])
        assert stored.deadline_at - stored.created_at == timedelta(days=10)
        assert stored.deadline_at - stored.warn_at == timedelta(days=2)


def test_the_job_runs_the_scan(fresh_mediation: Fresh) -> None:
    _, _, engine = fresh_mediation
    report = mediation_scan(engine)
    assert report.overdue >= 0 and mediation_scan(engine).escalated == 0

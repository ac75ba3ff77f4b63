"""Frozen months: read from the snapshot and never recomputed, so a later change of a case
does not move them, while the live figure of the same month does; freezing is idempotent;
editing a scheme with snapshots makes a new version and the snapshot keeps the old one; the
monthly job freezes last month."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from gridgov import jobs
from gridgov.accounts.actor import Actor
from gridgov.analytics import services as analytics
from gridgov.assessment import services
from gridgov.events.models import Event
from gridgov.kit.clock import now
from tests.assessment.conftest import Fresh


def _board(client: TestClient, headers: dict[str, str], **params: str) -> dict[str, Any]:
    response = client.get("/api/v1/assessment/scores", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _reopen_cases_due_in(engine: Engine, month_first: object, street_path: str) -> list[int]:
    """Clear the closing of the month's closed, due cases in one street (as a reopen would),
    and bring the rollups up to date."""
    first = services.previous_month()
    start, end = services._bounds(first, services.next_month(first) - timedelta(days=1))
    with Session(engine) as session:
        ids = list(
            session.scalars(
                select(Event.id).where(
                    Event.deadline_at >= start,
                    Event.deadline_at < end,
                    Event.closed_at.is_not(None),
                    Event.status != "voided",
                    Event.region_path.startswith(street_path),
                )
            )
        )
        session.execute(
            update(Event)
            .where(Event.id.in_(ids))
            .values(closed_at=None, status="handling", updated_at=now())
        )
        analytics.rollup_incremental(session, actor=Actor.system("test"))
        session.commit()
    return ids


def test_frozen_month_is_not_recomputed_after_a_case_changes(assessed_district: Fresh) -> None:
    client, auth, engine = assessed_district
    leader = auth("leader")
    month = f"{services.previous_month():%Y-%m}"
    frozen = _board(client, leader, scheme="street_monthly", month=month)
    assert frozen["frozen"] is True and frozen["frozen_at"]
    before = {r["target_key"]: r for r in frozen["rows"]}
    street = "370811002"
    changed = _reopen_cases_due_in(engine, month, f"370811/{street}/")
    assert changed
    after = _board(client, leader, scheme="street_monthly", month=month)
    assert after["rows"] == frozen["rows"]
    # Computed live, the same month now has a lower 结案率 for that street.
    with Session(engine) as session:
        scheme = services._scheme_for(session, "street_monthly", None)
        rows, *_ = services.compute(
            session, scheme, services.previous_month(), actor=Actor.system("test")
        )
    live = {r.target_key: r for r in rows}
    closure = before[street]["parts"][0]
    assert closure["indicator"] == "closure_rate"
    assert live[street].parts[0].value is not None
    assert live[street].parts[0].numerator == closure["numerator"] - len(changed)
    assert live[street].parts[0].value < closure["value"]


def test_freezing_is_idempotent_and_only_for_finished_months(assessed_district: Fresh) -> None:
    client, auth, _ = assessed_district
    admin = auth("admin")
    month = f"{services.previous_month():%Y-%m}"
    again = client.post(
        "/api/v1/assessment/snapshots", json={"scheme": "grid_monthly", "month": month},
        headers=admin,
    )  # fmt: skip
    assert again.status_code == 200, again.text
    assert again.json()["created"] is False
    listed = client.get("/api/v1/assessment/snapshots", params={"scheme": "grid_monthly"},
                        headers=admin).json()  # fmt: skip
    assert [s["month"] for s in listed].count(month) == 1
    current = client.post(
        "/api/v1/assessment/snapshots",
        json={"scheme": "grid_monthly", "month": f"{services.this_month():%Y-%m}"},
        headers=admin,
    )
    assert current.status_code == 422
    assert current.json()["error"]["code"] == "month_not_over"


def test_editing_a_frozen_scheme_makes_a_new_version(assessed_district: Fresh) -> None:
    client, auth, _ = assessed_district
    admin = auth("admin")
    versions = client.get("/api/v1/assessment/schemes/department_monthly", headers=admin).json()
    old = versions[0]
    items = [
        {"indicator": i["indicator"], "weight": i["weight"], "rule": i["rule"],
         "floor": i["floor"], "target": i["target"]}
        for i in old["items"]
    ]  # fmt: skip
    items[0]["weight"], items[1]["weight"] = 40, 20
    body = {"code": "department_monthly", "name": old["name"], "target_type": "department",
            "items": items}  # fmt: skip
    changed = client.put("/api/v1/assessment/schemes/department_monthly", json=body, headers=admin)
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == old["version"] + 1
    again = client.get("/api/v1/assessment/schemes/department_monthly", headers=admin).json()
    assert [v["version"] for v in again] == [old["version"] + 1, old["version"]]
    assert [v["is_current"] for v in again] == [True, False]
    month = f"{services.previous_month():%Y-%m}"
    frozen = _board(client, admin, scheme="department_monthly", month=month)
    assert frozen["scheme_version"] == old["version"]
    assert [i["weight"] for i in frozen["items"]] == [i["weight"] for i in old["items"]]
    live = _board(client, admin, scheme="department_monthly")
    assert live["scheme_version"] == old["version"] + 1 and live["frozen"] is False
    assert [i["weight"] for i in live["items"]][:2] == [40, 20]


def test_the_monthly_job_freezes_last_month_once(assessed_district: Fresh) -> None:
    client, auth, engine = assessed_district
    admin = auth("admin")
    body = {
        "code": "job_check",
        "name": "任务检查",
        "target_type": "street",
        "items": [{"indicator": "events_reported", "weight": 100, "rule": "rank"}],
    }
    assert client.post("/api/v1/assessment/schemes", json=body, headers=admin).status_code == 201
    assert jobs.assessment_snapshot(engine) >= 1
    assert jobs.assessment_snapshot(engine) == 0
    listed = client.get("/api/v1/assessment/snapshots", params={"scheme": "job_check"},
                        headers=admin).json()  # fmt: skip
    assert [s["month"] for s in listed] == [f"{services.previous_month():%Y-%m}"]
    assert listed[0]["frozen_by"] == "assessment-snapshot"

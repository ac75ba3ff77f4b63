"""The SLA job with a controlled clock: yellow warns those on duty once, red tells the center
and escalates once, and the in-process scheduler runs it on time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gridgov import jobs as jobs_module
from gridgov.events.models import Event
from gridgov.events.services import scan_deadlines
from gridgov.jobs import scheduler
from gridgov.kit import clock
from gridgov.kit.clock import now
from tests.conftest import Auth

Fresh = tuple[TestClient, Auth, Engine]


@pytest.fixture
def frozen() -> Iterator[list[datetime]]:
    """now() returns the list's last element; append to move time."""
    moments = [now()]
    clock.set_clock(lambda: moments[-1])
    yield moments
    clock.reset_clock()


def test_yellow_then_red_then_nothing_twice(fresh_events: Fresh, frozen: list[datetime]) -> None:
    client, auth, engine = fresh_events
    worker = auth("gw_370811109003001")
    grid = client.get("/api/v1/regions/370811109003001", headers=auth("admin")).json()
    point = shapely.geometry.shape(grid["geometry"]).representative_point()
    event = client.post(
        "/api/v1/events",
        json={
            "title": "路灯不亮",
            "source": "grid_worker",
            "location": {"lon": point.x, "lat": point.y},
        },
        headers=worker,
    ).json()
    with Session(engine) as session:
        stored = session.get_one(Event, event["id"])
        warn_at, deadline = stored.warn_at, stored.deadline_at
    assert event["sla"] == "green"

    frozen.append(warn_at + timedelta(minutes=1))
    with Session(engine) as session:
        first = scan_deadlines(session)
        session.commit()
    assert first.warned >= 1
    inbox = client.get("/api/v1/notifications", params={"unread": True}, headers=worker).json()
    warnings = [n for n in inbox["items"] if n["link"] == f"/events/{event['id']}"]
    assert [n["kind"] for n in warnings] == ["sla_warning"]
    assert client.get(f"/api/v1/events/{event['id']}", headers=worker).json()["sla"] == "yellow"

    frozen.append(deadline + timedelta(minutes=1))
    with Session(engine) as session:
        scan_deadlines(session)
        session.commit()
    after = client.get(f"/api/v1/events/{event['id']}", headers=worker).json()
    assert after["sla"] == "red" and after["level"] == "community"
    assert after["timeline"][-1]["action"] == "escalate"
    assert after["timeline"][-1]["actor_username"] == "sla"
    operator_inbox = client.get("/api/v1/notifications", headers=auth("operator")).json()
    assert "items" in operator_inbox, operator_inbox
    assert any(
        n["kind"] == "sla_overdue" and n["link"] == f"/events/{event['id']}"
        for n in operator_inbox["items"]
    )

    with Session(engine) as session:
        again = scan_deadlines(session)
        session.commit()
    repeat = client.get(f"/api/v1/events/{event['id']}", headers=worker).json()
    assert len(repeat["timeline"]) == len(after["timeline"])
    assert (again.warned, again.overdue, again.escalated) == (0, 0, 0)

    read = client.post(f"/api/v1/notifications/{warnings[0]['id']}/read", headers=worker)
    assert read.status_code == 200 and read.json()["read_at"]
    assert (
        client.post(
            f"/api/v1/notifications/{warnings[0]['id']}/read", headers=auth("operator")
        ).status_code
        == 404
    )


def test_scheduler_runs_jobs_when_due(
    fresh_events: Fresh, frozen: list[datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    _client, _auth, engine = fresh_events
    # Retraining has tests of its own (tests/routing); here it would put a model in the way of
    # the module's other cases.
    monkeypatch.setattr(jobs_module, "retrain_routing", lambda engine: None)
    jobs = scheduler(engine)
    # Every job runs at start-up, in order, then waits for its interval.
    first = jobs.run_due()
    assert first[:3] == ["sla_scan", "routing_retrain", "mediation_scan"]
    assert first == [job.name for job in jobs.jobs]
    assert jobs.run_due() == []
    frozen.append(frozen[-1] + timedelta(minutes=2))
    assert jobs.run_due() == ["sla_scan"]

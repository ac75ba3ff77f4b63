"""Step time limits and escalation rules with a controlled clock, end to end: a case bound to
a workflow with a step limit gets its step deadline on the office calendar, the scan warns,
then says overdue, then applies the escalation rule (notify, and escalate as the platform),
each exactly once; a case keeps the workflow version it started with."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.events.catalog import EVENT_WORKFLOW
from gridgov.events.models import Event
from gridgov.jobs import sla_scan, step_scan
from gridgov.kit import clock
from gridgov.workflow import services as workflow
from gridgov.workflow.models import WorkflowDefinition, WorkflowInstance
from gridgov.workflow.sla import scan_step_deadlines
from tests.conftest import Auth

Fresh = tuple[TestClient, Auth, Engine]
SHANGHAI = ZoneInfo("Asia/Shanghai")
GRID = "370811002001001"  # in 许庄街道 (370811002)
CODE = "fast_escalation"


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """December 2022, long before the seeded cases, so only this module's cases fall due."""
    return datetime(2022, 12, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def frozen() -> Iterator[list[datetime]]:
    moments = [local(2, 16, 30).astimezone(UTC)]  # Friday afternoon
    clock.set_clock(lambda: moments[-1])
    yield moments
    clock.reset_clock()


def _definition(reported_hours: float, rules: list[dict[str, Any]]) -> dict[str, Any]:
    definition = copy.deepcopy(EVENT_WORKFLOW)
    definition["states"]["reported"]["time_limit_hours"] = reported_hours
    definition["escalation"] = rules
    return definition


ESCALATE_AFTER_3 = [
    {
        "state": "reported",
        "after_hours": 3,
        "notify": ["center_operator", "street_staff"],
        "action": "escalate",
    }
]


def _report(client: TestClient, auth: Auth, title: str) -> dict[str, Any]:
    grid = client.get(f"/api/v1/regions/{GRID}", headers=auth("admin")).json()
    point = shapely.geometry.shape(grid["geometry"]).representative_point()
    response = client.post(
        "/api/v1/events",
        json={
            "title": title,
            "category_code": "0302",
            "source": "grid_worker",
            "location": {"lon": point.x, "lat": point.y},
        },
        headers=auth(f"gw_{GRID}"),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _instance(engine: Engine, event_id: int) -> tuple[WorkflowInstance, WorkflowDefinition]:
    with Session(engine) as session:
        event = session.get_one(Event, event_id)
        instance = session.get_one(WorkflowInstance, event.workflow_instance_id)
        definition = session.get_one(WorkflowDefinition, instance.definition_id)
        session.expunge_all()
    return instance, definition


def _inbox(client: TestClient, headers: dict[str, str], event_id: int) -> list[str]:
    page = client.get("/api/v1/notifications", params={"page_size": 500}, headers=headers).json()
    return sorted(n["kind"] for n in page["items"] if n["link"] == f"/events/{event_id}")


def test_step_deadline_warning_overdue_and_escalation_once_each(
    fresh_events: Fresh, frozen: list[datetime]
) -> None:
    client, auth, engine = fresh_events
    admin = auth("admin")
    saved = client.post(
        "/api/v1/workflows",
        json={"code": CODE, "name": "两小时受理", "definition": _definition(2, ESCALATE_AFTER_3)},
        headers=admin,
    )
    assert saved.status_code == 201, saved.text
    bound = client.put(
        "/api/v1/workflow-bindings",
        json={"bindings": [{"category_code": "0302", "workflow_code": CODE}]},
        headers=admin,
    )
    assert bound.status_code == 200, bound.text

    event = _report(client, auth, "路灯不亮，晚上很黑")
    instance, definition = _instance(engine, event["id"])
    assert (definition.code, definition.version) == (CODE, 1)
    # Two office hours from Friday 16:30: one on Friday, one on Monday from 08:30.
    assert instance.step_deadline_at == local(5, 9, 30)
    assert instance.step_warn_at is not None and instance.step_warn_at < local(5, 8, 30)

    worker, operator, street = auth(f"gw_{GRID}"), auth("operator"), auth("street_xuzhuang")
    frozen.append(local(4, 21, 0).astimezone(UTC))  # Sunday evening: past 80 % of the time
    sla_scan(engine)  # the job runs the step scan after the case scan
    assert _inbox(client, worker, event["id"]) == ["step_warning"]
    assert step_scan(engine).warned == 0  # once only
    assert _inbox(client, worker, event["id"]) == ["step_warning"]

    frozen.append(local(5, 9, 31).astimezone(UTC))  # Monday, past the step limit
    report = step_scan(engine)
    assert (report.warned, report.overdue, report.rules) == (0, 1, 0)
    assert _inbox(client, worker, event["id"]) == ["step_overdue", "step_warning"]
    assert client.get(f"/api/v1/events/{event['id']}", headers=worker).json()["level"] == "grid"

    frozen.append(local(5, 10, 31).astimezone(UTC))  # three office hours in 已上报
    report = step_scan(engine)
    assert (report.rules, report.performed, report.failed) == (1, 1, 0)
    after = client.get(f"/api/v1/events/{event['id']}", headers=worker).json()
    assert after["status"] == "accepted" and after["level"] == "community"
    last = after["timeline"][-1]
    assert (last["action"], last["actor_username"]) == ("escalate", "sla")
    assert "自动" in last["comment"]
    assert _inbox(client, operator, event["id"]) == ["step_escalation"]
    assert _inbox(client, street, event["id"]) == ["step_escalation"]
    assert _inbox(client, auth("street_nanzhang"), event["id"]) == []  # another street's staff
    # In 已受理 now, with the default two-hour limit counted from the escalation.
    moved, _ = _instance(engine, event["id"])
    assert moved.state == "accepted" and moved.step_sla_stage == 0
    assert moved.step_deadline_at == local(5, 14, 1)

    again = step_scan(engine)
    assert (again.warned, again.overdue, again.rules) == (0, 0, 0)
    repeat = client.get(f"/api/v1/events/{event['id']}", headers=worker).json()
    assert len(repeat["timeline"]) == len(after["timeline"])
    assert _inbox(client, operator, event["id"]) == ["step_escalation"]


def test_running_cases_keep_their_version_after_a_new_one_is_saved(
    fresh_events: Fresh, frozen: list[datetime]
) -> None:
    client, auth, engine = fresh_events
    admin = auth("admin")
    first = client.post(
        "/api/v1/workflows",
        json={
            "code": "versioned",
            "name": "版本一",
            "definition": _definition(2, ESCALATE_AFTER_3),
        },
        headers=admin,
    )
    assert first.status_code == 201
    client.put(
        "/api/v1/workflow-bindings",
        json={"bindings": [{"category_code": "0302", "workflow_code": "versioned"}]},
        headers=admin,
    )
    running = _report(client, auth, "路灯不亮，版本一")
    # Version 2: a day for 受理 and no escalation.
    second = client.post(
        "/api/v1/workflows",
        json={"code": "versioned", "name": "版本二", "definition": _definition(8, [])},
        headers=admin,
    )
    assert second.status_code == 201 and second.json()["version"] == 2
    newer = _report(client, auth, "路灯不亮，版本二")
    old_instance, old_definition = _instance(engine, running["id"])
    new_instance, new_definition = _instance(engine, newer["id"])
    assert (old_definition.version, new_definition.version) == (1, 2)
    assert old_instance.step_deadline_at == local(5, 9, 30)
    assert new_instance.step_deadline_at == local(5, 17, 0)  # 8 h: 1 on Friday, 7 on Monday

    frozen.append(local(5, 10, 31).astimezone(UTC))
    step_scan(engine)
    # The running case still escalates by version 1's rule; the newer one has none to apply.
    assert _instance(engine, running["id"])[0].state == "accepted"
    assert _instance(engine, newer["id"])[0].state == "reported"

    listing = client.get("/api/v1/workflows/versioned", headers=auth("operator")).json()
    assert listing["current_version"] == 2
    assert [v["version"] for v in listing["versions"]] == [2, 1]
    assert [v["name"] for v in listing["versions"]] == ["版本二", "版本一"]


def test_the_engine_acts_by_itself_for_subjects_without_hooks(
    fresh_events: Fresh, frozen: list[datetime]
) -> None:
    """A subject the scan knows nothing about (no feature hooks): the rule's transition moves
    the instance alone, the timeline records the platform."""
    _client, _auth, engine = fresh_events
    system = Actor.system("test")
    definition = _definition(2, [{"state": "reported", "action": "accept"}])
    with Session(engine) as session:
        workflow.save_definition(session, "bare", "无主体流程", definition, actor=system)
        instance = workflow.start(
            session,
            "bare",
            subject_type="demo_subject",
            subject_id=1,
            region_path=f"370811/370811002/370811002001/{GRID}/",
            actor=system,
        )
        session.commit()
        instance_id = instance.id
    frozen.append(local(5, 9, 31).astimezone(UTC))
    with Session(engine) as session:
        report = scan_step_deadlines(session)
        session.commit()
    assert report.performed >= 1
    with Session(engine) as session:
        moved = session.get_one(WorkflowInstance, instance_id)
        steps = workflow.steps_for(session, moved)
        assert moved.state == "accepted" and moved.version == 2
        assert [(s.action, s.actor_username) for s in steps] == [
            ("start", "test"),
            ("accept", "sla"),
        ]

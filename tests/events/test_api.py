"""The closed loop through the API: intake, every branch, concurrency, idempotency."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from gridgov.events.models import Event
from gridgov.events.services import verify_timelines
from gridgov.orgs.models import Organisation
from gridgov.workflow.models import WorkflowStep
from tests.conftest import Auth
from tests.media.test_media import png

Fresh = tuple[TestClient, Auth, Engine]


@pytest.fixture(scope="module")
def ctx(fresh_events: Fresh) -> Fresh:
    return fresh_events


def _inside(client: TestClient, auth: Auth, grid: str) -> dict[str, float]:
    body = client.get(f"/api/v1/regions/{grid}", headers=auth("admin")).json()
    point = shapely.geometry.shape(body["geometry"]).representative_point()
    return {"lon": point.x, "lat": point.y}


def _report(client: TestClient, headers: dict[str, str], **fields: Any) -> Any:
    body = {"title": "小区门口井盖丢失", "source": "grid_worker", **fields}
    return client.post("/api/v1/events", json=body, headers=headers)


def _count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Event)) or 0


def _department(engine: Engine, code: str) -> int:
    with Session(engine) as session:
        return session.scalars(select(Organisation.id).where(Organisation.code == code)).one()


def _do(
    client: TestClient, headers: dict[str, str], event: dict[str, Any], action: str, **extra: Any
) -> Any:
    response = client.post(
        f"/api/v1/events/{event['id']}/actions/{action}",
        json={"version": event["version"], **extra},
        headers=headers,
    )
    assert response.status_code == 200, f"{action}: {response.text}"
    return response.json()


def test_intake_locates_classifies_and_starts_the_loop(ctx: Fresh) -> None:
    client, auth, _ = ctx
    worker = auth("gw_370811002001001")
    created = _report(client, worker, location=_inside(client, auth, "370811002001001"))
    assert created.status_code == 201, created.text
    event = created.json()
    assert (event["grid_code"], event["community_code"], event["street_code"]) == (
        "370811002001001",
        "370811002001",
        "370811002",
    )
    assert event["category_code"] == "0301" and event["classified_by"] == "rules"
    assert event["status"] == "reported" and event["deadline_at"] > event["created_at"]
    assert event["code"].startswith("SJ")
    assert [s["action"] for s in event["timeline"]] == ["start"]


def test_outside_the_district_is_422_and_creates_nothing(ctx: Fresh) -> None:
    client, auth, engine = ctx
    before = _count(engine)
    response = _report(client, auth("operator"), location={"lon": 118.0, "lat": 36.0})
    assert response.status_code == 422 and response.json()["error"]["code"] == "outside_territory"
    missing = client.post(
        "/api/v1/events", json={"title": "无位置", "source": "citizen"}, headers=auth("citizen1")
    )
    assert missing.status_code == 422
    assert _count(engine) == before


def test_gcj02_input_and_staff_scope(ctx: Fresh) -> None:
    client, auth, _ = ctx
    from gridgov.kit.geo import wgs84_to_gcj02

    point = _inside(client, auth, "370811006001001")
    lon, lat = wgs84_to_gcj02(point["lon"], point["lat"])
    by_citizen = _report(
        client,
        auth("citizen1"),
        source="citizen",
        location={"lon": lon, "lat": lat, "crs": "gcj02"},
    )
    assert by_citizen.status_code == 201 and by_citizen.json()["grid_code"] == "370811006001001"
    by_other_street = _report(client, auth("street_xuzhuang"), source="street", location=point)
    assert by_other_street.status_code == 403
    mine = client.get("/api/v1/events", headers=auth("citizen1")).json()
    assert mine["total"] >= 1 and all(e["street_code"] for e in mine["items"])
    assert {e["id"] for e in mine["items"]} == {
        e["id"] for e in mine["items"] if e["source"] == "citizen"
    }


def test_the_same_idempotency_key_creates_one_event(ctx: Fresh) -> None:
    client, auth, engine = ctx
    worker = auth("gw_370811002001001")
    headers = {**worker, "Idempotency-Key": "offline-report-42"}
    where = _inside(client, auth, "370811002001001")
    before = _count(engine)
    first = _report(client, headers, location=where, description="第一次提交")
    again = _report(client, headers, location=where, description="网络恢复后重发")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert _count(engine) == before + 1


def test_walk_the_whole_loop_with_every_branch(ctx: Fresh) -> None:
    client, auth, engine = ctx
    operator, handler = auth("operator"), auth("dept_sw")
    event = _report(
        client,
        auth("citizen2"),
        source="citizen",
        location=_inside(client, auth, "370811109001001"),
    ).json()
    event = _do(client, operator, event, "accept")
    sewer = _department(engine, "dept-sw")
    event = _do(client, operator, event, "dispatch", department_id=sewer, comment="请水务局处置")
    assert event["department_id"] == sewer and event["level"] == "district"
    assert client.get(f"/api/v1/events/{event['id']}", headers=handler).status_code == 200
    assert client.get(f"/api/v1/events/{event['id']}", headers=auth("dept_cg")).status_code == 404
    event = _do(client, handler, event, "return", comment="不属于本部门职责")
    assert event["status"] == "accepted"
    event = _do(client, operator, event, "dispatch", department_id=sewer, comment="经核实属水务局")
    event = _do(client, handler, event, "receive")
    no_comment = client.post(
        f"/api/v1/events/{event['id']}/actions/feedback",
        json={"version": event["version"]},
        headers=handler,
    )
    assert no_comment.json()["error"]["code"] == "fields_required"
    event = _do(client, handler, event, "feedback", comment="已更换井盖")
    event = _do(client, operator, event, "rework", comment="照片不清晰，请重新处置")
    event = _do(client, handler, event, "feedback", comment="已重新更换并拍照")
    event = _do(client, operator, event, "approve")
    assert event["status"] == "closed" and event["closed_at"]
    event = _do(client, auth("citizen2"), event, "reopen", comment="井盖又松动了")
    assert event["status"] == "handling" and event["closed_at"] is None
    event = _do(client, handler, event, "feedback", comment="已加固")
    event = _do(client, operator, event, "approve")
    event = _do(client, auth("citizen2"), event, "rate", satisfaction=5)
    assert event["status"] == "rated" and event["actions"] == []
    assert [s["action"] for s in event["timeline"]] == [
        "start",
        "accept",
        "dispatch",
        "return",
        "dispatch",
        "receive",
        "feedback",
        "rework",
        "feedback",
        "approve",
        "reopen",
        "feedback",
        "approve",
        "rate",
    ]
    voided = _report(
        client,
        operator,
        source="hotline",
        title="重复来电",
        location=_inside(client, auth, "370811109001001"),
    ).json()
    voided = _do(client, operator, voided, "void", comment="与已受理事件重复")
    assert voided["status"] == "voided" and voided["actions"] == []


def test_wrong_role_and_wrong_state_are_refused(ctx: Fresh) -> None:
    client, auth, _ = ctx
    event = _report(
        client, auth("gw_370811002001001"), location=_inside(client, auth, "370811002001001")
    ).json()
    by_worker = client.post(
        f"/api/v1/events/{event['id']}/actions/accept",
        json={"version": 1},
        headers=auth("gw_370811002001001"),
    )
    assert by_worker.status_code == 403
    too_early = client.post(
        f"/api/v1/events/{event['id']}/actions/approve",
        json={"version": 1},
        headers=auth("operator"),
    )
    assert (
        too_early.status_code == 422 and too_early.json()["error"]["code"] == "action_not_allowed"
    )


def test_two_operators_at_once_one_wins_one_gets_409(ctx: Fresh) -> None:
    client, auth, _ = ctx
    event = _report(
        client,
        auth("operator"),
        source="hotline",
        location=_inside(client, auth, "370811111001001"),
    ).json()
    first = client.post(
        f"/api/v1/events/{event['id']}/actions/accept",
        json={"version": event["version"]},
        headers=auth("operator"),
    )
    second = client.post(
        f"/api/v1/events/{event['id']}/actions/void",
        json={"version": event["version"], "comment": "重复"},
        headers=auth("operator2"),
    )
    assert first.status_code == 200
    assert second.status_code == 409 and second.json()["error"]["code"] == "stale_version"
    now_state = client.get(f"/api/v1/events/{event['id']}", headers=auth("operator")).json()
    assert now_state["status"] == "accepted" and len(now_state["timeline"]) == 2


def test_lists_filter_and_stay_in_scope(ctx: Fresh) -> None:
    client, auth, _ = ctx
    street = client.get(
        "/api/v1/events", params={"page_size": 200}, headers=auth("street_shiqiao")
    ).json()
    assert street["total"] > 50 and all(e["street_code"] == "370811109" for e in street["items"])
    accepted = client.get(
        "/api/v1/events", params={"status": "accepted"}, headers=auth("operator")
    ).json()
    assert accepted["total"] > 0 and all(e["status"] == "accepted" for e in accepted["items"])
    parts = client.get(
        "/api/v1/events", params={"category_code": "03"}, headers=auth("operator")
    ).json()
    assert all(e["category_code"].startswith("03") for e in parts["items"])


def test_a_time_range_lists_the_cases_created_in_it_newest_first(ctx: Fresh) -> None:
    client, auth, engine = ctx
    with Session(engine) as session:
        times = sorted(session.scalars(select(Event.created_at)))
        start, end = times[len(times) // 4], times[len(times) // 2]
        expected = {
            who: list(
                session.scalars(
                    select(Event.id)
                    .where(
                        Event.created_at >= start,
                        Event.created_at < end,
                        *([Event.region_path.startswith("370811/370811109/")] if street else []),
                    )
                    .order_by(Event.id.desc())
                )
            )
            for who, street in (("operator", False), ("street_shiqiao", True))
        }
    assert len(expected["street_shiqiao"]) > 10  # more than two pages of five
    for who, ids in expected.items():
        params: dict[str, Any] = {
            "created_from": start.isoformat(),
            "created_to": end.isoformat(),
            "page_size": 5,
        }
        first = client.get("/api/v1/events", params=params, headers=auth(who)).json()
        second = client.get(
            "/api/v1/events", params={**params, "page": 2}, headers=auth(who)
        ).json()
        assert first["total"] == len(ids)
        assert [e["id"] for e in first["items"] + second["items"]] == ids[:10]
        created = [datetime.fromisoformat(e["created_at"]) for e in first["items"]]
        assert all(start <= moment < end for moment in created)


def test_timeline_chain_detects_tampering(ctx: Fresh) -> None:
    _client, _auth, engine = ctx
    with Session(engine) as session:
        assert verify_timelines(session).broken == []
        step = session.scalars(select(WorkflowStep).where(WorkflowStep.seq == 2).limit(1)).one()
        instance_id = step.instance_id
        session.execute(
            update(WorkflowStep).where(WorkflowStep.id == step.id).values(comment="改过的记录")
        )
        report = verify_timelines(session)
        session.rollback()
    assert report.broken == [(instance_id, 2)]


def test_branches_extension_suspend_escalate_supervise_instruct_merge_self_settle(
    ctx: Fresh,
) -> None:
    client, auth, engine = ctx
    operator, handler, leader = auth("operator"), auth("dept_cg"), auth("leader")
    where = _inside(client, auth, "370811006002001")
    event = _report(client, operator, source="hotline", title="占道经营", location=where).json()
    event = _do(client, operator, event, "accept")
    event = _do(client, operator, event, "dispatch", department_id=_department(engine, "dept-cg"))
    event = _do(client, handler, event, "receive")
    deadline = event["deadline_at"]
    event = _do(client, handler, event, "request_extension", hours=8, comment="需协调多部门")
    assert event["status"] == "extension_requested"
    event = _do(client, operator, event, "approve_extension")
    assert event["status"] == "handling" and event["deadline_at"] > deadline
    event = _do(client, operator, event, "suspend", comment="等待法院裁定")
    assert event["status"] == "suspended"
    event = _do(client, operator, event, "resume")
    assert event["deadline_at"] >= deadline
    event = _do(client, leader, event, "supervise", card="red", comment="限期办结")
    event = _do(client, leader, event, "instruct", comment="请城管局主要负责同志牵头")
    assert event["status"] == "handling"
    assert [s["action"] for s in event["timeline"]][-2:] == ["supervise", "instruct"]
    no_card = client.post(
        f"/api/v1/events/{event['id']}/actions/supervise",
        json={"version": event["version"], "comment": "x"},
        headers=leader,
    )
    assert no_card.json()["error"]["code"] == "fields_required"

    small = _report(client, auth("gw_370811006002001"), location=where).json()
    assert small["level"] == "grid"
    small = _do(client, auth("gw_370811006002001"), small, "escalate", comment="超出网格处置能力")
    assert small["level"] == "community" and small["status"] == "accepted"

    original = _report(client, operator, source="hotline", title="噪音扰民", location=where).json()
    duplicate = _report(
        client, operator, source="hotline", title="噪音扰民（重复来电）", location=where
    ).json()
    merged = _do(client, operator, duplicate, "merge", target_id=original["id"], comment="同一事件")
    assert merged["status"] == "voided"
    assert merged["timeline"][-1]["data"]["target_code"] == original["code"]

    settled = _report(client, auth("gw_370811006002001"), title="垃圾堆放", location=where).json()
    after = client.post(
        "/api/v1/media",
        files={"file": ("after.png", png(), "image/png")},
        headers=auth("gw_370811006002001"),
    ).json()
    settled = _do(
        client,
        auth("gw_370811006002001"),
        settled,
        "self_settle",
        comment="已现场清理",
        media_ids=[after["id"]],
    )
    assert settled["status"] == "closed" and settled["closed_at"] and settled["sla"] == "done"
    by_operator = _report(client, operator, source="hotline", location=where).json()
    refused = client.post(
        f"/api/v1/events/{by_operator['id']}/actions/self_settle",
        json={"version": 1, "comment": "x"},
        headers=operator,
    )
    assert refused.status_code == 403

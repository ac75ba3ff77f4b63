"""Routing in the case loop: a rule or a confident model dispatches with no operator, the
operator sees recommendations, overrides and "not ours" returns are recorded and feed training,
and a what-if replay changes nothing live."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gridgov import jobs
from gridgov.accounts.actor import Actor
from gridgov.audit.models import AuditEntry
from gridgov.config import get_settings
from gridgov.events import dispatching
from gridgov.events.models import Event
from gridgov.events.services import calendar
from gridgov.orgs.models import Organisation
from gridgov.routing import repository as routing_repository
from gridgov.routing import services as routing
from gridgov.routing.models import RoutingDecision, RoutingModel
from gridgov.workflow.models import WorkflowInstance, WorkflowStep
from tests.conftest import Auth
from tests.events.test_api import _department, _do, _inside

Fresh = tuple[TestClient, Auth, Engine]
GRID = "370811002001001"
ADMIN = Actor.system("test-routing")


@pytest.fixture(scope="module")
def ctx(fresh_events: Fresh) -> Fresh:
    return fresh_events


def rule(rule_id: str, department: str, **when: Any) -> dict[str, Any]:
    return {
        "id": rule_id,
        "name": f"规则{rule_id}",
        "when": when,
        "then": {"department": department},
    }


def activate(ctx: Fresh, *rules: dict[str, Any], **thresholds: Any) -> int:
    client, auth, _ = ctx
    saved = client.post(
        "/api/v1/routing/rule-sets",
        json={"document": {"rules": list(rules), "thresholds": thresholds}, "note": "测试"},
        headers=auth("admin"),
    )
    assert saved.status_code == 201, saved.text
    version = int(saved.json()["version"])
    assert saved.json()["status"] == "draft"
    done = client.post(f"/api/v1/routing/rule-sets/{version}/activate", headers=auth("admin"))
    assert done.status_code == 200 and done.json()["status"] == "active"
    return version


def report(ctx: Fresh, user: str = "citizen1", **fields: Any) -> dict[str, Any]:
    client, auth, _ = ctx
    body = {
        "title": "消防通道被私家车占用",
        "description": "小区北门消防通道长期停车",
        "source": "citizen",
        "location": _inside(client, auth, GRID),
        **fields,
    }
    response = client.post("/api/v1/events", json=body, headers=auth(user))
    assert response.status_code == 201, response.text
    return dict(response.json())


def decision(engine: Engine, event_id: int) -> RoutingDecision:
    with Session(engine) as session:
        return session.scalars(
            select(RoutingDecision).where(RoutingDecision.subject_id == event_id)
        ).one()


def test_an_active_rule_dispatches_a_citizen_case_with_no_operator(ctx: Fresh) -> None:
    client, auth, engine = ctx
    fire = rule("fire-lane", "dept-xf", categories=["0401"])
    fire["then"].update(assisting=["dept-cg"], level="district", time_limit_hours=2)
    version = activate(ctx, rule("other", "dept-hb", categories=["0701"]), fire)
    event = report(ctx, category_code="0401")
    assert event["status"] == "dispatched"
    detail = client.get(f"/api/v1/events/{event['id']}", headers=auth("operator")).json()
    dispatch = next(s for s in detail["timeline"] if s["action"] == "dispatch")
    assert dispatch["actor_username"] == "routing"
    assert "规则fire-lane" in dispatch["comment"] and f"v{version}" in dispatch["comment"]
    assert dispatch["data"]["department_id"] == _department(engine, "dept-xf")
    assert [a["department_id"] for a in detail["assists"]] == [_department(engine, "dept-cg")]
    recommended = client.get(f"/api/v1/events/{event['id']}/routing", headers=auth("operator"))
    body = recommended.json()
    assert (body["mode"], body["decided_by"], body["rule_id"], body["rule_set_version"]) == (
        "auto",
        "rule",
        "fire-lane",
        version,
    )
    assert body["recorded"] is True and body["confidence"] == 1.0
    with Session(engine) as session:
        stored = session.get_one(Event, event["id"])
        # The rule's time limit (2 working hours) replaces the category's 4.
        assert stored.deadline_at == calendar().add_working_hours(stored.created_at, 2)
        assert stored.level == "district"
        assert stored.department_id == _department(engine, "dept-xf")
    grid_worker_case = report(ctx, user=f"gw_{GRID}", source="grid_worker", category_code="0401")
    assert grid_worker_case["status"] == "reported"  # not an automatic source by default


def test_a_draft_rule_set_routes_nothing(ctx: Fresh) -> None:
    client, auth, _ = ctx
    activate(ctx)  # an empty active set
    client.post(
        "/api/v1/routing/rule-sets",
        json={"document": {"rules": [rule("fire", "dept-xf", categories=["0401"])]}},
        headers=auth("admin"),
    )
    assert report(ctx, category_code="0401")["status"] == "reported"


def test_a_bad_rule_set_is_refused_with_every_problem(ctx: Fresh) -> None:
    client, auth, _ = ctx
    before = client.get("/api/v1/routing/rule-sets", headers=auth("admin")).json()
    bad = {"rules": [rule("a", "dept-nope", categories=["9999"]), rule("a", "dept-hb")]}
    response = client.post(
        "/api/v1/routing/rule-sets", json={"document": bad}, headers=auth("admin")
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_rule_set"
    assert any("dept-nope" in p for p in error["details"]["problems"])
    assert any("编号重复" in p for p in error["details"]["problems"])
    checked = client.post(
        "/api/v1/routing/rule-sets/validate", json={"document": bad}, headers=auth("admin")
    ).json()
    assert checked["valid"] is False and len(checked["problems"]) >= 3
    assert client.get("/api/v1/routing/rule-sets", headers=auth("admin")).json() == before


def test_only_admins_configure_routing(ctx: Fresh) -> None:
    client, auth, _ = ctx
    for user in ("operator", "street_xuzhuang", "leader"):
        assert client.get("/api/v1/routing/rule-sets", headers=auth(user)).status_code == 403
        assert client.get("/api/v1/routing/metrics", headers=auth(user)).status_code == 403
    assert client.get("/api/v1/routing/rule-sets/1", headers=auth("admin")).status_code == 200
    missing = client.get("/api/v1/routing/rule-sets/999", headers=auth("admin"))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "rule_set_not_found"


def test_an_operator_override_is_recorded_and_feeds_training(ctx: Fresh) -> None:
    client, auth, engine = ctx
    activate(ctx)
    event = report(ctx, title="路灯不亮", description="东门路灯坏了一周", category_code="0302")
    assert event["status"] == "reported"
    recommended = client.get(f"/api/v1/events/{event['id']}/routing", headers=auth("operator"))
    top = recommended.json()["candidates"][0]
    assert top["department_code"] == "dept-cg"  # the category's default department
    page = client.get(f"/events/{event['id']}", headers=auth("operator"))
    operator = auth("operator")
    event = _do(client, operator, event, "accept")
    page = client.get(f"/events/{event['id']}", headers=operator)
    assert "推荐依据" in page.text and "事件类别的默认部门" in page.text
    _do(client, operator, event, "dispatch", department_id=_department(engine, "dept-jt"))
    recorded = decision(engine, event["id"])
    assert (recorded.overridden, recorded.final_department_code) == (True, "dept-jt")
    with Session(engine) as session:
        rows = dispatching.training_rows(session, actor=ADMIN)
    corrected = [r for r in rows if r.corrected and r.text.startswith("路灯不亮")]
    assert [r.department_code for r in corrected] == ["dept-jt"]


def test_not_ours_after_an_automatic_dispatch_counts_as_a_return(ctx: Fresh) -> None:
    client, auth, engine = ctx
    activate(ctx, rule("fire", "dept-xf", categories=["0401"]))
    event = report(ctx, category_code="0401")
    handler = auth("dept_xf")
    event = client.get(f"/api/v1/events/{event['id']}", headers=handler).json()
    _do(client, handler, event, "return", comment="非本部门职责，应由城管处理")
    recorded = decision(engine, event["id"])
    assert recorded.returned and recorded.mode == "auto"
    assert recorded.final_department_code is None
    figures = client.get("/api/v1/routing/metrics", headers=auth("admin")).json()["total"]
    assert figures["auto_returned"] >= 1 and figures["automatic"] >= figures["auto_returned"]
    assert 0 < figures["auto_return_rate"] <= 1
    # The operator sends it on to the right department: a correction for the next training.
    event = client.get(f"/api/v1/events/{event['id']}", headers=auth("operator")).json()
    _do(client, auth("operator"), event, "dispatch", department_id=_department(engine, "dept-cg"))
    recorded = decision(engine, event["id"])
    assert (recorded.final_department_code, recorded.overridden) == ("dept-cg", True)


def live_digest(engine: Engine) -> str:
    digest = hashlib.sha256()
    with Session(engine) as session:
        for model, order in (
            (Event, Event.id),
            (WorkflowInstance, WorkflowInstance.id),
            (WorkflowStep, WorkflowStep.id),
            (RoutingDecision, RoutingDecision.id),
        ):
            for row in session.execute(select(model.__table__).order_by(order)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_replay_reports_a_draft_and_changes_nothing_live(ctx: Fresh) -> None:
    client, auth, engine = ctx
    activate(ctx)
    draft = client.post(
        "/api/v1/routing/rule-sets",
        json={"document": {"rules": [rule("everything", "dept-yl")]}},
        headers=auth("admin"),
    ).json()["version"]
    before = live_digest(engine)
    response = client.post(
        "/api/v1/routing/replay",
        json={"rule_set_version": draft, "months": 12},
        headers=auth("admin"),
    )
    assert response.status_code == 200, response.text
    replayed = response.json()
    assert live_digest(engine) == before
    yl = _department(engine, "dept-yl")
    with Session(engine) as session:
        closed = select(Event.department_id).where(
            Event.closed_at.is_not(None), Event.department_id.is_not(None)
        )
        departments = [d for (d,) in session.execute(closed)]
        is_department = set(
            session.scalars(select(Organisation.id).where(Organisation.kind == "department"))
        )
    assert replayed["cases"] == len(departments) > 0
    elsewhere = sum(1 for d in departments if d != yl or d not in is_department)
    assert replayed["different_from_actual"] == elsewhere
    assert replayed["projected_auto_share"] == 1.0  # a catch-all rule decides every case
    assert replayed["expected_return_rate"] == pytest.approx(elsewhere / len(departments), abs=1e-4)
    assert replayed["current_auto_share"] == 0.0
    assert len(replayed["examples"]) == min(20, elsewhere)
    assert all(e["proposed"].endswith("园林绿化服务中心") for e in replayed["examples"])
    page = client.get(f"/admin/routing/replay?rule_set_version={draft}", headers=auth("admin"))
    assert page.status_code == 200 and str(replayed["cases"]) in page.text
    assert live_digest(engine) == before


def test_the_admin_page_shows_rules_models_and_figures(ctx: Fresh) -> None:
    client, auth, _ = ctx
    page = client.get("/admin/routing", headers=auth("admin"))
    assert page.status_code == 200
    for text in ("智能分拨", "规则集", "文本模型", "自动转办占比", "模拟回放"):
        assert text in page.text
    assert client.get("/admin/routing", headers=auth("operator")).status_code == 403


def training_rows() -> list[routing.TrainingRow]:
    phrases = {
        ("dept-hb", "0203"): [
            "夜间施工噪音太大",
            "工地机器轰鸣扰民",
            "广场舞音响吵闹",
            "装修电钻噪音",
        ],
        ("dept-cg", "0201"): [
            "流动摊贩占道经营",
            "门口摆摊卖水果",
            "夜市出店经营堵路",
            "商贩占用人行道",
        ],
        ("dept-sw", "0301"): ["井盖丢失很危险", "下水道井盖破损", "路中间井盖松动", "雨水井盖缺失"],
    }
    rows = []
    for n in range(12):
        for (department, category), texts in phrases.items():
            text = f"{texts[n % 4]}，第{n}次反映，位置在{n}号楼附近"
            rows.append(routing.TrainingRow(text, department, category))
    return rows


def test_a_trained_model_classifies_and_dispatches_above_its_threshold(ctx: Fresh) -> None:
    client, auth, engine = ctx
    with Session(engine) as session:
        trained = routing.train(session, training_rows(), actor=ADMIN, activate=True)
        session.commit()
        version = trained.model.version
        assert trained.model.metrics["department"]["n"] == 8  # the newest fifth held out
    models = client.get("/api/v1/routing/models", headers=auth("admin")).json()
    assert models[0]["version"] == version and models[0]["status"] == "active"
    activate(ctx, default=0.99)
    cautious = report(ctx, title="工地夜间施工噪音", description="机器轰鸣，装修电钻")
    assert cautious["category_code"] == "0203" and cautious["classified_by"] == f"model:v{version}"
    advice = client.get(f"/api/v1/events/{cautious['id']}/routing", headers=auth("operator"))
    body = advice.json()
    assert body["decided_by"] == "model" and body["model_version"] == version
    assert body["candidates"][0]["department_code"] == "dept-hb"
    confidence = body["candidates"][0]["confidence"]
    assert cautious["status"] == ("dispatched" if confidence >= 0.99 else "reported")
    activate(ctx, default=round(confidence - 0.05, 2), by_category={"0201": None})
    bold = report(ctx, title="工地夜间施工噪音", description="机器轰鸣，装修电钻")
    assert bold["status"] == "dispatched"
    stall = report(ctx, title="流动摊贩占道经营", description="门口摆摊卖水果")
    assert stall["category_code"] == "0201" and stall["status"] == "reported"  # None: never auto
    with Session(engine) as session:
        evaluation = routing.evaluate(session, training_rows(), actor=ADMIN)
    assert evaluation["department"]["accuracy"] >= 0.9
    assert decision(engine, bold["id"]).model_version == version


def test_training_needs_enough_data(ctx: Fresh) -> None:
    _, _, engine = ctx
    with Session(engine) as session:
        count_before = session.scalar(select(func.count()).select_from(RoutingDecision))
        with pytest.raises(Exception, match="训练数据不足"):
            routing.train(session, training_rows()[:5], actor=ADMIN)
        assert session.scalar(select(func.count()).select_from(RoutingDecision)) == count_before


def test_the_retraining_job_trains_when_due_and_keeps_a_worse_model_as_draft(
    ctx: Fresh, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, engine = ctx
    with Session(engine) as session:
        active_before = routing_repository.active_model_version(session)
    assert jobs.retrain_routing(engine) is None  # the newest version is minutes old
    hurried = get_settings().model_copy(update={"routing_retrain_hours": 1e-6})
    monkeypatch.setattr(jobs, "get_settings", lambda: hurried)
    with Session(engine) as session:
        # Make the active model look unbeatable: the new one must stay a draft.
        active = session.scalars(select(RoutingModel).where(RoutingModel.status == "active")).one()
        active.metrics = {"department": {"macro_f1": 1.0}}
        session.commit()
    version = jobs.retrain_routing(engine)
    assert version is not None
    with Session(engine) as session:
        new = session.scalars(select(RoutingModel).where(RoutingModel.version == version)).one()
        assert new.status == "draft" and new.trained_on["cases"] > 0
        assert routing_repository.active_model_version(session) == active_before
        audit = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "routing.model.train")
        ).all()
        assert audit[-1].object_id == str(version)

"""The workflow admin API and pages: one definition with its versions, validation without
saving, a refused save that writes nothing, the bindings table and intake following it, and
the page that draws the flow."""

from __future__ import annotations

import copy
import json
import re
from html import unescape
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gridgov.audit.models import AuditEntry
from gridgov.events.catalog import DEFAULT_WORKFLOW, EVENT_WORKFLOW
from gridgov.events.models import Event
from gridgov.workflow.models import WorkflowDefinition, WorkflowInstance
from tests.conftest import Auth

Fresh = tuple[TestClient, Auth, Engine]
GRID = "370811002001001"  # 许庄街道 370811002, community 370811002001


@pytest.fixture(scope="module")
def ctx(fresh_events: Fresh) -> Fresh:
    return fresh_events


def _definition(**changes: Any) -> dict[str, Any]:
    definition = copy.deepcopy(EVENT_WORKFLOW)
    definition.update(changes)
    return definition


def _save(client: TestClient, headers: dict[str, str], code: str, name: str, **changes: Any) -> Any:
    return client.post(
        "/api/v1/workflows",
        json={"code": code, "name": name, "definition": _definition(**changes)},
        headers=headers,
    )


def _versions(engine: Engine, code: str) -> int:
    with Session(engine) as session:
        stmt = select(func.count()).where(WorkflowDefinition.code == code)
        return session.scalar(stmt.select_from(WorkflowDefinition)) or 0


def test_a_bad_definition_is_422_with_its_problems_and_nothing_is_saved(ctx: Fresh) -> None:
    client, auth, engine = ctx
    before = _versions(engine, DEFAULT_WORKFLOW)
    bad_rule = [{"state": "dispatched", "after_hours": 4, "action": "approve"}]
    response = _save(client, auth("admin"), DEFAULT_WORKFLOW, "坏规则", escalation=bad_rule)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_workflow"
    assert error["details"]["errors"] == [
        "升级规则第 1 条（状态 dispatched）：该状态下没有动作 approve"
    ]
    assert _versions(engine, DEFAULT_WORKFLOW) == before
    with Session(engine) as session:
        saves = select(func.count()).where(AuditEntry.action == "workflow.save")
        assert session.scalar(saves.select_from(AuditEntry)) == before  # the installs only


def test_validate_lists_problems_without_saving(ctx: Fresh) -> None:
    client, auth, engine = ctx
    admin = auth("admin")
    good = client.post(
        "/api/v1/workflows/validate", json={"definition": EVENT_WORKFLOW}, headers=admin
    )
    assert good.json() == {"valid": True, "problems": []}
    broken = _definition()
    broken["states"]["limbo"] = {"label": "悬空"}
    bad = client.post("/api/v1/workflows/validate", json={"definition": broken}, headers=admin)
    assert bad.status_code == 200
    assert bad.json() == {
        "valid": False,
        "problems": ["状态 limbo 从初始状态不可达", "状态 limbo 无法到达任何终止状态"],
    }
    assert _versions(engine, DEFAULT_WORKFLOW) == 1
    # Editing workflows is the administrator's: others may not even use the checker.
    street = client.post(
        "/api/v1/workflows/validate", json={"definition": broken}, headers=auth("operator")
    )
    assert street.status_code == 403


def test_one_workflow_with_every_version(ctx: Fresh) -> None:
    client, auth, _ = ctx
    saved = _save(client, auth("admin"), "two_versions", "第一版")
    assert saved.status_code == 201
    assert _save(client, auth("admin"), "two_versions", "第二版").json()["version"] == 2
    body = client.get("/api/v1/workflows/two_versions", headers=auth("street_xuzhuang")).json()
    assert (body["code"], body["name"], body["current_version"]) == ("two_versions", "第二版", 2)
    assert [v["version"] for v in body["versions"]] == [2, 1]
    assert body["versions"][1]["definition"]["initial"] == "reported"
    missing = client.get("/api/v1/workflows/no_such_flow", headers=auth("admin"))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "workflow_not_found"
    refused = _save(client, auth("operator"), "two_versions", "坐席改流程")
    assert refused.status_code == 403


def _point(client: TestClient, auth: Auth) -> dict[str, float]:
    grid = client.get(f"/api/v1/regions/{GRID}", headers=auth("admin")).json()
    point = shapely.geometry.shape(grid["geometry"]).representative_point()
    return {"lon": point.x, "lat": point.y}


def _started_on(engine: Engine, event_id: int) -> tuple[str, str]:
    with Session(engine) as session:
        event = session.get_one(Event, event_id)
        instance = session.get_one(WorkflowInstance, event.workflow_instance_id)
        definition = session.get_one(WorkflowDefinition, instance.definition_id)
        return definition.code, event.level


def test_intake_follows_the_most_specific_binding(ctx: Fresh) -> None:
    client, auth, engine = ctx
    admin = auth("admin")
    flows = ["wf_leaf_grid", "wf_leaf", "wf_group_street", "wf_group", "wf_street", "wf_all"]
    for code in flows:
        assert _save(client, admin, code, code).status_code == 201
    table = [
        {"category_code": "0301", "level": "grid", "workflow_code": "wf_leaf_grid"},
        {"category_code": "0301", "workflow_code": "wf_leaf"},
        {"category_code": "03", "level": "street", "workflow_code": "wf_group_street"},
        {"category_code": "03", "workflow_code": "wf_group"},
        {"level": "street", "workflow_code": "wf_street"},
        {"workflow_code": "wf_all"},
    ]
    saved = client.put("/api/v1/workflow-bindings", json={"bindings": table}, headers=admin)
    assert saved.status_code == 200, saved.text
    assert len(saved.json()) == 6
    where = _point(client, auth)
    reporters = {
        "grid": (f"gw_{GRID}", "grid_worker"),
        "community": ("comm_370811002001", "community"),
        "street": ("street_xuzhuang", "street"),
    }
    cases = [
        ("0301", "grid", "wf_leaf_grid"),  # category and level
        ("0301", "community", "wf_leaf"),  # category
        ("0302", "street", "wf_group_street"),  # group (03) and level
        ("0302", "grid", "wf_group"),  # group
        ("0101", "street", "wf_street"),  # level alone
        ("0101", "community", "wf_all"),  # everything
    ]
    for category, level, expected in cases:
        username, source = reporters[level]
        response = client.post(
            "/api/v1/events",
            json={
                "title": f"绑定测试 {category} {level}",
                "category_code": category,
                "source": source,
                "location": where,
            },
            headers=auth(username),
        )
        assert response.status_code == 201, response.text
        assert _started_on(engine, response.json()["id"]) == (expected, level)

    listed = client.get("/api/v1/workflow-bindings", headers=auth("operator")).json()
    assert {(b["category_code"], b["level"], b["workflow_code"]) for b in listed} == {
        (row.get("category_code", ""), row.get("level", ""), row["workflow_code"]) for row in table
    }
    # An empty table: back to each category's own workflow.
    assert (
        client.put("/api/v1/workflow-bindings", json={"bindings": []}, headers=admin).json() == []
    )
    response = client.post(
        "/api/v1/events",
        json={
            "title": "无绑定",
            "category_code": "0301",
            "source": "grid_worker",
            "location": where,
        },
        headers=auth(f"gw_{GRID}"),
    )
    assert _started_on(engine, response.json()["id"]) == (DEFAULT_WORKFLOW, "grid")


def test_bad_bindings_are_refused_whole(ctx: Fresh) -> None:
    client, auth, _ = ctx
    admin = auth("admin")
    keep = [{"category_code": "0202", "workflow_code": DEFAULT_WORKFLOW}]
    assert client.put(
        "/api/v1/workflow-bindings", json={"bindings": keep}, headers=admin
    ).is_success
    bad = [
        {"category_code": "7777", "workflow_code": DEFAULT_WORKFLOW},
        {"category_code": "0101", "workflow_code": "no_such_flow"},
        {"category_code": "0101", "workflow_code": DEFAULT_WORKFLOW},
    ]
    response = client.put("/api/v1/workflow-bindings", json={"bindings": bad}, headers=admin)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"] == [
        "第 1 行：类别 7777 不存在",
        "第 2 行：流程 no_such_flow 未定义",
        "第 3 行：与前面的行类别和层级相同",
    ]
    current = client.get("/api/v1/workflow-bindings", headers=admin).json()
    assert [(b["category_code"], b["workflow_code"]) for b in current] == [
        ("0202", DEFAULT_WORKFLOW)
    ]
    by_operator = client.put(
        "/api/v1/workflow-bindings", json={"bindings": []}, headers=auth("operator")
    )
    assert by_operator.status_code == 403


def _svg(html: str) -> str:
    found = re.search(r"<svg.*?</svg>", html, re.S)
    assert found, "the page draws no flow chart"
    return found.group(0)


def test_the_page_draws_every_state_and_offers_the_editor_to_admins(ctx: Fresh) -> None:
    client, auth, _ = ctx
    html = client.get(f"/admin/workflows/{DEFAULT_WORKFLOW}", headers=auth("admin")).text
    svg = _svg(html)
    labels = set(re.findall(r'<text class="label"[^>]*>([^<]+)</text>', svg))
    assert labels == {state["label"] for state in EVENT_WORKFLOW["states"].values()}
    groups = re.findall(r'<g class="state([^"]*)" data-state="(\w+)"', svg)
    kinds = {name: kind.split() for kind, name in groups}
    assert "initial" in kinds["reported"]
    assert "final" in kinds["rated"] and "final" in kinds["voided"]
    assert "stopped" in kinds["suspended"]
    assert "时限 4 工时" in svg  # 已派遣's step limit
    edges = re.findall(r'<text class="edge"[^>]*>([^<]+)</text>', svg)
    assert any("派遣" in e for e in edges) and any("签收" in e for e in edges)
    # Acts that keep the state are listed beside it, not drawn as loops.
    assert not any("督办" in e for e in edges) and "督办" in svg
    assert 'data-validate="/api/v1/workflows/validate"' in html and "保存为新版本" in html
    assert "http://" not in svg  # inline SVG needs no namespace URL

    reader = client.get(f"/admin/workflows/{DEFAULT_WORKFLOW}", headers=auth("operator")).text
    assert "<svg" in reader and "保存为新版本" not in reader and "data-validate" not in reader


def test_the_list_page_shows_workflows_and_bindings(ctx: Fresh) -> None:
    client, auth, _ = ctx
    table = [{"category_code": "0202", "workflow_code": DEFAULT_WORKFLOW}]
    client.put("/api/v1/workflow-bindings", json={"bindings": table}, headers=auth("admin"))
    html = client.get("/admin/workflows", headers=auth("admin")).text
    assert f'href="/admin/workflows/{DEFAULT_WORKFLOW}"' in html
    assert "流程绑定" in html and 'data-api="/api/v1/workflow-bindings"' in html
    # The editor's textarea is the request's "bindings" field as it stands: saving it unchanged
    # keeps the table.
    found = re.search(r'<textarea data-field="bindings"[^>]*>(.*?)</textarea>', html, re.S)
    assert found
    shown = json.loads(unescape(found.group(1)))
    assert shown == [{"category_code": "0202", "level": "", "workflow_code": DEFAULT_WORKFLOW}]
    again = client.put("/api/v1/workflow-bindings", json={"bindings": shown}, headers=auth("admin"))
    assert again.status_code == 200 and len(again.json()) == 1
    assert client.get("/admin/workflows", follow_redirects=False).status_code == 303
    old = client.get(
        f"/admin/workflows/{DEFAULT_WORKFLOW}", params={"version": 1}, headers=auth("admin")
    )
    assert old.status_code == 200 and "第 1 版" in old.text

"""Case work beyond the straight loop: assisting departments (主办/协办), reassignment,
reclassification, duplicate suggestions, spot checks of 自办结, bulk actions and exports."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine

from gridgov.config import get_settings
from tests.conftest import Auth
from tests.events.test_api import _department, _do, _inside, _report

Fresh = tuple[TestClient, Auth, Engine]
GRID = "370811002001001"


@pytest.fixture(scope="module")
def ctx(fresh_events: Fresh) -> Fresh:
    return fresh_events


def _new(ctx: Fresh, grid: str = GRID, **fields: Any) -> dict[str, Any]:
    client, auth, _ = ctx
    body = {"location": _inside(client, auth, grid), **fields}
    response = _report(client, auth("operator"), **body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _dispatched(ctx: Fresh, primary: str, assisting: list[str]) -> dict[str, Any]:
    client, auth, engine = ctx
    operator = auth("operator")
    event = _do(client, operator, _new(ctx, title="路口积水，井盖松动"), "accept")
    return dict(
        _do(
            client,
            operator,
            event,
            "dispatch",
            department_id=_department(engine, primary),
            assisting_department_ids=[_department(engine, code) for code in assisting],
        )
    )


def _act(ctx: Fresh, user: str, event: dict[str, Any], action: str, **extra: Any) -> Any:
    client, auth, _ = ctx
    return client.post(
        f"/api/v1/events/{event['id']}/actions/{action}",
        json={"version": event["version"], **extra},
        headers=auth(user),
    )


def test_assisting_departments_feed_back_before_the_primary_can(ctx: Fresh) -> None:
    client, auth, engine = ctx
    event = _dispatched(ctx, "dept-sw", ["dept-cg", "dept-jt"])
    assert [(a["department_id"], a["status"]) for a in event["assists"]] == [
        (_department(engine, "dept-cg"), "assigned"),
        (_department(engine, "dept-jt"), "assigned"),
    ]
    assert all(a["department"] for a in event["assists"])

    # An assisting department sees the case, but may only feed back on its part.
    seen = client.get(f"/api/v1/events/{event['id']}", headers=auth("dept_cg")).json()
    assert [a["action"] for a in seen["actions"]] == ["assist_feedback"]
    refused = _act(ctx, "dept_cg", event, "receive")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_primary_handler"
    # A department neither leading nor assisting does not see it at all.
    assert client.get(f"/api/v1/events/{event['id']}", headers=auth("dept_hb")).status_code == 404

    event = _do(client, auth("dept_sw"), event, "receive")
    early = _act(ctx, "dept_sw", event, "feedback", comment="已更换井盖")
    assert early.status_code == 422
    assert early.json()["error"]["code"] == "assists_pending"

    event = _do(client, auth("dept_cg"), event, "assist_feedback", comment="已清理积水")
    twice = _act(ctx, "dept_cg", event, "assist_feedback", comment="再次反馈")
    assert twice.status_code == 422 and twice.json()["error"]["code"] == "already_fed_back"
    event = _do(client, auth("dept_jt"), event, "assist_feedback", comment="已设置警示")
    assert {a["status"] for a in event["assists"]} == {"fed_back"}
    assert sorted(a["feedback"] for a in event["assists"]) == ["已清理积水", "已设置警示"]

    event = _do(client, auth("dept_sw"), event, "feedback", comment="已更换井盖")
    event = _do(client, auth("operator"), event, "approve")
    assert event["status"] == "closed"
    actions = [s["action"] for s in event["timeline"]]
    assert actions.count("assist_feedback") == 2


def test_assisting_needs_a_dispatch_and_not_the_primary(ctx: Fresh) -> None:
    client, auth, engine = ctx
    event = _do(client, auth("operator"), _new(ctx, title="路灯不亮"), "accept")
    same = _act(
        ctx,
        "operator",
        event,
        "dispatch",
        department_id=_department(engine, "dept-cg"),
        assisting_department_ids=[_department(engine, "dept-cg")],
    )
    assert same.status_code == 422 and same.json()["error"]["code"] == "assist_is_primary"
    stray = _act(ctx, "operator", event, "void", comment="x", assisting_department_ids=[1])
    assert stray.status_code == 422 and stray.json()["error"]["code"] == "assist_not_allowed"


def test_reassign_moves_the_case_to_another_department(ctx: Fresh) -> None:
    client, auth, engine = ctx
    event = _dispatched(ctx, "dept-cg", [])
    event = _do(
        client,
        auth("operator"),
        event,
        "reassign",
        department_id=_department(engine, "dept-sw"),
        comment="井盖归水务",
    )
    assert event["status"] == "dispatched"
    assert event["department_id"] == _department(engine, "dept-sw")
    assert client.get(f"/api/v1/events/{event['id']}", headers=auth("dept_cg")).status_code == 404
    assert client.get(f"/api/v1/events/{event['id']}", headers=auth("dept_sw")).status_code == 200


def test_reassigning_to_an_assisting_department_makes_it_lead(ctx: Fresh) -> None:
    client, auth, engine = ctx
    event = _dispatched(ctx, "dept-cg", ["dept-sw"])
    event = _do(
        client,
        auth("operator"),
        event,
        "reassign",
        department_id=_department(engine, "dept-sw"),
        comment="改由水务主办",
    )
    event = _do(client, auth("dept_sw"), event, "receive")
    # The new lead owes no assisting feedback to itself: it may feed back at once.
    event = _do(client, auth("dept_sw"), event, "feedback", comment="已处置")
    assert event["status"] == "feedback"


def test_classify_changes_the_category_and_its_deadline(ctx: Fresh) -> None:
    client, auth, _ = ctx
    event = _new(ctx, title="有人反映情况", category_code="9901")
    changed = _do(client, auth("operator"), event, "classify", category_code="0401")
    assert changed["category_code"] == "0401" and changed["classified_by"] == "operator"
    # 消防通道占用 has 4 working hours against 其他's 40: the deadline comes forward.
    assert changed["deadline_at"] < event["deadline_at"]
    bad = _act(ctx, "operator", changed, "classify", category_code="04")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_category"


def test_a_nearby_case_of_the_same_category_is_suggested_and_can_be_merged(ctx: Fresh) -> None:
    client, auth, _ = ctx
    grid = "370811006002001"
    first = _new(ctx, grid, title="小区消防通道被车辆堵住", category_code="0401")
    second = _new(ctx, grid, title="消防车道又被占了", category_code="0401")
    other_kind = _new(ctx, grid, title="路灯坏了", category_code="0302")
    assert [d["id"] for d in second["duplicates"]][:1] == [first["id"]]
    assert second["duplicates"][0]["distance_m"] <= get_settings().duplicate_radius_m
    assert (second["duplicates"][0]["lon"], second["duplicates"][0]["lat"]) == (
        first["lon"],
        first["lat"],
    )
    assert first["id"] not in [d["id"] for d in other_kind["duplicates"]]
    assert first["duplicates"] == []

    # A grid worker of another street must not learn of the case through the suggestion.
    elsewhere = client.get(f"/api/v1/events/{second['id']}", headers=auth("gw_370811002001001"))
    assert elsewhere.status_code == 404

    merged = _do(client, auth("operator"), second, "merge", target_id=first["id"])
    assert merged["status"] == "voided" and merged["duplicates"] == []


def test_far_away_or_old_cases_are_not_duplicates(ctx: Fresh) -> None:
    one = _new(ctx, "370811109001001", title="垃圾堆放", category_code="0101")
    far = _new(ctx, "370811111001001", title="垃圾堆放", category_code="0101")
    assert one["id"] not in [d["id"] for d in far["duplicates"]]


def test_self_settled_cases_drawn_for_a_check(ctx: Fresh, monkeypatch: pytest.MonkeyPatch) -> None:
    client, auth, _ = ctx
    worker = auth("gw_370811002001001")
    monkeypatch.setattr(get_settings(), "self_settle_check_share", 1.0)
    drawn = _report(client, worker, location=_inside(client, auth, GRID)).json()
    drawn = _do(client, worker, drawn, "self_settle", comment="已现场处理", **_photo(ctx))
    assert drawn["status"] == "closed" and drawn["spot_check"] == "pending"
    offered = client.get(f"/api/v1/events/{drawn['id']}", headers=auth("operator")).json()
    assert {"spot_check_pass", "spot_check_fail"} <= {a["action"] for a in offered["actions"]}
    failed = _do(client, auth("operator"), offered, "spot_check_fail", comment="现场未清理")
    assert failed["status"] == "handling" and failed["spot_check"] == "failed"

    monkeypatch.setattr(get_settings(), "self_settle_check_share", 0.0)
    kept = _report(client, worker, location=_inside(client, auth, GRID)).json()
    kept = _do(client, worker, kept, "self_settle", comment="已现场处理", **_photo(ctx))
    assert kept["spot_check"] is None
    refused = _act(ctx, "operator", kept, "spot_check_pass")
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "not_drawn_for_check"


def _photo(ctx: Fresh) -> dict[str, Any]:
    """The after photo 自办结 requires, uploaded by the grid worker."""
    client, auth, _ = ctx
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 160, 90)).save(buffer, "JPEG")
    response = client.post(
        "/api/v1/media",
        files={"file": ("after.jpg", buffer.getvalue(), "image/jpeg")},
        headers=auth("gw_370811002001001"),
    )
    assert response.status_code == 201, response.text
    return {"media_ids": [response.json()["id"]]}


def test_bulk_accept_succeeds_per_case_and_reports_the_stale_one(ctx: Fresh) -> None:
    client, auth, _ = ctx
    events = [_new(ctx, title=f"批量受理测试{n}") for n in range(3)]
    stale = {"id": events[2]["id"], "version": events[2]["version"] + 5}
    response = client.post(
        "/api/v1/events/bulk-actions",
        json={
            "action": "accept",
            "items": [{"id": e["id"], "version": e["version"]} for e in events[:2]] + [stale],
        },
        headers=auth("operator"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["succeeded"], body["failed"]) == (2, 1)
    assert [r["ok"] for r in body["results"]] == [True, True, False]
    assert body["results"][2]["error_code"] == "stale_version"
    states = [
        client.get(f"/api/v1/events/{e['id']}", headers=auth("operator")).json()["status"]
        for e in events
    ]
    assert states == ["accepted", "accepted", "reported"]


def test_bulk_by_a_role_without_the_right_fails_every_item(ctx: Fresh) -> None:
    client, auth, _ = ctx
    event = _new(ctx, title="批量越权测试")
    response = client.post(
        "/api/v1/events/bulk-actions",
        json={"action": "accept", "items": [{"id": event["id"], "version": event["version"]}]},
        headers=auth("citizen1"),
    )
    assert response.status_code == 200
    assert response.json()["results"][0]["ok"] is False


def _csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_export_csv_and_xlsx_follow_the_filters_and_scope(ctx: Fresh) -> None:
    client, auth, _ = ctx
    marker = _new(ctx, title="=HYPERLINK(导出测试)")
    response = client.get(
        "/api/v1/events/export", params={"q": "导出测试"}, headers=auth("operator")
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = _csv_rows(response.content)
    assert rows[0][:3] == ["编号", "标题", "类别编码"]
    assert [r[0] for r in rows[1:]] == [marker["code"]]
    assert rows[1][1] == "'=HYPERLINK(导出测试)"  # never a live formula in a spreadsheet

    xlsx = client.get(
        "/api/v1/events/export",
        params={"q": "导出测试", "format": "xlsx"},
        headers=auth("operator"),
    )
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][0] == marker["code"] and len(values) == 2

    # A street sees only its own cases in the export too.
    street = client.get(
        "/api/v1/events/export", params={"q": "导出测试"}, headers=auth("street_nanzhang")
    )
    assert len(_csv_rows(street.content)) == 1


def test_an_export_larger_than_the_limit_is_refused(
    ctx: Fresh, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, auth, _ = ctx
    monkeypatch.setattr(get_settings(), "export_max_rows", 1)
    response = client.get("/api/v1/events/export", headers=auth("operator"))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "export_too_large"

"""Early warning: the rules as pure functions (found and quiet), and alerts through the API —
raised with the reason, sent to the community, acknowledged and closed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from gridgov.mediation.models import AlertRule
from gridgov.mediation.rules import (
    DisputeFacts,
    address_key,
    grade_finding,
    history_findings,
    violence_finding,
)
from tests.conftest import Auth
from tests.mediation.conftest import Fresh

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
COMMUNITY = "370811002001"


def facts(n: int, days_before: float, keys: set[str], address: str = "") -> DisputeFacts:
    return DisputeFacts(
        n, f"JF{n:04d}", T0 - timedelta(days=days_before), frozenset(keys), address_key(address)
    )


SUBJECT = facts(1, 0, {"p:1", "p:2"}, "许庄社区3号楼")
NAMES = {"p:1": "张三", "p:2": "李四"}


def rules_of(others: list[DisputeFacts], subject: DisputeFacts = SUBJECT) -> dict[str, str]:
    return {f.rule.value: f.reason for f in history_findings(subject, others, NAMES)}


def test_repeated_party_within_a_year() -> None:
    found = rules_of([facts(2, 200, {"p:1", "p:9"})])
    assert list(found) == [AlertRule.REPEAT_PARTY]
    assert "张三" in found["repeat_party"] and "JF0002" in found["repeat_party"]
    assert rules_of([facts(2, 400, {"p:1"})]) == {}  # longer ago than a year
    assert rules_of([facts(2, 30, {"p:7", "p:8"})]) == {}  # other people
    assert rules_of([facts(2, -3, {"p:1"})]) == {}  # a later dispute does not count


def test_frequent_disputes_in_ninety_days() -> None:
    found = rules_of([facts(2, 20, {"p:2"}), facts(3, 80, {"p:2", "p:5"})])
    assert list(found) == [AlertRule.FREQUENT]
    assert "李四" in found["frequent"] and "3 起" in found["frequent"]
    # Three within 120 days is not "several in 90": the repeated-party rule speaks instead.
    spread = rules_of([facts(2, 20, {"p:2"}), facts(3, 120, {"p:2"})])
    assert list(spread) == [AlertRule.REPEAT_PARTY]


def test_same_address() -> None:
    found = rules_of([facts(2, 100, {"p:7"}, "许庄社区 3号楼")])
    assert AlertRule.REPEAT_ADDRESS in found and "1 起" in found["repeat_address"]
    assert rules_of([facts(2, 200, {"p:7"}, "许庄社区3号楼")]) == {}  # older than 180 days
    assert rules_of([facts(2, 10, {"p:7"}, "许庄社区4号楼")]) == {}
    assert address_key("许庄社区，3号楼（东）") == "许庄社区3号楼东"


def test_violence_words_and_grades() -> None:
    found = violence_finding("对方扬言要报复，还说要持刀上门", "调解笔录")
    assert found is not None and found.rule == AlertRule.VIOLENCE
    assert "扬言" in found.reason and "持刀" in found.reason and "调解笔录" in found.reason
    assert violence_finding("双方情绪平稳，同意协商解决") is None
    raised = grade_finding("general", "serious")
    assert raised is not None and "一般" in raised.reason and "重大" in raised.reason
    assert grade_finding("major", "general") is None
    assert grade_finding("major", "major") is None


def register(client: TestClient, auth: Auth, grid: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "dispute_type": "neighbour",
        "title": "邻里纠纷",
        "grid_code": grid,
        "address": "预警测试小区8号楼",
        "parties": [
            {"name": "孙反复", "id_number": "370829197001010013"},
            {"name": "周邻居", "role": "respondent", "phone": "13600002222"},
        ],
        **overrides,
    }
    response = client.post("/api/v1/disputes", json=body, headers=auth(f"comm_{COMMUNITY}"))
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_alerts_are_raised_sent_acknowledged_and_closed(fresh_mediation: Fresh) -> None:
    client, auth, _ = fresh_mediation
    staff = auth(f"comm_{COMMUNITY}")
    grid = client.get(
        "/api/v1/regions", params={"level": "grid", "parent_code": COMMUNITY}, headers=staff
    ).json()["items"][0]["code"]
    quiet = register(client, auth, grid)
    assert quiet["alerts"] == []
    again = register(client, auth, grid, title="又起纠纷")
    rules = {a["rule"]: a for a in again["alerts"]}
    assert set(rules) == {"repeat_party", "repeat_address"}
    assert quiet["code"] in rules["repeat_party"]["reason"]
    assert "孙反复" in rules["repeat_party"]["reason"]
    assert all(a["status"] == "open" and a["notified"] >= 1 for a in again["alerts"])
    notes = client.get("/api/v1/notifications", params={"page_size": 100}, headers=staff).json()
    assert any(
        n["kind"] == "dispute_alert" and n["link"] == f"/disputes/{again['id']}"
        for n in notes["items"]
    )
    listed = client.get("/api/v1/dispute-alerts", params={"status": "open"}, headers=staff).json()
    assert {a["id"] for a in again["alerts"]} <= {a["id"] for a in listed["items"]}

    # Violence in a session's notes, and a raised grade, each raise their own alert.
    dispute = again
    for action, fields in (
        ("accept", {}),
        (
            "session",
            {
                "session_date": "2026-01-05",
                "participants": ["孙反复", "周邻居"],
                "comment": "孙某情绪激动，扬言要报复对方。",
            },
        ),
        ("regrade", {"risk_grade": "major", "comment": "有激化苗头"}),
    ):
        dispute = client.post(
            f"/api/v1/disputes/{dispute['id']}/actions/{action}",
            json={"version": dispute["version"], **fields},
            headers=staff,
        ).json()
    assert {a["rule"] for a in dispute["alerts"]} == {
        "repeat_party",
        "repeat_address",
        "violence",
        "grade_raised",
    }

    alert = rules["repeat_party"]
    done = client.post(
        f"/api/v1/dispute-alerts/{alert['id']}/acknowledge", json={"note": ""}, headers=staff
    )
    assert done.status_code == 200 and done.json()["status"] == "acknowledged"
    assert done.json()["acknowledged_by"] == f"comm_{COMMUNITY}"
    twice = client.post(f"/api/v1/dispute-alerts/{alert['id']}/acknowledge", json={}, headers=staff)
    assert twice.status_code == 422
    bare = client.post(f"/api/v1/dispute-alerts/{alert['id']}/close", json={}, headers=staff)
    assert bare.status_code == 422 and bare.json()["error"]["code"] == "note_required"
    closed = client.post(
        f"/api/v1/dispute-alerts/{alert['id']}/close",
        json={"note": "已会同派出所走访，双方承诺不再争执"},
        headers=staff,
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    # The leader reads alerts but does not handle them.
    leader = client.post(
        f"/api/v1/dispute-alerts/{rules['repeat_address']['id']}/acknowledge",
        json={},
        headers=auth("leader"),
    )
    assert leader.status_code == 403
    # A new dispute of the same person while the old alert is closed raises it again.
    third = register(client, auth, grid, title="第三次纠纷")
    assert "frequent" in {a["rule"] for a in third["alerts"]}

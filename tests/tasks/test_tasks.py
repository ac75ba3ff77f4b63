"""Tasks (任务下发): sending by grid and by account, accepting, completing exactly once,
progress, cancelling, reminders, and who may see and do what."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from gridgov.accounts.actor import Actor
from gridgov.accounts.models import GridAssignment, User
from gridgov.audit.models import AuditEntry
from gridgov.db import session_factory, unit_of_work
from gridgov.kit import clock
from gridgov.notifications.models import Notification
from gridgov.tasks import services as tasks
from tests.conftest import Auth
from tests.media.test_media import png

XUZHUANG = "370811/370811002/"
NANZHANG = "370811/370811006/"


def _grid_workers(engine: Engine, street: str) -> dict[str, list[str]]:
    """Grid code → usernames of its workers, for the basic grids of a street."""
    with session_factory(engine)() as session:
        rows = session.execute(
            select(GridAssignment.region_path, User.username)
            .join(User, User.id == GridAssignment.user_id)
            .where(GridAssignment.region_path.startswith(street))
            .order_by(GridAssignment.region_path, User.id)
        ).all()
    grids: dict[str, list[str]] = {}
    for path, username in rows:
        parts = path.strip("/").split("/")
        if len(parts) == 4:  # district/street/community/grid: a basic grid
            grids.setdefault(parts[-1], []).append(username)
    return grids


def _user_ids(engine: Engine, usernames: list[str]) -> dict[str, int]:
    with session_factory(engine)() as session:
        rows = session.execute(select(User.username, User.id).where(User.username.in_(usernames)))
        return {name: uid for name, uid in rows}


def _deadline(hours: float = 48) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def _send(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    payload = {
        "title": f"测试任务 {uuid.uuid4().hex[:6]}",
        "kind": "patrol_area",
        "description": "巡查辖区内积水点",
        "deadline_at": _deadline(),
        **body,
    }
    return client.post("/api/v1/tasks", json=payload, headers=headers)


@pytest.fixture
def frozen() -> Iterator[list[datetime]]:
    moments = [datetime.now(UTC)]
    clock.set_clock(lambda: moments[-1])
    yield moments
    clock.reset_clock()


def test_center_sends_to_grids_and_workers_accept_and_complete(
    client: TestClient, auth: Auth, demo_engine: Engine
) -> None:
    grids = _grid_workers(demo_engine, XUZHUANG)
    two = sorted(grids)[:2]
    expected = sorted(u for code in two for u in grids[code])
    center = auth("operator")
    sent = _send(client, center, grid_codes=two)
    assert sent.status_code == 201, sent.text
    task = sent.json()
    ids = _user_ids(demo_engine, expected)
    assert sorted(a["user_id"] for a in task["assignments"]) == sorted(ids.values())
    assert {a["grid_code"] for a in task["assignments"]} == set(two)
    assert task["progress"] == {
        "total": len(expected),
        "sent": len(expected),
        "accepted": 0,
        "completed": 0,
        "cancelled": 0,
        "overdue": 0,
    }
    assert sorted(task["grid_codes"]) == two and task["status"] == "open"

    worker, other = expected[0], expected[-1]
    inbox = client.get("/api/v1/notifications", headers=auth(worker)).json()["items"]
    assert any(n["link"] == f"/tasks/{task['id']}" for n in inbox)
    mine = client.get("/api/v1/tasks", params={"mine": True}, headers=auth(worker)).json()
    listed = next(t for t in mine["items"] if t["id"] == task["id"])
    assert listed["my_assignment"]["status"] == "sent"
    assert listed["progress"]["total"] == 1  # a worker sees their own part only

    accepted = client.post(f"/api/v1/tasks/{task['id']}/accept", json={}, headers=auth(worker))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["my_assignment"]["status"] == "accepted"
    photo = client.post(
        "/api/v1/media", files={"file": ("p.png", png(), "image/png")}, headers=auth(worker)
    ).json()["id"]
    result = {
        "client_id": uuid.uuid4().hex,
        "result": "已巡查，未发现积水",
        "media_ids": [photo],
        "values": {"points_checked": 4},
    }
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json=result, headers=auth(worker))
    assert done.status_code == 201, done.text
    own = done.json()["my_assignment"]
    assert own["status"] == "completed" and own["media_ids"] == [photo]
    assert own["values"] == {"points_checked": 4}
    # The same submission again (an offline retry): the first result, 200.
    again = client.post(f"/api/v1/tasks/{task['id']}/complete", json=result, headers=auth(worker))
    assert again.status_code == 200
    assert again.json()["my_assignment"]["completed_at"] == own["completed_at"]
    # A second, different completion is refused.
    twice = client.post(
        f"/api/v1/tasks/{task['id']}/complete",
        json={**result, "client_id": uuid.uuid4().hex, "result": "改了"},
        headers=auth(worker),
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_completed"

    progress = client.get(f"/api/v1/tasks/{task['id']}", headers=center).json()
    assert progress["progress"]["completed"] == 1
    assert progress["progress"]["sent"] == len(expected) - 1
    row = next(a for a in progress["assignments"] if a["user_id"] == ids[worker])
    assert row["result"] == "已巡查，未发现积水" and [m["id"] for m in row["media"]] == [photo]
    # The photo is readable by the sender, not by another street.
    assert client.get(f"/api/v1/media/{photo}/meta", headers=center).status_code == 200
    assert (
        client.get(f"/api/v1/media/{photo}/meta", headers=auth("street_nanzhang")).status_code
        == 404
    )
    if other != worker:
        # A worker cannot complete someone else's part, nor see it.
        seen = client.get(f"/api/v1/tasks/{task['id']}", headers=auth(other)).json()
        assert [a["user_id"] for a in seen["assignments"]] == [ids[other]]
    outsider = next(u for code, us in sorted(grids.items()) if code not in two for u in us)
    for action in ("accept", "complete"):
        refused = client.post(
            f"/api/v1/tasks/{task['id']}/{action}", json=result, headers=auth(outsider)
        )
        assert refused.status_code == 404, refused.text
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=auth(outsider)).status_code == 404
    with session_factory(demo_engine)() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.object_type == "task", AuditEntry.object_id == str(task["id"])
            )
        ).all()
    assert sorted(actions) == ["task.accept", "task.complete", "task.create"]


def test_a_street_sends_only_inside_its_street(
    client: TestClient, auth: Auth, demo_engine: Engine
) -> None:
    foreign = _grid_workers(demo_engine, NANZHANG)
    code = sorted(foreign)[0]
    street = auth("street_xuzhuang")
    refused = _send(client, street, grid_codes=[code])
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "grid_not_found"
    worker_id = _user_ids(demo_engine, foreign[code])[foreign[code][0]]
    refused = _send(client, street, assignee_ids=[worker_id])
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "assignee_not_found"
    # Only workers and social participants receive tasks; a sender must name someone.
    staff = _user_ids(demo_engine, ["comm_370811002001"])["comm_370811002001"]
    refused = _send(client, street, assignee_ids=[staff])
    assert refused.json()["error"]["code"] == "not_a_recipient"
    assert _send(client, street).json()["error"]["code"] == "no_recipients"
    past = _send(
        client,
        street,
        grid_codes=[sorted(_grid_workers(demo_engine, XUZHUANG))[0]],
        deadline_at=_deadline(-1),
    )
    assert past.json()["error"]["code"] == "deadline_in_past"
    # Workers receive tasks; they do not send them.
    worker = foreign[code][0]
    assert _send(client, auth(worker), grid_codes=[code]).status_code == 403


def test_a_district_task_shows_each_street_its_own_part(
    client: TestClient, auth: Auth, demo_engine: Engine
) -> None:
    own = sorted(_grid_workers(demo_engine, XUZHUANG))[:1]
    other = sorted(_grid_workers(demo_engine, NANZHANG))[:1]
    task = _send(client, auth("operator"), grid_codes=own + other).json()
    assert task["region_code"] == "370811"
    seen = client.get(f"/api/v1/tasks/{task['id']}", headers=auth("street_xuzhuang")).json()
    assert seen["grid_codes"] == own
    assert {a["grid_code"] for a in seen["assignments"]} == set(own)
    # Only the sender or someone over the whole task may withdraw it.
    assert seen["can_cancel"] is False
    refused = client.post(
        f"/api/v1/tasks/{task['id']}/cancel", json={}, headers=auth("street_xuzhuang")
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_task_sender"


def test_cancel_withdraws_open_parts_and_keeps_completed_ones(
    client: TestClient, auth: Auth, demo_engine: Engine
) -> None:
    grids = _grid_workers(demo_engine, XUZHUANG)
    chosen = sorted(grids)[2:4]
    street = auth("street_xuzhuang")
    task = _send(client, street, grid_codes=chosen).json()
    first, second = grids[chosen[0]][0], grids[chosen[1]][0]
    done = client.post(
        f"/api/v1/tasks/{task['id']}/complete",
        json={"client_id": uuid.uuid4().hex, "result": "完成"},
        headers=auth(first),
    )
    assert done.status_code == 201
    cancelled = client.post(
        f"/api/v1/tasks/{task['id']}/cancel", json={"reason": "天气原因取消"}, headers=street
    )
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["status"] == "cancelled"
    assert body["progress"]["completed"] == 1 and body["progress"]["cancelled"] >= 1
    late = client.post(
        f"/api/v1/tasks/{task['id']}/complete",
        json={"client_id": uuid.uuid4().hex, "result": "完成"},
        headers=auth(second),
    )
    assert late.status_code == 409 and late.json()["error"]["code"] == "task_cancelled"
    inbox = client.get("/api/v1/notifications", headers=auth(second)).json()["items"]
    assert any(n["title"].startswith("任务已撤销") for n in inbox)
    again = client.post(f"/api/v1/tasks/{task['id']}/cancel", json={}, headers=street)
    assert again.status_code == 409
    assert (
        client.post(
            f"/api/v1/tasks/{task['id']}/cancel", json={}, headers=auth("street_nanzhang")
        ).status_code
        == 404
    )


def test_a_social_organisation_completes_its_task_and_sees_nothing_else(
    client: TestClient, auth: Auth, demo_engine: Engine
) -> None:
    social_id = _user_ids(demo_engine, ["social_xuzhuang"])["social_xuzhuang"]
    street = auth("street_xuzhuang")
    sent = _send(
        client,
        street,
        kind="other",
        title="志愿者平安巡逻（测试）",
        assignee_ids=[social_id],
    )
    assert sent.status_code == 201, sent.text
    task = sent.json()
    social = auth("social_xuzhuang")
    listed = client.get("/api/v1/tasks", params={"page_size": 500}, headers=social).json()
    assert task["id"] in {t["id"] for t in listed["items"]}
    # Only tasks addressed to it: every listed task has its own part.
    assert all(t["my_assignment"] is not None for t in listed["items"])
    assert all(t["progress"]["total"] == 1 for t in listed["items"])
    done = client.post(
        f"/api/v1/tasks/{task['id']}/complete",
        json={"client_id": uuid.uuid4().hex, "result": "组织志愿者 8 人巡逻 2 小时"},
        headers=social,
    )
    assert done.status_code == 201, done.text
    assert done.json()["status"] == "done"
    # The street's other tasks (to its grid workers) are not the organisation's business.
    worker_task = _send(
        client, street, grid_codes=[sorted(_grid_workers(demo_engine, XUZHUANG))[0]]
    ).json()
    assert client.get(f"/api/v1/tasks/{worker_task['id']}", headers=social).status_code == 404
    # Enterprises (district-wide accounts) receive tasks from the center, not from a street.
    enterprise = _user_ids(demo_engine, ["ent_water"])["ent_water"]
    assert _send(client, street, assignee_ids=[enterprise]).status_code == 422
    assert _send(client, auth("operator"), assignee_ids=[enterprise]).status_code == 201


def test_progress_counts_overdue_and_reminders_go_out_once(
    client: TestClient, auth: Auth, demo_engine: Engine, frozen: list[datetime]
) -> None:
    grids = _grid_workers(demo_engine, XUZHUANG)
    code = sorted(grids)[4]
    street = auth("street_xuzhuang")
    task = _send(client, street, grid_codes=[code], deadline_at=_deadline(10)).json()
    with unit_of_work(demo_engine) as session:
        reminded = tasks.remind_due(session)
    assert reminded >= len(grids[code])
    with unit_of_work(demo_engine) as session:
        assert tasks.remind_due(session) == 0
    with session_factory(demo_engine)() as session:
        ids = _user_ids(demo_engine, grids[code])
        titles = session.scalars(
            select(Notification.title).where(
                Notification.user_id.in_(ids.values()),
                Notification.link == f"/tasks/{task['id']}",
            )
        ).all()
    assert sorted(titles).count(f"任务即将到期：{task['title']}") == len(grids[code])
    frozen.append(frozen[-1] + timedelta(hours=11))
    late = client.get(f"/api/v1/tasks/{task['id']}", headers=street).json()
    assert late["overdue"] is True
    assert late["progress"]["overdue"] == len(grids[code])
    overdue = client.get(
        "/api/v1/tasks", params={"overdue": True, "page_size": 500}, headers=street
    ).json()
    assert task["id"] in {t["id"] for t in overdue["items"]}


def test_completed_count_per_day_for_the_daily_report(
    client: TestClient, auth: Auth, demo_engine: Engine
) -> None:
    grids = _grid_workers(demo_engine, XUZHUANG)
    code = sorted(grids)[5]
    worker = grids[code][0]
    worker_id = _user_ids(demo_engine, [worker])[worker]
    start = datetime.now(UTC) - timedelta(hours=1)
    end = start + timedelta(hours=2)
    with session_factory(demo_engine)() as session:
        before = tasks.count_done_by_user_day(
            session, [worker_id], start, end, actor=Actor.system("test")
        ).get(worker_id, 0)
    task = _send(client, auth("operator"), grid_codes=[code]).json()
    done = client.post(
        f"/api/v1/tasks/{task['id']}/complete",
        json={"client_id": uuid.uuid4().hex, "result": "完成"},
        headers=auth(worker),
    )
    assert done.status_code == 201
    with session_factory(demo_engine)() as session:
        counted = tasks.count_done_by_user_day(
            session, [worker_id], start, end, actor=Actor.system("test")
        )
    assert counted[worker_id] == before + 1


def test_seeded_tasks_reach_workers_and_social_accounts(client: TestClient, auth: Auth) -> None:
    center = client.get("/api/v1/tasks", params={"page_size": 500}, headers=auth("operator"))
    items = center.json()["items"]
    assert center.json()["total"] > 100
    assert {t["status"] for t in items} >= {"open", "done"}
    assert any(t["progress"]["overdue"] for t in items)
    enterprise = client.get("/api/v1/tasks", headers=auth("ent_water")).json()
    assert enterprise["total"] > 0
    assert any("消防安全自查" in t["title"] for t in enterprise["items"])
    street = client.get(
        "/api/v1/tasks", params={"page_size": 500}, headers=auth("street_xuzhuang")
    ).json()
    assert street["total"] > 0
    assert all(
        all(code.startswith("370811002") for code in t["grid_codes"]) for t in street["items"]
    )

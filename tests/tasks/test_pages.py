"""The task pages, checked as HTML and through the same JSON calls form.js makes: the list with
progress, the send form limited to the sender's grids, the task page with each recipient's part,
a worker's accept and complete forms, and the sender's cancel form."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gridgov.config import Settings
from gridgov.kit.clock import format_local, now
from tests.web.test_pages import _logged_in

GRID = "370811002001003"


def _csrf(browser: TestClient, path: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(path).text)
    assert token
    return token.group(1)


def test_send_follow_and_complete_a_task_through_the_pages(
    demo_settings: Settings, demo_engine: Engine
) -> None:
    street = _logged_in(demo_settings, demo_engine, "street_xuzhuang")
    assert 'href="/tasks"' in street.get("/").text
    listing = street.get("/tasks")
    assert listing.status_code == 200 and "task-progress" in listing.text
    form = street.get("/tasks/new")
    assert form.status_code == 200
    assert f'value="{GRID}"' in form.text and "370811006" not in form.text
    assert "social_xuzhuang" not in form.text and "人民调解委员会" in form.text
    # What form.js sends: the deadline as typed (local time, no offset).
    deadline = format_local(now() + timedelta(days=2)).replace(" ", "T")
    sent = street.post(
        "/api/v1/tasks",
        json={
            "title": "页面下发的巡查任务",
            "kind": "patrol_area",
            "deadline_at": deadline,
            "grid_codes": [GRID],
        },
        headers={"X-CSRF-Token": _csrf(street, "/tasks/new")},
    )
    assert sent.status_code == 201, sent.text
    task = sent.json()
    typed = deadline.replace("T", " ")
    assert format_local(datetime.fromisoformat(task["deadline_at"])) == typed
    page = street.get(f"/tasks/{task['id']}").text
    assert "页面下发的巡查任务" in page and "待接收" in page and "撤销任务" in page

    worker = _logged_in(demo_settings, demo_engine, f"gw_{GRID}")
    mine = worker.get("/tasks").text
    assert "页面下发的巡查任务" in mine
    own = worker.get(f"/tasks/{task['id']}").text
    assert "接收任务" in own and "提交任务结果" in own and "撤销任务" not in own
    client_id = re.search(r'data-field="client_id" data-type="text" value="([^"]+)"', own)
    assert client_id
    csrf = _csrf(worker, "/tasks")
    done = worker.post(
        f"/api/v1/tasks/{task['id']}/complete",
        json={"client_id": client_id.group(1), "result": "已按要求巡查完毕"},
        headers={"X-CSRF-Token": csrf},
    )
    assert done.status_code == 201, done.text
    after = street.get(f"/tasks/{task['id']}").text
    assert "已按要求巡查完毕" in after and "已完成" in after


def test_accounts_without_tasks_see_no_task_pages(
    demo_settings: Settings, demo_engine: Engine
) -> None:
    department = _logged_in(demo_settings, demo_engine, "dept_cg")
    assert 'href="/tasks"' not in department.get("/").text
    assert department.get("/tasks").status_code == 403
    worker = _logged_in(demo_settings, demo_engine, f"gw_{GRID}")
    assert worker.get("/tasks/new").status_code == 403

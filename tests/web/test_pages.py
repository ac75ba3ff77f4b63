"""Pages rendered by the server, checked as HTML."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gridgov.app import create_app
from gridgov.config import Settings
from tests.conftest import DEMO_PASSWORD


def _logged_in(settings: Settings, engine: Engine, username: str) -> TestClient:
    browser = TestClient(create_app(settings, engine))
    page = browser.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    done = browser.post(
        "/login",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    return browser


def test_home_shows_identity_scope_and_only_permitted_modules(
    demo_settings: Settings, demo_engine: Engine
) -> None:
    worker = _logged_in(demo_settings, demo_engine, "gw_370811002001001")
    html = worker.get("/").text
    assert "网格员" in html and "370811002001001" in html
    assert 'href="/regions"' in html
    assert 'href="/users"' not in html and 'href="/audit"' not in html
    assert 'href="/analytics"' in html and 'href="/m/worker/"' in html
    # A social organisation reads its own cases and tasks, not an area's statistics.
    social = _logged_in(demo_settings, demo_engine, "social_xuzhuang").get("/").text
    assert 'href="/tasks"' in social and 'href="/analytics"' not in social
    admin = _logged_in(demo_settings, demo_engine, "admin")
    html = admin.get("/").text
    assert "全辖区" in html and 'href="/audit"' in html


def test_regions_page_lists_scope_with_pager(demo_settings: Settings, demo_engine: Engine) -> None:
    browser = _logged_in(demo_settings, demo_engine, "street_nanzhang")
    html = browser.get("/regions", params={"level": "grid"}).text
    codes = set(re.findall(r">(370811\d{9})<", html))
    assert codes and all(code.startswith("370811006") for code in codes)
    assert "共" in html
    empty = browser.get("/regions", params={"q": "不存在的名字"}).text
    assert "没有符合条件的区域" in empty


def test_region_page_draws_outline_and_children(
    demo_settings: Settings, demo_engine: Engine
) -> None:
    browser = _logged_in(demo_settings, demo_engine, "leader")
    html = browser.get("/regions/370811109").text
    assert "石桥镇" in html
    assert html.count('class="child"') >= 5  # the communities drawn inside the street
    assert "<svg" in html


def test_foreign_region_page_is_refused(demo_settings: Settings, demo_engine: Engine) -> None:
    browser = _logged_in(demo_settings, demo_engine, "street_nanzhang")
    response = browser.get("/regions/370811002001")
    assert response.status_code == 404
    assert "不在您的管辖范围内" in response.text
    assert "和都社区" not in response.text


def test_users_and_audit_pages(demo_settings: Settings, demo_engine: Engine) -> None:
    admin = _logged_in(demo_settings, demo_engine, "admin")
    users = admin.get("/users", params={"role": "street_staff"}).text
    assert "street_xuzhuang" in users and "gw_370811002001001" not in users
    audit = admin.get("/audit", params={"action": "auth.login"}).text
    assert "auth.login" in audit
    orgs = admin.get("/organisations", params={"kind": "department"}).text
    assert "综合行政执法局" in orgs


def test_event_pages_show_queue_timeline_and_actions(
    demo_settings: Settings, demo_engine: Engine
) -> None:
    operator = _logged_in(demo_settings, demo_engine, "operator")
    queue = operator.get("/events", params={"status": "reported"}).text
    ids = re.findall(r'href="/events/(\d+)"', queue)
    assert ids, "the demo has cases waiting to be accepted"
    case = operator.get(f"/events/{ids[0]}").text
    assert "办理时间线" in case and "已上报" in case
    assert 'aria-label="事件所在网格"' in case and '<circle class="case' in case
    assert 'data-api="/api/v1/events/' in case and "受理立案" in case
    street = _logged_in(demo_settings, demo_engine, "street_yutun")
    listing = street.get("/events").text
    grids = set(re.findall(r">(370811\d{9})<", listing))
    assert grids and all(code.startswith("370811111") for code in grids)
    overdue = operator.get("/events", params={"overdue": ""})
    assert overdue.status_code == 200


def test_workbench_tabs_follow_the_role_and_map_the_cases(
    demo_settings: Settings, demo_engine: Engine
) -> None:
    operator = _logged_in(demo_settings, demo_engine, "operator")
    queue = operator.get("/workbench").text
    tabs = re.findall(r'href="/workbench\?tab=(\w+)"', queue)
    assert tabs[:2] == ["new", "accepted"] and "to_receive" not in tabs
    rows = re.findall(r'name="item" value="(\d+)" data-version="(\d+)"', queue)
    assert rows, "the demo has new cases, each with a checkbox for bulk actions"
    assert "批量受理" in queue and "导出 Excel" in queue
    assert queue.count('<circle class="case') == len(rows)

    handler = _logged_in(demo_settings, demo_engine, "dept_cg")
    tabs = re.findall(r'href="/workbench\?tab=(\w+)"', handler.get("/workbench").text)
    assert tabs[0] == "to_receive" and "assisting" in tabs and "new" not in tabs

    street = _logged_in(demo_settings, demo_engine, "street_yutun")
    listing = street.get("/workbench", params={"tab": "all"}).text
    grids = set(re.findall(r"<td>(370811\d{9})</td>", listing))
    assert grids and all(code.startswith("370811111") for code in grids)

    citizen = _logged_in(demo_settings, demo_engine, "citizen1")
    assert "批量" not in citizen.get("/workbench").text

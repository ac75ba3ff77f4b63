"""The worker app in headless Chromium, as a grid worker on a phone: sign in, go offline,
report a problem with a photo, see it wait in the outbox, come back online and find exactly one
case with its photo; lose the answer to a report on the way back and still find one case; and
open the app again with no network at all."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import cast

import pytest
from fastapi import FastAPI
from playwright import sync_api
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gridgov.events.models import Event
from gridgov.media.models import Media
from tests.browser import BROWSER_ARGS, chromium, serving
from tests.conftest import DEMO_PASSWORD
from tests.media.test_media import inside, jpeg
from tests.worker_app.conftest import GRID, WORKER, Fresh


@pytest.fixture(scope="module")
def site(worker_district: Fresh) -> Iterator[tuple[str, Fresh]]:
    client, _auth, engine = worker_district
    app = cast(FastAPI, client.app)
    with serving(app.state.settings, engine) as url:
        yield url, worker_district


def cases_titled(engine: Engine, title: str) -> list[Event]:
    with Session(engine) as session:
        return list(session.scalars(select(Event).where(Event.title == title)))


def photos_of(engine: Engine, event_id: int) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.execute(
            select(Media.role, func.count())
            .where(Media.subject_type == "event", Media.subject_id == event_id)
            .group_by(Media.role)
        ).all()
        return {str(role): int(n) for role, n in rows}


def queued(page: sync_api.Page, expected: int | None = None) -> int:
    """The outbox count the header shows; with ``expected``, after waiting for it to show that
    (the header is redrawn after IndexedDB answers, a moment after the click)."""
    if expected is not None:
        # On a time-out the caller's assertion reports what is shown instead.
        with contextlib.suppress(sync_api.TimeoutError):
            page.wait_for_function(
                "n => document.querySelector('#queue-count').textContent.trim() === String(n)",
                arg=expected,
                timeout=10_000,
            )
    return int(page.locator("#queue-count").inner_text())


def report(page: sync_api.Page, title: str, photo: bytes) -> None:
    page.click("#tabbar button[data-tab=report]")
    page.fill("#r-title", title)
    page.fill("#r-description", "人行道上的井盖缺失，行人容易踩空")
    page.click("#r-gps")
    page.wait_for_selector("#r-coords:has-text('当前位置')")
    page.set_input_files(
        "#r-photos", {"name": "scene.jpg", "mimeType": "image/jpeg", "buffer": photo}
    )
    assert page.locator("#r-previews img").count() == 1
    page.click("#r-submit")


@pytest.fixture
def phone(site: tuple[str, Fresh]) -> Iterator[tuple[sync_api.BrowserContext, sync_api.Page]]:
    server, (client, auth, _engine) = site
    point = inside(client, auth, GRID)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=BROWSER_ARGS)
        context = browser.new_context(
            geolocation={"longitude": point["lon"], "latitude": point["lat"]},
            permissions=["geolocation"],
            viewport={"width": 390, "height": 844},
            is_mobile=True,
            has_touch=True,
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server}/m/worker/")
        page.wait_for_selector("body[data-ready=login]")
        page.fill("#login-form input[name=username]", WORKER)
        page.fill("#login-form input[name=password]", DEMO_PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("body[data-ready=true]")
        # Once the service worker controls the page, the app's files are kept for offline use.
        page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
        page.reload()
        page.wait_for_selector("body[data-ready=true]")
        assert page.evaluate("() => !!navigator.serviceWorker.controller")
        yield context, page
        # Offline fetches fail by design; what must not happen is an error the app did not catch.
        assert errors == [], errors
        browser.close()


def test_an_offline_report_with_a_photo_is_sent_once_when_back_online(
    site: tuple[str, Fresh], phone: tuple[sync_api.BrowserContext, sync_api.Page]
) -> None:
    _server, (_client, _auth, engine) = site
    context, page = phone
    title = "离线上报：井盖缺失"
    context.set_offline(True)
    page.wait_for_selector("#net:has-text('离线')")
    report(page, title, jpeg((640, 480)))
    page.wait_for_selector("#report-message:has-text('已保存在本机')")
    assert queued(page, 1) == 1
    page.click("#outbox-open")
    item = page.locator("#outbox-list li[data-kind=report]")
    assert "事件上报" in item.inner_text() and title in item.inner_text()
    assert cases_titled(engine, title) == []

    context.set_offline(False)
    page.wait_for_selector("#queue-count:text-is('0')", timeout=30_000)
    page.wait_for_selector("#net:has-text('在线')")
    cases = cases_titled(engine, title)
    assert len(cases) == 1
    case = cases[0]
    assert (case.source, case.status, case.region_path.rstrip("/").split("/")[-1]) == (
        "grid_worker",
        "reported",
        GRID,
    )
    assert photos_of(engine, case.id) == {"report": 1}
    # Sending again does nothing: the outbox is empty and the case is still one.
    page.click("#sync-now")
    page.wait_for_timeout(500)
    assert len(cases_titled(engine, title)) == 1


def test_a_lost_answer_is_retried_without_a_second_case(
    site: tuple[str, Fresh], phone: tuple[sync_api.BrowserContext, sync_api.Page]
) -> None:
    _server, (_client, _auth, engine) = site
    context, page = phone
    title = "应答丢失：井盖缺失"
    reached: list[int] = []

    def lose_first_answer(route: sync_api.Route) -> None:
        if route.request.method != "POST" or reached:
            route.continue_()
            return
        answer = route.fetch()  # the server creates the case...
        reached.append(answer.status)
        route.abort("connectionreset")  # ...and the phone never hears of it

    context.route("**/api/v1/events", lose_first_answer)
    report(page, title, jpeg((640, 480)))
    # The round stops at the lost answer and keeps the report, with what went wrong.
    page.wait_for_selector(
        "#outbox-list li[data-kind=report] .w-message.error", state="attached", timeout=20_000
    )
    assert reached == [201]
    assert len(cases_titled(engine, title)) == 1  # created, but the phone still holds it
    assert queued(page, 1) == 1

    page.click("#outbox-open")
    page.click("#sync-now")
    page.wait_for_selector("#queue-count:text-is('0')", timeout=30_000)
    page.wait_for_selector("#report-message:has-text('已上报')", state="attached")
    cases = cases_titled(engine, title)
    assert len(cases) == 1
    assert photos_of(engine, cases[0].id) == {"report": 1}
    assert cases[0].code in page.locator("#report-message").inner_text()


def test_report_and_settle_on_the_spot_with_before_and_after_photos(
    site: tuple[str, Fresh], phone: tuple[sync_api.BrowserContext, sync_api.Page]
) -> None:
    _server, (_client, _auth, engine) = site
    context, page = phone
    title = "自办结：占道堆放杂物"
    context.set_offline(True)
    page.click("#tabbar button[data-tab=report]")
    page.check("#r-settle")
    page.fill("#r-settle-comment", "已联系店主当场清理")
    page.set_input_files(
        "#r-after", {"name": "after.jpg", "mimeType": "image/jpeg", "buffer": jpeg((480, 640))}
    )
    report(page, title, jpeg((640, 480)))
    page.wait_for_selector("#report-message:has-text('已保存在本机')")
    assert queued(page, 1) == 1
    context.set_offline(False)
    page.wait_for_selector("#queue-count:text-is('0')", timeout=30_000)
    cases = cases_titled(engine, title)
    assert len(cases) == 1
    assert cases[0].status == "closed"
    assert cases[0].extra.get("self_settled") is True
    assert photos_of(engine, cases[0].id) == {"report": 1, "after": 1}


def test_the_app_opens_offline_after_the_first_visit(
    site: tuple[str, Fresh], phone: tuple[sync_api.BrowserContext, sync_api.Page]
) -> None:
    context, page = phone
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.locator("#net").inner_text() == "离线"
    assert "（离线）" in page.locator("#who").inner_text()
    # The tabs still work: the report form is there, ready to queue.
    page.click("#tabbar button[data-tab=report]")
    assert page.locator("#r-title").is_visible()


def test_a_patrol_walked_offline_arrives_whole_with_its_track(
    site: tuple[str, Fresh], phone: tuple[sync_api.BrowserContext, sync_api.Page]
) -> None:
    _server, (client, auth, _engine) = site
    context, page = phone
    start = inside(client, auth, GRID)
    page.click("#tabbar button[data-tab=patrol]")
    context.set_offline(True)
    page.click("#patrol-toggle")
    page.wait_for_selector("#patrol-toggle:has-text('结束巡查')")
    # Walk about 100 m north in 5 steps; each new position is a fix.
    for step in range(1, 6):
        context.set_geolocation(
            {"longitude": start["lon"], "latitude": start["lat"] + step * 0.0002, "accuracy": 5}
        )
        page.wait_for_selector(f"#patrol-points:text-is('{step + 1}')", timeout=10_000)
    # The phone counts the distance it walked (the server judges the speed of the fixes).
    assert page.locator("#patrol-distance").inner_text() == "111 米"
    page.click("#patrol-toggle")
    page.wait_for_selector("#patrol-toggle:has-text('开始巡查')")
    assert queued(page, 3) == 3  # start, one batch of points, stop
    context.set_offline(False)
    page.wait_for_selector("#queue-count:text-is('0')", timeout=30_000)

    me = client.get("/api/v1/auth/me", headers=auth(WORKER)).json()
    patrols = client.get(
        "/api/v1/patrols", params={"user_id": me["id"]}, headers=auth(WORKER)
    ).json()["items"]
    assert len(patrols) == 1
    patrol = patrols[0]
    assert patrol["status"] == "closed"
    assert patrol["point_count"] == 6  # every fix, once
    assert patrol["client_id"] == page.evaluate("() => window.workerState.lastPatrol")


def test_a_task_is_accepted_and_completed_from_the_phone(
    site: tuple[str, Fresh], phone: tuple[sync_api.BrowserContext, sync_api.Page]
) -> None:
    _server, (client, auth, _engine) = site
    context, page = phone
    me = client.get("/api/v1/auth/me", headers=auth(WORKER)).json()
    created = client.post(
        "/api/v1/tasks",
        json={
            "title": "检查辖区消防通道",
            "kind": "other",
            "description": "逐一查看小区消防通道是否被占用",
            "deadline_at": "2099-01-01T00:00:00+08:00",
            "assignee_ids": [me["id"]],
        },
        headers=auth("street_xuzhuang"),
    )
    assert created.status_code == 201, created.text
    task_id = created.json()["id"]
    page.click("#tabbar button[data-tab=tasks]")
    card = page.locator(f"#task-list li[data-task='{task_id}']")
    card.wait_for()
    assert "待接收" in card.inner_text()
    card.click()
    context.set_offline(True)
    page.click("#task-detail button:has-text('接受任务')")
    page.fill("#task-detail textarea", "三处通道畅通，一处堆放杂物已督促清理")
    page.set_input_files(
        "#task-detail input[type=file]",
        {"name": "done.jpg", "mimeType": "image/jpeg", "buffer": jpeg((640, 480))},
    )
    page.click("#task-detail button:has-text('完成任务')")
    assert queued(page, 2) == 2
    context.set_offline(False)
    page.wait_for_selector("#queue-count:text-is('0')", timeout=30_000)
    task = client.get(f"/api/v1/tasks/{task_id}", headers=auth("street_xuzhuang")).json()
    (assignment,) = task["assignments"]
    assert assignment["status"] == "completed"
    assert assignment["result"] == "三处通道畅通，一处堆放杂物已督促清理"
    assert len(assignment["media_ids"]) == 1

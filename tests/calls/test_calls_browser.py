"""A real video call in headless Chromium with fake camera and microphone: an operator on the
视频调度 page calls a grid worker, whose page rings; the worker answers, both peer connections
reach "connected" and each shows the other's moving picture; the operator hangs up.

Chromium comes from Debian's package; off CI a machine without it skips this file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from playwright import sync_api
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.calls.models import Call
from gridgov.config import Settings
from tests.browser import BROWSER_ARGS, CHROMIUM, MISSING, chromium, serving
from tests.calls.conftest import XUZHUANG_WORKER, user_id
from tests.conftest import DEMO_PASSWORD

if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip(MISSING, allow_module_level=True)

FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture(scope="module")
def server(demo_settings: Settings, demo_engine: Engine) -> Iterator[str]:
    with serving(demo_settings, demo_engine) as url:
        yield url


def open_calls_page(browser: Any, server: str, username: str, path: str) -> Any:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/login?next={path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-calls=ready]")
    page.errors = errors
    return page


def test_operator_calls_a_worker_by_video(server: str, db: Session) -> None:
    worker_id = user_id(db, XUZHUANG_WORKER)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium(), args=BROWSER_ARGS + FAKE_MEDIA
        )
        worker = open_calls_page(browser, server, XUZHUANG_WORKER, "/calls")
        assert worker.locator("[data-call-center]").inner_text() == "呼叫指挥中心"
        operator = open_calls_page(browser, server, "operator", f"/calls?q={XUZHUANG_WORKER}")
        row = operator.locator(f"tr[data-user-id='{worker_id}']")
        assert "在线" in row.inner_text()

        row.locator("[data-call-user]").click()
        operator.wait_for_selector(".call-panel:not([hidden])")
        worker.wait_for_selector(".call-incoming:not([hidden])")
        assert "请求视频通话" in worker.locator(".call-from").inner_text()
        operator.wait_for_selector(".call-status:has-text('对方振铃中')")
        worker.click(".call-accept")

        for page in (operator, worker):
            page.wait_for_selector(".call-panel[data-state=connected]", timeout=20_000)
            assert page.evaluate("window.gridgovCalls.pc.connectionState") == "connected"
            assert page.locator(".call-status").inner_text() == "通话中"
            # The other side's fake camera is playing here.
            page.wait_for_function(
                "document.querySelector('.call-panel video.remote').videoWidth > 0",
                timeout=20_000,
            )
            assert page.evaluate("document.querySelector('.call-panel video.local').videoWidth")
        if os.environ.get("GRIDGOV_SCREENSHOTS"):
            for name, page in (("operator", operator), ("worker", worker)):
                page.screenshot(path=f"{os.environ['GRIDGOV_SCREENSHOTS']}/call-{name}.png")

        operator.click(".call-hangup")
        for page in (operator, worker):
            page.wait_for_selector(".call-panel[data-state=ended]")
        assert worker.locator(".call-status").inner_text() == "通话已结束（对方已挂断）"
        assert operator.errors == [] and worker.errors == []
        browser.close()

    db.rollback()
    call = db.scalars(
        select(Call).where(Call.callee_id == worker_id).order_by(Call.id.desc()).limit(1)
    ).one()
    assert call.caller_id == user_id(db, "operator")
    assert call.status == "ended" and call.end_reason == "hangup"
    assert call.answered_at is not None and call.ended_at is not None

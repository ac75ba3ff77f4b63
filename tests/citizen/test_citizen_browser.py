"""The citizen app in headless Chromium: report anonymously with a photo and the current
position, see it in "my reports", and rate it once the center and the department closed it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright import sync_api
from sqlalchemy import Engine

from gridgov.citizen.api import PUBLIC_LIMITER
from tests.browser import BROWSER_ARGS, chromium, serving
from tests.citizen.test_citizen_api import close_case, gps_jpeg
from tests.conftest import Auth
from tests.media.test_media import inside


@pytest.fixture(scope="module")
def site(fresh_events: tuple[Any, Auth, Engine]) -> Iterator[tuple[str, Any, Auth]]:
    client, auth, engine = fresh_events
    with serving(client.app.state.settings, engine) as url:
        yield url, client, auth


def test_report_with_photo_see_it_and_rate_it(site: tuple[str, Any, Auth]) -> None:
    server, client, auth = site
    PUBLIC_LIMITER.reset()
    point = inside(client, auth)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=BROWSER_ARGS)
        context = browser.new_context(
            geolocation={"longitude": point["lon"], "latitude": point["lat"]},
            permissions=["geolocation"],
            viewport={"width": 400, "height": 860},
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server}/m/citizen/")
        # The page forbids eval (CSP), so no wait_for_function: it marks itself ready.
        page.wait_for_selector("body[data-ready=true]")
        page.select_option("#category", "0101")
        assert "不在此受理" in page.locator("#guide").inner_text()
        page.select_option("[data-attribute=waste_kind]", "household")
        page.fill("#description", "小区北门外有人倾倒生活垃圾，已经好几天了")
        page.click("#use-gps")
        page.wait_for_selector("#coords:has-text('已选位置')")
        page.set_input_files(
            "#photos", {"name": "scene.jpg", "mimeType": "image/jpeg", "buffer": gps_jpeg()}
        )
        assert page.locator("#previews img").count() == 1
        page.click("#submit")
        page.wait_for_selector("#report-message.ok:has-text('已提交')", timeout=20_000)
        code = page.locator("#report-message").inner_text().split("编号 ")[1].split("。")[0]
        assert page.locator("#who").inner_text() == "匿名（本机）"

        page.click("button[data-tab=mine]")
        card = page.locator(f"li[data-code='{code}']")
        card.wait_for()
        assert "垃圾堆放" in card.inner_text()
        preview = card.locator(".c-previews img")
        # Attached is not loaded: on a busy machine the thumbnail arrives a moment later.
        sync_api.expect(preview).to_have_js_property("complete", True, timeout=15_000)
        assert preview.evaluate("img => img.naturalWidth") > 0

        # The center and the department close it through the API.
        found = client.get("/api/v1/events", params={"q": code}, headers=auth("admin")).json()
        close_case(client, auth, found["items"][0]["id"])

        page.reload()
        page.wait_for_selector("body[data-ready=true]")
        page.click("button[data-tab=mine]")
        card = page.locator(f"li[data-code='{code}']")
        card.locator(".c-rate").wait_for()
        assert "办理结果：已清运完毕" in card.inner_text()
        card.locator("select[name=satisfaction]").select_option("4")
        card.locator("input[name=comment]").fill("处理及时")
        card.locator(".c-rate button[type=submit]").click()
        page.wait_for_selector(f"li[data-code='{code}'] :text('您的评价：★★★★')")
        assert "已评价" in page.locator(f"li[data-code='{code}'] .c-status").inner_text()
        assert page.locator(f"li[data-code='{code}'] .c-rate").count() == 0

        # The nearby tab lists it without personal data.
        page.click("button[data-tab=nearby]")
        page.wait_for_selector("#nearby-list li")
        # Installable: the service worker controls the app's path.
        scope = page.evaluate("() => navigator.serviceWorker.ready.then((r) => r.scope)")
        assert scope == f"{server}/m/citizen/"
        assert errors == [], errors
        browser.close()

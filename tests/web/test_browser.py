"""One real path through the pages in headless Chromium: log in, see your scope, open a region.

Chromium comes from Debian's package (``/usr/bin/chromium``); CI installs it. Off CI, a machine
without it skips this file with a message; on CI (``CI=true``) its absence is a failure.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import shapely
from playwright import sync_api
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.config import Settings
from gridgov.regions.models import Region
from gridgov.registry.models import Person
from tests.browser import BROWSER_ARGS, CHROMIUM, MISSING, chromium, serving
from tests.conftest import DEMO_PASSWORD

if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip(MISSING, allow_module_level=True)


@pytest.fixture(scope="module")
def server(demo_settings: Settings, demo_engine: Engine) -> Iterator[str]:
    with serving(demo_settings, demo_engine) as url:
        yield url


def test_login_home_and_region_in_chromium(server: str) -> None:
    assert CHROMIUM is not None, "CI must install Chromium (apt-get install chromium)"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=BROWSER_ARGS)
        page = browser.new_page()
        page.goto(f"{server}/regions")
        assert "/login" in page.url
        page.fill("input[name=username]", "comm_370811002001")
        page.fill("input[name=password]", "wrong-password")
        page.click("button[type=submit]")
        assert "用户名或密码错误" in page.inner_text("main")
        page.fill("input[name=username]", "comm_370811002001")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server}/regions")
        assert "370811002001001" in page.inner_text("table")
        page.goto(f"{server}/")
        assert "社区工作人员" in page.inner_text("main")
        page.click("text=和都社区")
        page.wait_for_url(f"{server}/regions/370811002001")
        assert page.locator("svg path.child").count() >= 1
        page.click("text=退出")
        page.wait_for_url(f"{server}/login")
        browser.close()


@pytest.fixture(scope="module")
def writable_server(fresh_registry: tuple[Any, Any, Engine]) -> Iterator[tuple[str, Engine]]:
    client, _auth, engine = fresh_registry
    with serving(client.app.state.settings, engine) as url:
        yield url, engine


def _login(page: Any, server: str, username: str) -> None:
    page.goto(f"{server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")


def test_edit_forms_write_through_the_api(writable_server: tuple[str, Engine]) -> None:
    server, engine = writable_server
    with Session(engine) as session:
        person_id = session.scalars(
            select(Person.id)
            .where(Person.region_path.endswith("/370811002001001/"))
            .order_by(Person.id)
            .limit(1)
        ).one()
        grid = session.scalars(select(Region).where(Region.code == "370811002001001")).one()
    point = shapely.geometry.shape(json.loads(grid.geometry)).representative_point()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=BROWSER_ARGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        _login(page, server, "gw_370811002001001")
        page.goto(f"{server}/persons/{person_id}")
        page.fill("form.api-form [data-field=phone]", "13900009999")
        page.click("form.api-form button[type=submit]")
        page.wait_for_selector("text=139****9999")
        assert "person.update" in page.inner_text("main")
        page.goto(f"{server}/resource-categories/public_toilet")
        page.fill("[data-field=code]", "WC-BROWSER-1")
        page.fill("[data-field=name]", "浏览器新增公厕")
        page.fill("[data-field='location.lon']", f"{point.x:.7f}")
        page.fill("[data-field='location.lat']", f"{point.y:.7f}")
        page.fill("[data-field='attributes.seats']", "not a number")
        page.click("form.api-form button[type=submit]")
        page.wait_for_selector(".form-message.error")
        page.fill("[data-field='attributes.seats']", "6")
        page.click("form.api-form button[type=submit]")
        page.wait_for_selector("text=WC-BROWSER-1")
        browser.close()
    assert [e for e in errors if "422" not in e] == []


def test_bulk_accept_from_the_workbench(writable_server: tuple[str, Engine]) -> None:
    server, _ = writable_server
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=BROWSER_ARGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        _login(page, server, "operator")
        page.goto(f"{server}/workbench?tab=new")
        chosen = [
            box.get_attribute("value") for box in page.query_selector_all("input[name=item]")
        ][:2]
        for value in chosen:
            page.check(f"input[name=item][value='{value}']")
        page.select_option("select[name=action]", "accept")
        with page.expect_navigation():  # the page reloads once every chosen case succeeded
            page.click("form[data-bulk] button[type=submit]")
        left = [box.get_attribute("value") for box in page.query_selector_all("input[name=item]")]
        assert not set(chosen) & set(left)
        page.goto(f"{server}/events/{chosen[0]}")
        assert "已受理" in page.inner_text("main")
        browser.close()
    assert errors == []

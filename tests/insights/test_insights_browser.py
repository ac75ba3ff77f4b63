"""The 热点与预测 page in headless Chromium: the vendored ECharts draws the forecast with its
band, and the page is reached from 分析研判."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright import sync_api
from sqlalchemy import Engine

from gridgov.config import Settings
from tests.browser import BROWSER_ARGS, CHROMIUM, MISSING, chromium, serving
from tests.web.test_browser import _login

if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip(MISSING, allow_module_level=True)


@pytest.fixture(scope="module")
def server(demo_settings: Settings, demo_engine: Engine) -> Iterator[str]:
    with serving(demo_settings, demo_engine) as url:
        yield url


def test_forecast_chart_draws_and_tables_show(server: str) -> None:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=BROWSER_ARGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("requestfailed", lambda request: errors.append(request.url))
        _login(page, server, "leader")
        page.goto(f"{server}/analytics")
        page.click("text=热点与预测")
        page.wait_for_url("**/analytics/insights**")
        page.wait_for_selector('#chart-forecast[data-ready="1"] svg', timeout=15_000)
        # History, forecast and the band's two stacked series are drawn as paths.
        assert page.locator("#chart-forecast svg path").count() >= 3
        assert page.locator("table.forecast tbody tr").count() == 30
        assert page.locator("#reporters").count() == 1
        assert page.locator("#involved").count() == 1
        assert errors == []
        page.goto(f"{server}/analytics/insights?horizon=7&preset=year")
        page.wait_for_selector('#chart-forecast[data-ready="1"] svg', timeout=15_000)
        assert page.locator("table.forecast tbody tr").count() == 7
        if page.locator("table.hotspots").count():
            page.wait_for_selector('#chart-hotspots[data-ready="1"] svg', timeout=15_000)
        assert errors == []
        browser.close()

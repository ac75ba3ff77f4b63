"""The 分析研判 page in headless Chromium: the vendored ECharts loads and draws every chart,
and a headline figure opens the list of its cases."""

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


def test_charts_draw_and_figures_open_their_cases(server: str) -> None:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=BROWSER_ARGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("requestfailed", lambda request: errors.append(request.url))
        _login(page, server, "leader")
        page.goto(f"{server}/analytics?preset=year")
        for chart in ("trend", "ladder", "categories", "sources"):
            page.wait_for_selector(f'#chart-{chart}[data-ready="1"] svg', timeout=15_000)
        assert errors == []
        figure = page.locator(".kpi", has_text="上报事件数").locator("a.kpi-value")
        number = figure.inner_text().replace("件", "").strip()
        figure.click()
        page.wait_for_url("**/analytics/cases?**")
        assert f"共 {number} 件" in page.content()
        browser.close()

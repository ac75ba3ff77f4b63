"""专题研判 in headless Chromium: 保存为专题 on the 分析研判 page, the view listed under
专题研判, opened again with its filters, and the page's report link answering a PDF."""

from __future__ import annotations

import os
import uuid
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


def test_save_a_view_and_open_it_again(server: str) -> None:
    name = f"浏览器专题-{uuid.uuid4().hex[:6]}"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=BROWSER_ARGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        _login(page, server, "street_xuzhuang")
        page.goto(f"{server}/analytics?preset=quarter&source=hotline")
        pdf_link = page.locator('a[data-report="pdf"]').get_attribute("href")
        assert pdf_link and "source=hotline" in pdf_link
        response = page.request.get(f"{server}{pdf_link}")
        assert response.ok and response.body().startswith(b"%PDF-")
        page.locator("details.save-view summary").click()
        page.fill('details.save-view input[name="name"]', name)
        page.check('details.save-view input[name="shared"]')
        page.locator("details.save-view button[type=submit]").click()
        page.wait_for_url("**/analytics/views?created=*")
        row = page.locator("tr", has_text=name)
        assert "共享" in row.inner_text() and "本季度" in row.inner_text()
        row.locator(f"a:has-text('{name}')").click()
        page.wait_for_url("**/analytics?*")
        assert "source=hotline" in page.url and "region_code=370811002" in page.url
        assert page.locator('select[name="source"]').input_value() == "hotline"
        assert errors == []
        browser.close()

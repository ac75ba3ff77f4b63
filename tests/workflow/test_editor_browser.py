"""The workflow editor in headless Chromium: 校验 lists the problems without saving, a bad save
shows them and writes nothing, a good one makes a new version.

Chromium comes from Debian's package (``/usr/bin/chromium``), as for tests/web/test_browser.py;
off CI a machine without it skips this test (tests/browser.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gridgov.events.catalog import DEFAULT_WORKFLOW
from tests.browser import BROWSER_ARGS, chromium, serving
from tests.conftest import DEMO_PASSWORD, Auth

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(fresh_events: tuple[TestClient, Auth, Engine]) -> Iterator[tuple[str, TestClient, Auth]]:
    client, auth, engine = fresh_events
    settings = client.app.state.settings  # type: ignore[attr-defined]
    with serving(settings, engine) as url:
        yield url, client, auth


def test_validate_refuse_then_save_a_new_version(server: tuple[str, TestClient, Auth]) -> None:
    url, client, auth = server
    browser_path = chromium()
    versions = f"/api/v1/workflows/{DEFAULT_WORKFLOW}"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, args=BROWSER_ARGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{url}/login")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/")
        page.goto(f"{url}/admin/workflows/{DEFAULT_WORKFLOW}")
        editor = page.locator("#workflow-editor textarea[data-field=definition]")
        definition: dict[str, Any] = json.loads(editor.input_value())
        definition["states"]["limbo"] = {"label": "悬空"}
        editor.fill(json.dumps(definition, ensure_ascii=False))
        page.click("button[data-validate]")
        page.wait_for_selector("ul.problems li")
        assert "状态 limbo 从初始状态不可达" in page.inner_text("ul.problems")
        page.click("#workflow-editor button[type=submit]")
        page.wait_for_selector("#workflow-editor .form-message:has-text('流程定义不合法')")
        assert "limbo" in page.inner_text("#workflow-editor .form-message")
        assert client.get(versions, headers=auth("admin")).json()["current_version"] == 1

        del definition["states"]["limbo"]
        definition["states"]["handling"]["time_limit_hours"] = 16
        editor.fill(json.dumps(definition, ensure_ascii=False))
        page.fill("#workflow-editor [data-field=name]", "事件闭环（处置限时）")
        page.click("button[data-validate]")
        page.wait_for_selector("text=校验通过")
        with page.expect_navigation():
            page.click("#workflow-editor button[type=submit]")
        assert "第 2 版" in page.inner_text("h1")
        assert "时限 16 工时" in page.inner_html("svg")
        browser.close()
    body = client.get(versions, headers=auth("admin")).json()
    assert body["current_version"] == 2 and body["name"] == "事件闭环（处置限时）"
    assert [e for e in errors if "422" not in e] == []

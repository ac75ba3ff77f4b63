"""One real path through the pages in headless Chromium: log in, see your scope, open a region.

Chromium comes from Debian's package (``/usr/bin/chromium``); CI installs it. Off CI, a machine
without it skips this file with a message; on CI (``CI=true``) its absence is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from sqlalchemy import Engine

from gridgov.app import create_app
from gridgov.config import Settings
from tests.conftest import DEMO_PASSWORD

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(demo_settings: Settings, demo_engine: Engine) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(
        create_app(demo_settings, demo_engine), host="127.0.0.1", port=port, log_level="warning"
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not instance.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


def test_login_home_and_region_in_chromium(server: str) -> None:
    assert CHROMIUM is not None, "CI must install Chromium (apt-get install chromium)"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
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

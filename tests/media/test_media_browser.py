"""The case page in headless Chromium: a grid worker settles a case on the spot by choosing the
after photo in the action form; the page uploads it, sends its id with the action, and the
timeline then shows its thumbnail."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.browser import BROWSER_ARGS, chromium, serving
from tests.conftest import DEMO_PASSWORD, Auth
from tests.media.test_media import GRID, WORKER, inside, jpeg, report, upload

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def site(fresh_events: tuple[Any, Auth, Engine]) -> Iterator[tuple[str, Any, Auth]]:
    client, auth, engine = fresh_events
    with serving(client.app.state.settings, engine) as url:
        yield url, client, auth


def test_self_settle_form_uploads_the_after_photo_and_shows_it(
    site: tuple[str, Any, Auth],
) -> None:
    server, client, auth = site
    worker = auth(WORKER)
    before = upload(client, worker, jpeg()).json()
    event = report(client, worker, inside(client, auth, GRID), media_ids=[before["id"]]).json()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=BROWSER_ARGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{server}/login")
        page.fill("input[name=username]", WORKER)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server}/")
        page.goto(f"{server}/events/{event['id']}")
        assert page.locator(f"img[src='{before['thumbnail_url']}']").count() == 1
        form = page.locator("form[data-api$='/actions/self_settle']")
        form.locator("[data-field=comment]").fill("已现场清理完毕")
        # A text file in disguise is refused by the upload, and the case stays open.
        form.locator("input[type=file]").set_input_files(
            {"name": "after.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo" * 50}
        )
        form.locator("button[type=submit]").click()
        page.wait_for_selector("form[data-api$='/actions/self_settle'] .form-message.error")
        assert "JPEG" in form.locator(".form-message").inner_text()
        form.locator("input[type=file]").set_input_files(
            {"name": "after.jpg", "mimeType": "image/jpeg", "buffer": jpeg((600, 800))}
        )
        form.locator("button[type=submit]").click()
        page.wait_for_selector("text=已结案")
        thumbnails = page.locator(".media-strip img")
        thumbnails.nth(1).wait_for()
        assert thumbnails.count() == 2
        for n in range(2):  # attached is not loaded: on a busy machine they arrive later
            sync_api.expect(thumbnails.nth(n)).to_have_js_property("complete", True)
        loaded = page.evaluate(
            "[...document.querySelectorAll('.media-strip img')].map(i => i.naturalWidth)"
        )
        assert loaded == [320, 240]  # both served to the page session, upright
        browser.close()
    assert [e for e in errors if "415" not in e] == []
    detail = client.get(f"/api/v1/events/{event['id']}", headers=worker).json()
    assert [m["role"] for m in detail["media"]] == ["report", "after"]

"""campaign-form.js in headless Chromium: a grid worker fills the epidemic form on the campaign
page. Fields appear and disappear with show_if, outsiders are a repeat group, the client-side
check stops an incomplete form, and what reaches the server is exactly what was typed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright import sync_api
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.campaigns.models import Campaign, CampaignResponse
from gridgov.config import Settings
from tests.browser import BROWSER_ARGS, chromium, serving
from tests.conftest import DEMO_PASSWORD

WORKER = "gw_370811006001002"


@pytest.fixture(scope="module")
def site(demo_settings: Settings, demo_engine: Engine) -> Iterator[str]:
    with serving(demo_settings, demo_engine) as url:
        yield url


def test_a_worker_fills_the_form_in_the_browser(site: str, demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        campaign_id = session.scalars(
            select(Campaign.id)
            .where(Campaign.region_path == "370811/370811006/", Campaign.status == "active")
            .order_by(Campaign.id)
        ).first()
    assert campaign_id is not None
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 420, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{site}/login?next=/campaigns/{campaign_id}")
        page.fill("input[name=username]", WORKER)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{site}/campaigns/{campaign_id}?status=pending")
        button = page.locator("button[data-fill]").first
        household_id = int(button.get_attribute("data-fill") or 0)
        button.click()
        form = page.locator("#fill-form")

        def field(key: str) -> sync_api.Locator:
            return form.locator(f".cf-field[data-key={key}]")

        sync_api.expect(field("at_home")).to_be_visible()
        # Shown only when at home.
        sync_api.expect(field("residents_present")).to_be_hidden()
        field("at_home").locator("input[value=true]").check()
        sync_api.expect(field("residents_present")).to_be_visible()
        sync_api.expect(field("outsiders")).to_be_hidden()
        field("residents_present").locator("input").fill("3")
        field("has_outsiders").locator("input[value=true]").check()
        sync_api.expect(field("outsiders")).to_be_visible()
        # Required and empty: the page says so and sends nothing.
        page.click("#fill-submit")
        message = page.locator("#fill-panel .form-message")
        sync_api.expect(message).to_contain_text("外来人员：必填")
        field("outsiders").locator("button.cf-add").click()
        entry = field("outsiders").locator(".cf-entry").first

        def inner(key: str) -> sync_api.Locator:
            return entry.locator(f".cf-field[data-key={key}]")

        inner("surname").locator("input").fill("王")
        inner("relation").locator("select").select_option("tenant")
        inner("origin_province").locator("select").select_option("河南省")
        inner("arrival_date").locator("input").fill("2026-01-02")
        sync_api.expect(inner("symptom_note")).to_be_hidden()
        inner("health_status").locator("select").select_option("other")
        sync_api.expect(inner("symptom_note")).to_be_visible()
        inner("symptom_note").locator("input").fill("乏力")
        inner("vaccine_doses").locator("input").fill("5")
        inner("under_monitoring").locator("input[value=false]").check()
        inner("phone").locator("input").fill("12345")
        page.click("#fill-submit")
        sync_api.expect(message).to_contain_text("不能大于 4")
        sync_api.expect(message).to_contain_text("不是有效的电话号码")
        inner("vaccine_doses").locator("input").fill("2")
        inner("phone").locator("input").fill("13712345678")
        with page.expect_navigation():
            page.click("#fill-submit")
        browser.close()
    assert errors == []
    with Session(demo_engine) as session:
        stored = session.scalars(
            select(CampaignResponse).where(
                CampaignResponse.campaign_id == campaign_id,
                CampaignResponse.household_id == household_id,
            )
        ).one()
    assert stored.filled_by == WORKER
    assert stored.answers == {
        "at_home": True,
        "residents_present": 3,
        "has_outsiders": True,
        "outsiders": [
            {
                "surname": "王",
                "relation": "tenant",
                "origin_province": "河南省",
                "arrival_date": "2026-01-02",
                "health_status": "other",
                "symptom_note": "乏力",
                "vaccine_doses": 2,
                "under_monitoring": False,
                "phone": "137****5678",
            }
        ],
    }

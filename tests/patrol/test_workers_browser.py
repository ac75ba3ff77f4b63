"""The center's worker pages in real Chromium: the roster map shows live positions, and a
worker's page replays a seeded day's track with its cursor moving along it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright import sync_api
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.config import Settings
from gridgov.kit.clock import now, to_local
from gridgov.patrol.models import Patrol
from tests.browser import CHROMIUM, MISSING, chromium, serving
from tests.conftest import DEMO_PASSWORD
from tests.gis.test_map_browser import WEBGL_ARGS

if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip(MISSING, allow_module_level=True)


@pytest.fixture(scope="module")
def server(demo_settings: Settings, demo_engine: Engine) -> Iterator[str]:
    with serving(demo_settings, demo_engine) as url:
        yield url


def test_roster_map_and_track_replay(
    server: str, demo_engine: Engine, demo_settings: Settings
) -> None:
    with Session(demo_engine) as session:
        # A round of yesterday's: the seed keeps raw fixes for yesterday and today.
        since = now() - timedelta(days=2)
        patrol = session.scalars(
            select(Patrol)
            .where(Patrol.started_at >= since, Patrol.kept_count > 20)
            .order_by(Patrol.id)
        ).first()
        assert patrol is not None, "the seed has recent patrols with raw fixes"
        worker_id = patrol.user_id
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=WEBGL_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server}/login")
        page.fill("input[name=username]", "operator")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server}/")

        page.goto(f"{server}/workers")
        page.wait_for_function(
            "window.workersState && window.workersState.positions > 0", timeout=60_000
        )
        positions = page.evaluate("window.workersState.positions")
        assert positions and positions > 100  # the district's workers with a position
        assert page.evaluate("window.workersState.errors") == []

        # A patrol belongs to the local day it started on.
        day = to_local(patrol.started_at, demo_settings.timezone).date()
        page.goto(f"{server}/workers/{worker_id}")
        page.wait_for_function("window.workersState && window.workersState.ready", timeout=60_000)
        # The page opens on today; pick the seeded round's day from the history table.
        link = page.locator("a", has_text="回放").first
        assert link.count() == 1
        page.goto(f"{server}/workers/{worker_id}?date={day.isoformat()}")
        page.wait_for_function("window.workersState && window.workersState.ready", timeout=60_000)
        track = page.evaluate("window.workersState.track")
        assert track is not None and len(track["features"]) >= 20
        assert page.locator("#replay-stats").inner_text().startswith(day.isoformat())
        page.select_option("#replay-speed", "600")
        page.click("#replay-play")
        page.wait_for_function("window.workersState.frame > 3", timeout=30_000)
        assert page.locator("button[data-call-user]").count() == 1
        assert page.evaluate("window.workersState.errors") == []
        browser.close()
    assert errors == []

"""The map in real Chromium: it loads with no console errors, its layers render, a click
opens a popup, and an area selection lists resources.

MapLibre needs WebGL; headless Chromium has it through SwiftShader (software rendering),
which the shared ``--disable-gpu`` argument would switch off, so this test swaps that one
argument for the SwiftShader flags."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from playwright import sync_api
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.config import Settings
from gridgov.events.models import Event
from tests.browser import BROWSER_ARGS, CHROMIUM, MISSING, chromium, serving
from tests.conftest import DEMO_PASSWORD

if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip(MISSING, allow_module_level=True)


WEBGL_ARGS = [arg for arg in BROWSER_ARGS if arg != "--disable-gpu"] + [
    "--use-gl=angle",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]
XUZHUANG = "370811/370811002/"


@pytest.fixture(scope="module")
def server(demo_settings: Settings, demo_engine: Engine) -> Iterator[str]:
    with serving(demo_settings, demo_engine) as url:
        yield url


def _wait_ready(page: Any) -> None:
    page.wait_for_function("window.gisState && window.gisState.ready === true", timeout=60_000)


def _rendered(page: Any, layers: list[str]) -> int:
    count: int = page.evaluate(
        """(layers) => window.gisMap.queryRenderedFeatures(undefined, {
            layers: layers.filter((l) => window.gisMap.getLayer(l)) }).length""",
        layers,
    )
    return count


def test_map_renders_opens_popups_and_summarises_an_area(server: str, demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        event = session.scalars(
            select(Event).where(Event.region_path.startswith(XUZHUANG)).order_by(Event.id)
        ).first()
        assert event is not None
        lon, lat = event.lon, event.lat
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=WEBGL_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        outside: list[str] = []
        page.on(
            "request",
            lambda r: (
                outside.append(r.url) if not r.url.startswith((server, "data:", "blob:")) else None
            ),
        )
        page.goto(f"{server}/login")
        page.fill("input[name=username]", "operator")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server}/")
        page.click("nav >> text=GIS一张图")
        page.wait_for_url(f"{server}/map")
        _wait_ready(page)
        assert page.evaluate("window.gisState.errors") == []
        counts = page.evaluate("window.gisState.counts")
        assert counts["streets"] >= 4 and counts["grids"] > 100 and counts["workers"] > 100
        assert _rendered(page, ["streets-line", "district-line", "base-lake", "base-road"]) > 0

        # Close in on the case: tiles of components, buildings and cases render there.
        page.evaluate(
            "([lon, lat]) => window.gisMap.jumpTo({center: [lon, lat], zoom: 16})", [lon, lat]
        )
        page.wait_for_function(
            "window.gisMap.loaded() && window.gisMap.areTilesLoaded()", timeout=60_000
        )
        page.wait_for_timeout(300)
        assert _rendered(page, ["components-icon"]) > 0
        assert _rendered(page, ["buildings-flat"]) > 0
        assert _rendered(page, ["events-circle"]) > 0

        # Click the case: its popup opens, and from it the area around it is summarised.
        point = page.evaluate(
            "([lon, lat]) => { const p = window.gisMap.project([lon, lat]); return [p.x, p.y]; }",
            [lon, lat],
        )
        page.locator("#gis-map canvas").click(position={"x": point[0], "y": point[1]})
        popup = page.locator(".maplibregl-popup .gis-popup-body")
        popup.wait_for(timeout=20_000)
        assert popup.get_attribute("data-kind") == "events"
        # Cases may share a spot: whichever is on top, its popup names it and offers the area.
        assert "SJ" in popup.inner_text() and "查看案件" in popup.inner_text()
        clicked = int(popup.locator("button.gis-around").get_attribute("data-event") or 0)
        popup.locator("button.gis-around").click()
        page.wait_for_function("window.gisState.lastSummary !== null", timeout=30_000)
        resources = page.locator("#gis-resources")
        resources.wait_for(timeout=10_000)
        text = resources.inner_text()
        assert "网格员" in text and "城市部件" in text
        assert page.locator("#gis-resources table tbody tr").count() > 0
        summary = page.evaluate("window.gisState.lastSummary")
        assert summary["event_id"] == clicked and summary["resources"]["workers"]

        # A drawn box: mouse down, drag, up.
        page.click("#gis-draw-box")
        box = page.locator("#gis-map canvas").bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + 60, box["y"] + box["height"] - 300)
        page.mouse.down()
        page.mouse.move(box["x"] + 260, box["y"] + box["height"] - 120, steps=5)
        page.mouse.up()
        page.wait_for_function(
            "window.gisState.lastSummary && window.gisState.lastSummary.event_id === null",
            timeout=30_000,
        )
        assert page.locator("#gis-impact").inner_text().startswith("影响范围")

        # 3D: buildings are extruded and the camera tilts.
        page.click("#gis-3d")
        page.wait_for_function("window.gisMap.getPitch() > 30", timeout=10_000)
        assert (
            page.evaluate("window.gisMap.getLayoutProperty('buildings-3d', 'visibility')")
            == "visible"
        )
        browser.close()
    assert errors == []
    assert outside == []

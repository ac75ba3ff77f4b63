"""The analytics endpoints and the 分析研判 page on the shared demo district."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gridgov.config import Settings
from tests.conftest import Auth
from tests.web.test_pages import _logged_in


def test_every_endpoint_answers_the_leader(client: TestClient, auth: Auth) -> None:
    leader = auth("leader")
    summary = client.get("/api/v1/analytics/summary", headers=leader)
    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert body["counters"]["reported"] > 0 and body["as_of"]
    names = {i["name"] for i in body["indicators"]}
    assert {"结案率", "按期结案率", "自办结率", "返工率", "满意度", "平均处置时长"} <= names
    assert [s["key"] for s in body["ladder"]] == ["grid", "community", "street", "district"]
    for granularity in ("day", "week", "month"):
        trend = client.get(
            "/api/v1/analytics/trend", params={"granularity": granularity}, headers=leader
        )
        assert trend.status_code == 200 and trend.json()["points"], granularity
    reported = body["counters"]["reported"]
    for by in ("category", "source", "region", "status", "department"):
        rows = client.get("/api/v1/analytics/breakdown", params={"by": by}, headers=leader)
        assert rows.status_code == 200, by
        assert sum(r["counters"]["reported"] for r in rows.json()["rows"]) == reported, by
    ladder = client.get("/api/v1/analytics/ladder", headers=leader).json()
    assert ladder["grid_settle_rate"]["denominator"] == body["counters"]["closed"]
    ranking = client.get(
        "/api/v1/analytics/indicators/events_reported/ranking",
        params={"target": "street"},
        headers=leader,
    ).json()
    counts = [i["value"] for i in ranking["items"]]
    assert counts == sorted(counts, reverse=True) and sum(counts) == reported
    counters = client.get("/api/v1/analytics/counters", headers=leader).json()
    assert {c["name"] for c in counters} >= {"due", "due_closed", "due_on_time", "self_settled"}


def test_bad_input_is_a_clear_4xx(client: TestClient, auth: Auth) -> None:
    leader = auth("leader")
    backwards = client.get(
        "/api/v1/analytics/summary",
        params={"start": "2026-05-02", "end": "2026-05-01"},
        headers=leader,
    )
    assert backwards.status_code == 422 and backwards.json()["error"]["code"] == "bad_period"
    unknown = client.get("/api/v1/analytics/indicators/nope", headers=leader)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "indicator_not_found"
    no_denominator = client.get(
        "/api/v1/analytics/indicators/events_reported/cases",
        params={"part": "denominator"},
        headers=leader,
    )
    assert no_denominator.status_code == 422
    assert client.get("/api/v1/analytics/summary").status_code == 401


def test_the_page_shows_the_figures_with_links_to_their_cases(
    demo_settings: Settings, demo_engine: Engine
) -> None:
    browser = _logged_in(demo_settings, demo_engine, "leader")
    home = browser.get("/")
    assert "分析研判" in home.text and 'href="/analytics"' in home.text
    page = browser.get("/analytics", params={"preset": "year"})
    assert page.status_code == 200
    for name in ("结案率", "按期结案率", "自办结率", "办结层级", "分区域", "许庄街道"):
        assert name in page.text
    script = browser.get("/static/js/analytics.js").text
    assert "/static/vendor/echarts-5.6.0/echarts.esm.min.mjs" in script
    link = re.search(
        r'href="(/analytics/cases\?indicator=events_reported&amp;part=numerator[^"]*)"', page.text
    )
    assert link is not None
    figure = re.search(
        r'href="/analytics/cases\?indicator=events_reported[^"]*">([\d,]+)<small>', page.text
    )
    assert figure is not None
    listed = browser.get(link.group(1).replace("&amp;", "&"))
    assert listed.status_code == 200
    assert f"共 {figure.group(1)} 件" in listed.text
    street = _logged_in(demo_settings, demo_engine, "street_nanzhang")
    html = street.get("/analytics").text
    assert "南张街道" in html and "许庄街道" not in html

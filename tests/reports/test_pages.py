"""The 专题研判 pages: 保存为专题 on the 分析研判 page, the list with its reports, deleting."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import Engine

from gridgov.config import Settings
from tests.reports.conftest import pdf_text
from tests.web.test_pages import _logged_in


def test_save_the_page_filters_as_a_view_open_it_and_take_its_reports(
    demo_settings: Settings, demo_engine: Engine
) -> None:
    browser = _logged_in(demo_settings, demo_engine, "street_xuzhuang")
    page = browser.get("/analytics", params={"preset": "30d", "source": "hotline"})
    assert page.status_code == 200
    assert "保存为专题" in page.text and 'href="/analytics/views"' in page.text
    links = re.findall(r'href="(/api/v1/analytics/report\.(?:pdf|xlsx)\?[^"]*)"', page.text)
    assert len(links) == 6 and all("hotline" in link for link in links[:2])
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    form = page.text[page.text.index('action="/analytics/views"') :]
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form)[:6])
    assert fields["preset"] == "30d" and fields["source"] == "hotline"
    name = f"近30天热线-{uuid.uuid4().hex[:6]}"
    saved = browser.post(
        "/analytics/views", data={**fields, "name": name, "shared": "1"}, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    listing = browser.get(saved.headers["location"])
    assert listing.status_code == 200 and "专题已保存" in listing.text and name in listing.text
    row = listing.text[listing.text.index(name) - 400 :]
    view_id = re.search(r'data-view="(\d+)"', row)
    assert view_id
    opened = re.search(r'<a href="(/analytics\?[^"]+)">' + re.escape(name), listing.text)
    assert opened
    shown = browser.get(opened.group(1).replace("&amp;", "&"))
    assert shown.status_code == 200 and "许庄街道" in shown.text
    report = browser.get(f"/api/v1/analytics/views/{view_id.group(1)}/report.pdf")
    assert report.status_code == 200 and f"专题研判：{name}" in pdf_text(report.content)
    # The seeded views: the street's shared one is listed, another street's is not.
    assert "许庄街道上月研判" in listing.text and "南张街道上月研判" not in listing.text

    refused = browser.post(
        "/analytics/views", data={**fields, "csrf_token": fields["csrf_token"], "name": name}
    )
    assert refused.status_code == 422 and "已有同名专题" in refused.text
    deleted = browser.post(
        f"/analytics/views/{view_id.group(1)}/delete",
        data={"csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert deleted.status_code == 303
    assert name not in browser.get("/analytics/views").text

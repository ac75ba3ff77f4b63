"""Weekly, monthly and per-view reports: a real PDF whose text carries the analytics figures,
an XLSX with native charts and the same numbers, and the refusals."""

from __future__ import annotations

import io
from datetime import date, timedelta

from openpyxl import load_workbook

from gridgov.analytics import services as analytics
from gridgov.analytics.indicators import HEADLINE
from gridgov.db import session_factory
from gridgov.reports import services
from gridgov.reports.pdf import count_text, value_text
from tests.analytics.conftest import Fresh
from tests.reports.conftest import NANZHANG, XUZHUANG, actor_of, pdf_text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_period_rules() -> None:
    wednesday = date(2026, 12, 2)
    week = services.report_period("week", today=wednesday)
    assert (week.first, week.last) == (date(2026, 11, 23), date(2026, 11, 29))
    assert (week.previous_first, week.previous_last) == (date(2026, 11, 16), date(2026, 11, 22))
    month = services.report_period("month", today=date(2026, 1, 1))
    assert (month.first, month.last) == (date(2025, 12, 1), date(2025, 12, 31))
    assert (month.previous_first, month.previous_last) == (date(2025, 11, 1), date(2025, 11, 30))
    assert month.label == "2025年12月"
    custom = services.report_period("custom", date(2026, 3, 1), date(2026, 3, 10))
    assert (custom.previous_first, custom.previous_last) == (date(2026, 2, 19), date(2026, 2, 28))
    february = services.report_period("custom", date(2026, 2, 1), date(2026, 2, 28))
    assert february.previous_first == date(2026, 1, 1)


def test_monthly_pdf_carries_the_service_figures(history_district: Fresh) -> None:
    client, auth, engine = history_district
    response = client.get(
        "/api/v1/analytics/report.pdf", params={"period": "month"}, headers=auth("leader")
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "attachment" in response.headers["content-disposition"]
    text = pdf_text(response.content)
    rp = services.report_period("month")
    with session_factory(engine)() as session:
        actor = actor_of(session, "leader")
        q = analytics.Query(None, rp.first, rp.last)
        summary = analytics.summary(session, q, actor=actor)
        previous = analytics.summary(
            session, analytics.Query(None, rp.previous_first, rp.previous_last), actor=actor
        )
        regions = analytics.breakdown(session, q, "region", actor=actor)
        ranking = analytics.ranking(session, "on_time_rate", "street", q, actor=actor)
    assert summary.counters["reported"] > 0, "the history has cases in every month"
    assert f"{summary.area.name}社会治理月报" in text
    assert f"统计时段：{rp.first} 至 {rp.last}" in text
    now_values = {v.indicator.code: v for v in summary.indicators}
    before_values = {v.indicator.code: v for v in previous.indicators}
    lines = text.splitlines()
    for code in HEADLINE:
        current, before = now_values[code], before_values[code]
        row = next(line for line in lines if line.startswith(current.indicator.name + " "))
        assert value_text(current) in row and value_text(before) in row, row
    reported = summary.counters["reported"]
    assert (
        f"本期上报 {count_text(reported)} 件，结案 {count_text(summary.counters['closed'])} 件"
        in text
    )
    for region in regions:
        line = next(line for line in lines if line.startswith(region.label + " "))
        assert count_text(region.counters["reported"]) in line
    first = ranking[0]
    assert any(line.startswith(f"1 {first.label} {value_text(first.value)}") for line in lines), (
        first
    )
    assert "按期结案率 = 按期结案数 ÷ 应结案数 × 100%" in text  # the formula notes
    assert f"到期未结数：{value_text(now_values['overdue_open'])}" in text


def test_weekly_xlsx_has_charts_and_the_service_numbers(history_district: Fresh) -> None:
    client, auth, engine = history_district
    response = client.get(
        "/api/v1/analytics/report.xlsx",
        params={"period": "week", "region_code": XUZHUANG},
        headers=auth("street_xuzhuang"),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["概况", "趋势", "分类别", "分区域", "下级排名", "指标口径"]
    for name in ("概况", "趋势", "分类别", "分区域"):
        assert book[name]._charts, f"{name} has no chart"  # type: ignore[attr-defined]
    rp = services.report_period("week")
    assert rp.first.weekday() == 0 and rp.last - rp.first == timedelta(days=6)
    with session_factory(engine)() as session:
        actor = actor_of(session, "street_xuzhuang")
        q = analytics.Query(XUZHUANG, rp.first, rp.last)
        summary = analytics.summary(session, q, actor=actor)
        trend = analytics.trend(session, q, "day", actor=actor)
        regions = analytics.breakdown(session, q, "region", actor=actor)
        ranking = analytics.ranking(session, "closure_rate", "community", q, actor=actor)
    overview = book["概况"]
    assert overview["A1"].value == "许庄街道社会治理周报"
    rows = {r[0]: r for r in overview.iter_rows(values_only=True) if r[0]}
    for value in summary.indicators:
        if value.indicator.code in HEADLINE:
            row = rows[value.indicator.name]
            assert row[2] == value.value and row[6] == value.numerator, row
    trend_rows = list(book["趋势"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[2]) for r in trend_rows] == [
        (p.key, p.counters["reported"], p.counters["closed"]) for p in trend
    ]
    region_rows = list(book["分区域"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[2], r[5]) for r in region_rows] == [
        (r.region_code, r.counters["reported"], r.indicators.get("closure_rate")) for r in regions
    ]
    ranked = [r for r in book["下级排名"].iter_rows(values_only=True) if isinstance(r[0], int)]
    closure = ranked[len(ranking) : 2 * len(ranking)]  # the second block: 结案率
    assert [(r[0], r[1], r[3]) for r in closure] == [
        (r.rank, r.key, r.value.value) for r in ranking
    ]


def test_a_view_report_uses_the_view_filters(history_district: Fresh) -> None:
    client, auth, engine = history_district
    leader = auth("leader")
    last_year = date.today().year - 1
    created = client.post(
        "/api/v1/analytics/views",
        json={
            "name": "去年一季度热线",
            "region_code": XUZHUANG,
            "start": f"{last_year}-01-01",
            "end": f"{last_year}-03-31",
            "source": "hotline",
            "shared": True,
        },
        headers=leader,
    )
    assert created.status_code == 201, created.text
    view = created.json()
    pdf = client.get(view["report_pdf"], headers=leader)
    assert pdf.status_code == 200, pdf.text
    text = pdf_text(pdf.content)
    assert "专题研判：去年一季度热线" in text and "来源渠道：12345热线" in text
    with session_factory(engine)() as session:
        q = analytics.Query(
            XUZHUANG, date(last_year, 1, 1), date(last_year, 3, 31), source="hotline"
        )
        summary = analytics.summary(session, q, actor=actor_of(session, "leader"))
    reported = next(v for v in summary.indicators if v.indicator.code == "events_reported")
    assert f"上报事件数 {value_text(reported)}" in text
    xlsx = client.get(view["report_xlsx"], headers=leader)
    assert xlsx.status_code == 200
    overview = load_workbook(io.BytesIO(xlsx.content))["概况"]
    assert overview["A1"].value == "专题研判：去年一季度热线"
    # Another street's staff cannot take the view's report.
    refused = client.get(view["report_pdf"], headers=auth("street_nanzhang"))
    assert refused.status_code == 404


def test_reports_are_refused_outside_the_readers_area(history_district: Fresh) -> None:
    client, auth, _ = history_district
    staff = auth("street_xuzhuang")
    foreign = client.get(
        "/api/v1/analytics/report.pdf", params={"region_code": NANZHANG}, headers=staff
    )
    assert foreign.status_code in (403, 404)
    assert "南张" not in foreign.text
    citizen = client.get("/api/v1/analytics/report.xlsx", headers=auth("citizen1"))
    assert citizen.status_code == 403
    assert client.get("/api/v1/analytics/report.pdf").status_code == 401
    bad = client.get("/api/v1/analytics/report.pdf", params={"period": "year"}, headers=staff)
    assert bad.status_code == 422
    backwards = client.get(
        "/api/v1/analytics/report.pdf",
        params={"start": "2026-05-02", "end": "2026-05-01"},
        headers=staff,
    )
    assert backwards.status_code == 422 and backwards.json()["error"]["code"] == "bad_period"

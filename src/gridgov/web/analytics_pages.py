"""分析研判 pages: the dashboard over the rollups and the lists of cases behind each figure.
They call the same services as the API."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from gridgov.analytics import services
from gridgov.analytics.indicators import BY_NAME, HEADLINE, INDICATOR_BY_CODE
from gridgov.events import services as events
from gridgov.events.models import SOURCE_LABELS, Source
from gridgov.http import OptionalActorDep, SessionDep
from gridgov.kit.errors import AppError
from gridgov.kit.pagination import PageParams
from gridgov.web.rendering import login_redirect, pager, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
PRESETS = (
    ("month", "本月"),
    ("last_month", "上月"),
    ("30d", "近30天"),
    ("quarter", "本季度"),
    ("year", "本年"),
    ("12m", "近12个月"),
)


def preset_period(preset: str, today: date) -> tuple[date, date]:
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if preset == "30d":
        return today - timedelta(days=29), today
    if preset == "quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today
    if preset == "year":
        return today.replace(month=1, day=1), today
    if preset == "12m":
        start = today.replace(day=1)
        return start.replace(year=start.year - 1) + timedelta(days=0), today
    return today.replace(day=1), today


def _query_string(q: services.Query, **extra: Any) -> str:
    pairs = {
        "region_code": q.region_code,
        "start": q.start,
        "end": q.end,
        "category_code": q.category_code,
        "source": q.source,
        **extra,
    }
    return "&".join(f"{k}={v}" for k, v in pairs.items() if v not in (None, ""))


@router.get("/analytics")
def analytics_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    region_code: Annotated[str | None, Query(max_length=40)] = None,
    preset: Annotated[str | None, Query(max_length=20)] = None,
    start: date | None = None,
    end: date | None = None,
    category_code: Annotated[str | None, Query(max_length=20)] = None,
    source: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    if actor is None:
        return login_redirect(request)
    if start is None and end is None:
        start, end = preset_period(preset or "month", services.today())
    q = services.Query(region_code or None, start, end, category_code or None, source or None)
    summary = services.summary(session, q, actor=actor)
    granularity = "day" if summary.period.days <= 62 else "month"
    trend = services.trend(session, q, granularity, actor=actor)
    by_region = services.breakdown(session, q, "region", actor=actor)
    by_category = services.breakdown(session, q, "category", actor=actor, category_level="top")
    by_source = services.breakdown(session, q, "source", actor=actor)
    fixed = services.Query(
        q.region_code, summary.period.first, summary.period.last, q.category_code, q.source
    )
    values = {v.indicator.code: v for v in summary.indicators}
    headline = [values[code] for code in HEADLINE]
    chart = {
        "trend": {
            "keys": [p.key for p in trend],
            "reported": [p.counters["reported"] for p in trend],
            "closed": [p.counters["closed"] for p in trend],
            "onTime": [p.on_time_rate for p in trend],
        },
        "ladder": [{"name": s.label, "value": s.count} for s in summary.ladder],
        "categories": [{"name": r.label, "value": r.counters["reported"]} for r in by_category],
        "sources": [{"name": r.label, "value": r.counters["reported"]} for r in by_source],
    }
    return render(
        request,
        "analytics.html",
        actor=actor,
        summary=summary,
        headline=headline,
        link=lambda code, part="numerator": (
            f"/analytics/cases?indicator={code}&part={part}&" + _query_string(fixed)
        ),
        region_link=lambda code: "/analytics?" + _query_string(fixed, region_code=code),
        by_region=by_region,
        by_category=by_category,
        by_source=by_source,
        granularity=granularity,
        chart=chart,
        presets=PRESETS,
        preset=preset or ("" if request.query_params.get("start") else "month"),
        q=q,
        categories=[c for c in events.list_categories(session, actor=actor) if not c.parent_code],
        sources=[(s.value, SOURCE_LABELS[s]) for s in Source],
        indicators=INDICATOR_BY_CODE,
    )


@router.get("/analytics/cases")
def analytics_cases_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    indicator: Annotated[str | None, Query(max_length=40)] = None,
    part: Annotated[str, Query(max_length=20)] = "numerator",
    counter: Annotated[str | None, Query(max_length=40)] = None,
    region_code: Annotated[str | None, Query(max_length=40)] = None,
    start: date | None = None,
    end: date | None = None,
    category_code: Annotated[str | None, Query(max_length=20)] = None,
    source: Annotated[str | None, Query(max_length=20)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    if actor is None:
        return login_redirect(request)
    q = services.Query(region_code or None, start, end, category_code or None, source or None)
    try:
        name = counter or services.counter_for(indicator or "", part)
    except AppError:
        name = "reported"
    spec = BY_NAME.get(name)
    rows, total = services.cases(
        session, name, q, actor=actor, page=PageParams(page=page, page_size=PAGE_SIZE)
    )
    where = services.area(session, q.region_code, actor=actor)
    p = services.period(q.start, q.end)
    labels = events.state_labels(session)
    title = f"{spec.label if spec else name}：{where.name} {p.first} 至 {p.last}"
    return render(
        request,
        "list.html",
        actor=actor,
        title=title,
        intro=(
            f"共 {total:,} 件（与统计数字一致）。口径：{spec.definition if spec else ''}。"
            + (
                f"指标：{INDICATOR_BY_CODE[indicator].formula}"
                if indicator in INDICATOR_BY_CODE
                else ""
            )
        ),
        columns=[
            "编号",
            "标题",
            "类别",
            "来源",
            "状态",
            "层级",
            "上报时间",
            "办结时限",
            "结案时间",
        ],
        rows=[
            [
                (e.code, f"/events/{e.id}"),
                (e.title, f"/events/{e.id}"),
                (e.category_code, None),
                (SOURCE_LABELS.get(Source(e.source), e.source), None),
                (labels.get(e.status, e.status), None),
                (e.level, None),
                (_local(e.created_at), None),
                (_local(e.deadline_at), None),
                (_local(e.closed_at), None),
            ]
            for e in rows
        ],
        empty="没有符合条件的案件。",
        pager=pager(request, page, total),
    )


def _local(moment: Any) -> str:
    from gridgov.config import get_settings
    from gridgov.kit.clock import format_local

    return format_local(moment, get_settings().timezone)

"""分析研判 API: figures over the rollups, indicators, rankings and the cases behind them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from gridgov.analytics import services
from gridgov.analytics.indicators import BY_NAME, Indicator
from gridgov.analytics.schemas import (
    AreaOut,
    BreakdownOut,
    BreakdownRowOut,
    CaseOut,
    CounterOut,
    IndicatorOut,
    LadderOut,
    PeriodOut,
    RankedOut,
    RankingOut,
    ShareOut,
    SummaryOut,
    TrendOut,
    TrendPointOut,
    ValueOut,
)
from gridgov.events.models import Event
from gridgov.http import ActorDep, SessionDep
from gridgov.kit.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])


def query_params(
    region_code: Annotated[
        str | None, Query(max_length=40, description="区域编码；默认为本人管辖范围")
    ] = None,
    start: Annotated[date | None, Query(description="开始日期（含），默认本月1日")] = None,
    end: Annotated[date | None, Query(description="结束日期（含），默认今天")] = None,
    category_code: Annotated[
        str | None, Query(max_length=20, description="事件类别编码（大类含其小类）")
    ] = None,
    source: Annotated[str | None, Query(max_length=20, description="来源渠道")] = None,
    department_id: Annotated[
        int | None, Query(ge=0, description="主办部门；0 为未派遣到部门的")
    ] = None,
) -> services.Query:
    return services.Query(region_code, start, end, category_code, source, department_id)


QueryDep = Annotated[services.Query, Depends(query_params)]


def area_out(area: services.Area) -> AreaOut:
    return AreaOut(
        region_code=area.code, name=area.name, region_codes=[r.code for r in area.regions]
    )


def period_out(period: services.Period) -> PeriodOut:
    return PeriodOut(start=period.first, end=period.last)


def _cases_link(code: str, part: str, q: services.Query) -> str:
    params = [f"part={part}"]
    for name, value in (
        ("region_code", q.region_code),
        ("start", q.start),
        ("end", q.end),
        ("category_code", q.category_code),
        ("source", q.source),
        ("department_id", q.department_id),
    ):
        if value is not None:
            params.append(f"{name}={value}")
    return f"/api/v1/analytics/indicators/{code}/cases?" + "&".join(params)


def value_out(value: services.IndicatorValue, q: services.Query, p: services.Period) -> ValueOut:
    indicator = value.indicator
    # Links name the resolved period, so the list is the figure's even when dates were omitted.
    fixed = services.Query(
        q.region_code, p.first, p.last, q.category_code, q.source, q.department_id
    )
    return ValueOut(
        code=indicator.code,
        name=indicator.name,
        unit=indicator.unit,
        value=value.value,
        numerator=value.numerator,
        denominator=value.denominator,
        numerator_cases=_cases_link(indicator.code, "numerator", fixed),
        denominator_cases=(
            _cases_link(indicator.code, "denominator", fixed) if indicator.denominator else None
        ),
    )


def indicator_out(indicator: Indicator) -> IndicatorOut:
    numerator = BY_NAME[indicator.numerator]
    denominator = BY_NAME[indicator.denominator] if indicator.denominator else None
    return IndicatorOut(
        code=indicator.code,
        name=indicator.name,
        kind=indicator.kind.value,
        unit=indicator.unit,
        formula=indicator.formula,
        description=indicator.description,
        numerator=numerator.name,
        numerator_label=numerator.label,
        numerator_definition=numerator.definition,
        denominator=denominator.name if denominator else None,
        denominator_label=denominator.label if denominator else None,
        denominator_definition=denominator.definition if denominator else None,
        higher_is_better=indicator.higher_is_better,
    )


def share_out(share: services.Share) -> ShareOut:
    return ShareOut(key=share.key, label=share.label, count=share.count, share=share.share)


def case_out(event: Event) -> CaseOut:
    return CaseOut(
        id=event.id,
        code=event.code,
        title=event.title,
        category_code=event.category_code,
        source=event.source,
        status=event.status,
        level=event.level,
        grid_code=event.region_path.rstrip("/").split("/")[-1],
        department_id=event.department_id,
        created_at=event.created_at,
        deadline_at=event.deadline_at,
        closed_at=event.closed_at,
    )


@router.get("/summary", response_model=SummaryOut)
def get_summary(session: SessionDep, actor: ActorDep, q: QueryDep) -> SummaryOut:
    """Every counter, the indicators, the escalation ladder and the statuses of the cases
    over the area and period."""
    result = services.summary(session, q, actor=actor)
    return SummaryOut(
        area=area_out(result.area),
        period=period_out(result.period),
        counters=result.counters,
        indicators=[value_out(v, q, result.period) for v in result.indicators],
        ladder=[share_out(s) for s in result.ladder],
        statuses=[share_out(s) for s in result.statuses],
        as_of=result.as_of,
    )


@router.get("/trend", response_model=TrendOut)
def get_trend(
    session: SessionDep,
    actor: ActorDep,
    q: QueryDep,
    granularity: Literal["day", "week", "month"] = "day",
) -> TrendOut:
    where = services.area(session, q.region_code, actor=actor)
    period = services.period(q.start, q.end)
    points = services.trend(session, q, granularity, actor=actor)
    return TrendOut(
        area=area_out(where),
        period=period_out(period),
        granularity=granularity,
        points=[
            TrendPointOut(
                key=p.key,
                start=p.first,
                counters=p.counters,
                closure_rate=p.closure_rate,
                on_time_rate=p.on_time_rate,
            )
            for p in points
        ],
    )


@router.get("/breakdown", response_model=BreakdownOut)
def get_breakdown(
    session: SessionDep,
    actor: ActorDep,
    q: QueryDep,
    by: Literal["category", "source", "region", "level", "status", "department"] = "category",
    category_level: Literal["leaf", "top"] = "leaf",
) -> BreakdownOut:
    where = services.area(session, q.region_code, actor=actor)
    rows = services.breakdown(session, q, by, actor=actor, category_level=category_level)
    return BreakdownOut(
        area=area_out(where),
        period=period_out(services.period(q.start, q.end)),
        by=by,
        rows=[
            BreakdownRowOut(
                key=r.key,
                label=r.label,
                region_code=r.region_code,
                counters=r.counters,
                indicators=r.indicators,
            )
            for r in rows
        ],
    )


@router.get("/ladder", response_model=LadderOut)
def get_ladder(session: SessionDep, actor: ActorDep, q: QueryDep) -> LadderOut:
    """Cases closed in the period by the level they were settled at (小事不出格)."""
    where = services.area(session, q.region_code, actor=actor)
    period = services.period(q.start, q.end)
    levels, grid_share = services.ladder(session, q, actor=actor)
    return LadderOut(
        area=area_out(where),
        period=period_out(period),
        levels=[share_out(s) for s in levels],
        grid_settle_rate=value_out(grid_share, q, period),
    )


@router.get("/counters", response_model=list[CounterOut])
def get_counters(actor: ActorDep) -> list[CounterOut]:
    """What every rollup counter counts (its anchor day and conditions)."""
    services.list_indicators(actor=actor)
    return [
        CounterOut(name=n, label=label, anchor=a, definition=d)
        for n, label, a, d in services.counter_definitions()
    ]


@router.get("/cases", response_model=Page[CaseOut])
def get_counter_cases(
    session: SessionDep,
    actor: ActorDep,
    q: QueryDep,
    counter: Annotated[str, Query(max_length=40, description="统计项，见 /analytics/counters")],
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[CaseOut]:
    """The cases behind one counter: the rollup's own predicate, read from the cases."""
    rows, total = services.cases(session, counter, q, actor=actor, page=page)
    return Page.of([case_out(e) for e in rows], total, page)


@router.get("/indicators", response_model=list[IndicatorOut])
def get_indicators(actor: ActorDep) -> list[IndicatorOut]:
    return [indicator_out(i) for i in services.list_indicators(actor=actor)]


@router.get("/indicators/{indicator_code}", response_model=ValueOut)
def get_indicator_value(
    indicator_code: str, session: SessionDep, actor: ActorDep, q: QueryDep
) -> ValueOut:
    value = services.indicator_value(session, indicator_code, q, actor=actor)
    return value_out(value, q, services.period(q.start, q.end))


@router.get("/indicators/{indicator_code}/cases", response_model=Page[CaseOut])
def get_indicator_cases(
    indicator_code: str,
    session: SessionDep,
    actor: ActorDep,
    q: QueryDep,
    page: Annotated[PageParams, Depends(page_params)],
    part: Literal["numerator", "denominator"] = "numerator",
) -> Page[CaseOut]:
    """The cases behind the indicator's numerator or denominator; the total equals it."""
    counter = services.counter_for(indicator_code, part)
    rows, total = services.cases(session, counter, q, actor=actor, page=page)
    return Page.of([case_out(e) for e in rows], total, page)


@router.get("/indicators/{indicator_code}/ranking", response_model=RankingOut)
def get_ranking(
    indicator_code: str,
    session: SessionDep,
    actor: ActorDep,
    q: QueryDep,
    target: Literal["street", "community", "grid", "department"] = "street",
) -> RankingOut:
    """The indicator per street, community, grid or department inside the area, ranked."""
    items = services.ranking(session, indicator_code, target, q, actor=actor)
    return RankingOut(
        indicator=indicator_out(services.get_indicator(indicator_code)),
        target=target,
        area=area_out(services.area(session, q.region_code, actor=actor)),
        period=period_out(services.period(q.start, q.end)),
        items=[
            RankedOut(
                rank=r.rank,
                key=r.key,
                label=r.label,
                value=r.value.value,
                numerator=r.value.numerator,
                denominator=r.value.denominator,
            )
            for r in items
        ],
    )

"""热点与预测 API: hotspots, high-frequency persons and the forecast, under the analytics
prefix and with its query parameters."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from gridgov.analytics import services as analytics
from gridgov.analytics.api import QueryDep, area_out, period_out
from gridgov.http import ActorDep, SessionDep
from gridgov.insights import services
from gridgov.insights.forecasting import HORIZONS
from gridgov.insights.schemas import (
    ForecastOut,
    ForecastPointOut,
    FrequentPersonOut,
    FrequentPersonsOut,
    HistoryPointOut,
    HotspotOut,
    HotspotsOut,
)
from gridgov.kit.errors import InvalidInput

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])


@router.get("/hotspots", response_model=HotspotsOut)
def get_hotspots(
    session: SessionDep,
    actor: ActorDep,
    q: QueryDep,
    resolution: Annotated[int, Query(ge=7, le=9, description="H3 分辨率（7–9）")] = 8,
    baseline_periods: Annotated[
        int, Query(ge=1, le=services.MAX_BASELINE_PERIODS, description="基线期数")
    ] = 8,
    min_count: Annotated[int, Query(ge=1, le=1000, description="参与检验的最少案件数")] = 5,
    boundary: bool = False,
) -> HotspotsOut:
    """H3 cells with significantly more cases in the period than over the equal periods
    before it (Poisson test, Bonferroni over the cells tested)."""
    report = services.hotspot_report(
        session,
        q,
        actor=actor,
        resolution=resolution,
        baseline_periods=baseline_periods,
        min_count=min_count,
        boundary=boundary,
    )
    return HotspotsOut(
        area=area_out(report.area),
        period=period_out(report.period),
        resolution=report.resolution,
        baseline_periods=report.baseline_periods,
        baseline_start=report.baseline_first,
        tested_cells=report.tested,
        total=report.current_total,
        baseline_total=report.baseline_total,
        scale=report.scale,
        items=[
            HotspotOut(
                cell=c.cell,
                lon=c.lon,
                lat=c.lat,
                count=c.count,
                baseline=c.baseline,
                expected=c.expected,
                z=c.z,
                p_value=c.p_value,
                event_ids=c.event_ids,
                boundary=c.boundary if boundary else None,
            )
            for c in report.cells
        ],
    )


@router.get("/frequent-persons", response_model=FrequentPersonsOut)
def get_frequent_persons(
    session: SessionDep,
    actor: ActorDep,
    q: QueryDep,
    kind: Literal["reporters", "involved"] = "reporters",
    limit: Annotated[int, Query(ge=1, le=services.MAX_LIMIT)] = 10,
) -> FrequentPersonsOut:
    """Citizens and callers who reported again and again (reporters), or dispute parties
    involved again and again (involved), in the period; labels masked."""
    find = services.frequent_reporters if kind == "reporters" else services.frequent_involved
    rows = find(session, q, actor=actor, limit=limit)
    return FrequentPersonsOut(
        area=area_out(analytics.area(session, q.region_code, actor=actor)),
        period=period_out(analytics.period(q.start, q.end)),
        kind=kind,
        items=[
            FrequentPersonOut(
                key=r.key,
                label=r.label,
                kind=r.kind,
                channel=r.channel,
                count=r.count,
                last_at=r.last_at,
                categories=r.categories,
                case_type=r.case_type,
                case_ids=r.case_ids,
            )
            for r in rows
        ],
    )


@router.get("/forecast", response_model=ForecastOut)
def get_forecast(
    session: SessionDep,
    actor: ActorDep,
    q: QueryDep,
    horizon: Annotated[int, Query(description="预测天数：7 或 30")] = 7,
    level: Literal["0.8", "0.95"] = "0.8",
) -> ForecastOut:
    """Reported cases per day for the next 7 or 30 days after the history (start/end name the
    history; by default the 182 days to yesterday), with an interval."""
    if horizon not in HORIZONS:
        raise InvalidInput("预测天数应为 7 或 30", code="bad_horizon")
    result = services.forecast(session, q, actor=actor, horizon=horizon, level=float(level))
    assert result.area is not None
    return ForecastOut(
        area=area_out(result.area),
        horizon=result.horizon,
        level=result.level,
        method=result.method,
        mape_backtest=result.mape_backtest,
        as_of=result.as_of,
        note=result.note,
        history=[HistoryPointOut(day=d, value=v) for d, v in result.history],
        points=[
            ForecastPointOut(day=p.day, value=p.value, lower=p.lower, upper=p.upper)
            for p in result.points
        ],
    )

"""热点与预测 page: hotspot cells, the frequent persons (masked) and the volume forecast with its
interval. It calls the same services as the API."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from gridgov.accounts.permissions import Perm
from gridgov.analytics import services as analytics
from gridgov.events import services as events
from gridgov.http import OptionalActorDep, SessionDep
from gridgov.insights import services
from gridgov.mediation.models import DISPUTE_TYPE_LABELS
from gridgov.web.analytics_pages import PRESETS, preset_period
from gridgov.web.rendering import login_redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/analytics/insights")
def insights_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    region_code: Annotated[str | None, Query(max_length=40)] = None,
    preset: Annotated[str | None, Query(max_length=20)] = None,
    start: date | None = None,
    end: date | None = None,
    category_code: Annotated[str | None, Query(max_length=20)] = None,
    resolution: Annotated[int, Query(ge=7, le=9)] = 8,
    horizon: Annotated[int, Query(ge=7, le=30)] = 30,
) -> Response:
    if actor is None:
        return login_redirect(request)
    if start is None and end is None:
        start, end = preset_period(preset or "30d", analytics.today())
    q = analytics.Query(region_code or None, start, end, category_code or None)
    # Long periods get fewer baseline periods (the window read is capped).
    days = analytics.period(q.start, q.end).days
    baseline = max(1, min(8, services.MAX_HOTSPOT_WINDOW_DAYS // days - 1))
    report = services.hotspot_report(
        session, q, actor=actor, resolution=resolution, baseline_periods=baseline
    )
    reporters = services.frequent_reporters(session, q, actor=actor, limit=20)
    involved = (
        services.frequent_involved(session, q, actor=actor, limit=20)
        if actor.can(Perm.DISPUTES_READ)
        else None
    )
    # The forecast reads the history up to yesterday, whatever the period shown above.
    prediction = services.forecast(
        session,
        analytics.Query(region_code or None, None, None, category_code or None),
        actor=actor,
        horizon=30 if horizon >= 30 else 7,
    )
    categories = {c.code: c.name for c in events.list_categories(session, actor=actor)}
    chart: dict[str, Any] = {
        "hotspots": [
            {"cell": c.cell, "lon": c.lon, "lat": c.lat, "count": c.count, "z": c.z}
            for c in report.cells
        ],
        "forecast": {
            "history": [[d.isoformat(), v] for d, v in prediction.history[-91:]],
            "points": [[p.day.isoformat(), p.value, p.lower, p.upper] for p in prediction.points],
            "level": prediction.level,
        },
    }
    return render(
        request,
        "insights.html",
        actor=actor,
        report=report,
        reporters=reporters,
        involved=involved,
        prediction=prediction,
        categories=categories,
        dispute_types={str(k): v for k, v in DISPUTE_TYPE_LABELS.items()},
        top_categories=[
            c for c in events.list_categories(session, actor=actor) if not c.parent_code
        ],
        chart=chart,
        presets=PRESETS,
        preset=preset or ("" if request.query_params.get("start") else "30d"),
        q=q,
        resolution=resolution,
        horizon=30 if horizon >= 30 else 7,
    )

"""大屏 pages: the index of the five screens and each screen's shell. The shell holds no
figures: the browser loads them from /api/v1/screens/{screen} (the same service as the API),
draws the map from the GIS API and listens to /api/v1/screens/stream for new cases."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from gridgov.analytics import services as analytics
from gridgov.events.models import SOURCE_LABELS
from gridgov.http import OptionalActorDep, SessionDep, SettingsDep
from gridgov.kit.errors import NotFound
from gridgov.screens import services
from gridgov.web.analytics_pages import preset_period
from gridgov.web.rendering import login_redirect, render

router = APIRouter(include_in_schema=False)
PRESETS = (
    ("today", "今日"),
    ("7d", "近7天"),
    ("month", "本月"),
    ("quarter", "本季度"),
    ("year", "本年"),
    ("12m", "近12个月"),
)


def _period(preset: str | None, start: date | None, end: date | None) -> tuple[date, date]:
    today = analytics.today()
    if start is not None or end is not None:
        period = analytics.period(start, end)
        return period.first, period.last
    if preset == "today":
        return today, today
    if preset == "7d":
        return date.fromordinal(today.toordinal() - 6), today
    return preset_period(preset or "month", today)


@router.get("/screens")
def screens_index(request: Request, actor: OptionalActorDep) -> Response:
    if actor is None:
        return login_redirect(request)
    services.may_watch(actor)
    return render(request, "screens_index.html", actor=actor, screens=services.list_screens())


@router.get("/screens/{screen}")
def screen_page(
    request: Request,
    screen: str,
    session: SessionDep,
    settings: SettingsDep,
    actor: OptionalActorDep,
    region_code: Annotated[str | None, Query(max_length=40)] = None,
    preset: Annotated[str | None, Query(max_length=20)] = None,
    start: date | None = None,
    end: date | None = None,
) -> Response:
    if actor is None:
        return login_redirect(request)
    services.may_watch(actor)
    if screen not in services.SCREENS:
        raise NotFound(f"没有名为 {screen} 的大屏", code="screen_not_found")
    first, last = _period(preset, start, end)
    # Resolve the area here too, so another street's code is a 404 page, not an empty screen.
    ctx = services.context(
        session, actor=actor, region_code=region_code or None, start=first, end=last
    )
    chosen = preset if preset else ("" if start or end else "month")
    return render(
        request,
        "screens.html",
        actor=actor,
        screen=screen,
        title=services.SCREENS[screen],
        screens=services.list_screens(),
        presets=PRESETS,
        preset=chosen,
        config={
            "screen": screen,
            "title": services.SCREENS[screen],
            "regionCode": ctx.area.code,
            "start": first.isoformat(),
            "end": last.isoformat(),
            "preset": chosen,
            "today": analytics.today().isoformat(),
            "tileUrl": settings.map_tile_url,
            "sourceLabels": {s.value: label for s, label in SOURCE_LABELS.items()},
        },
        start=first,
        end=last,
    )

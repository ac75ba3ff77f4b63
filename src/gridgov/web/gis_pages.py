"""The one map (GIS一张图): a MapLibre page over the GIS API. The page holds no data of its
own; the browser loads layers, tiles, popups and area summaries through /api/v1/gis."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gridgov.accounts.permissions import Perm
from gridgov.events import services as events
from gridgov.gis import services as gis
from gridgov.http import OptionalActorDep, SessionDep, SettingsDep
from gridgov.regions import services as regions
from gridgov.web.rendering import login_redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/map")
def map_page(
    request: Request, session: SessionDep, settings: SettingsDep, actor: OptionalActorDep
) -> Response:
    if actor is None:
        return login_redirect(request)
    actor.require(Perm.REGIONS_READ)
    bounds = regions.scope_bounds(session, actor=actor)
    categories = (
        [c for c in events.list_categories(session, actor=actor) if not c.parent_code]
        if actor.can(Perm.EVENTS_READ)
        else []
    )
    return render(
        request,
        "map.html",
        actor=actor,
        config={
            "bounds": bounds,
            "tileUrl": settings.map_tile_url,
            "canRegistry": actor.can(Perm.REGISTRY_READ),
            "canEvents": actor.can(Perm.EVENTS_READ),
            "tileLayers": list(gis.TILE_LAYERS),
            "defaultDays": gis.DEFAULT_EVENT_DAYS,
            "statusLabels": events.state_labels(session) if actor.can(Perm.EVENTS_READ) else {},
        },
        categories=[(c.code, c.name) for c in categories],
    )

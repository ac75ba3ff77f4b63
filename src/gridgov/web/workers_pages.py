"""Worker management pages (网格员管理): the roster with a live positions map, and each
worker's page with today's figures, 30 days of daily reports and the animated replay of a
day's track. They call the same services as the API; the maps load through it."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from gridgov.accounts.permissions import Perm
from gridgov.http import OptionalActorDep, SessionDep
from gridgov.kit.pagination import PageParams
from gridgov.patrol import services as patrol
from gridgov.regions import services as regions
from gridgov.web.rendering import PAGE_SIZE, login_redirect, pager, render
from gridgov.workers import services

router = APIRouter(include_in_schema=False)


def _bounds(session: SessionDep, actor: OptionalActorDep) -> list[float] | None:
    assert actor is not None
    roots = regions.scope_roots(session, actor=actor)
    if not roots:
        return None
    return [
        min(r.min_lon for r in roots),
        min(r.min_lat for r in roots),
        max(r.max_lon for r in roots),
        max(r.max_lat for r in roots),
    ]


@router.get("/workers")
def roster_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    page: Annotated[int, Query(ge=1)] = 1,
    region_code: Annotated[str | None, Query(max_length=32)] = None,
    on_duty: Annotated[str | None, Query(pattern="^(|true|false)$")] = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    if actor is None:
        return login_redirect(request)
    actor.require(Perm.WORKERS_READ)
    duty = {"true": True, "false": False}.get(on_duty or "")
    views, total = services.roster(
        session,
        actor=actor,
        region_code=region_code or None,
        on_duty=duty,
        q=q or None,
        page=PageParams(page=page, page_size=PAGE_SIZE),
    )
    return render(
        request,
        "workers.html",
        actor=actor,
        workers=[v.out() for v in views],
        filters={"region_code": region_code or "", "on_duty": on_duty or "", "q": q or ""},
        pager=pager(request, page, total),
        config={"mode": "roster", "bounds": _bounds(session, actor)},
    )


@router.get("/workers/{user_id}")
def worker_page(
    request: Request,
    user_id: int,
    session: SessionDep,
    actor: OptionalActorDep,
    day: Annotated[date | None, Query(alias="date")] = None,
) -> Response:
    if actor is None:
        return login_redirect(request)
    view = services.worker(session, user_id, actor=actor)
    history = services.history(session, user_id, actor=actor)
    shown = day or patrol.today()
    return render(
        request,
        "workers_detail.html",
        actor=actor,
        worker=view.out(),
        history=history,
        day=shown,
        can_call=actor.can(Perm.CALLS_MAKE) and actor.id != user_id,
        config={
            "mode": "track",
            "bounds": _bounds(session, actor),
            "userId": user_id,
            "date": shown.isoformat(),
            "gridCodes": [g.code for g in view.grids],
        },
    )

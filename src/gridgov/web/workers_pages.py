"""Worker management pages (网格员管理): the roster with a live positions map, and each
worker's page with today's figures, 30 days of daily reports and the animated replay of a
day's track. They call the same services as the API; the maps load through it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, get_args

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from gridgov.accounts import services as accounts
from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.accounts.schemas import AssignmentCreate
from gridgov.http import OptionalActorDep, SessionDep
from gridgov.kit.errors import Conflict, InvalidInput, NotFound
from gridgov.kit.pagination import PageParams
from gridgov.patrol import services as patrol
from gridgov.regions import services as regions
from gridgov.web.rendering import PAGE_SIZE, form_actor, login_redirect, pager, render
from gridgov.workers import services

router = APIRouter(include_in_schema=False)
# The duties an assignment may carry, as the API's assignment schema lists them.
GRID_DUTIES: tuple[str, ...] = get_args(AssignmentCreate.model_fields["duty"].annotation)


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
        config={"mode": "roster", "bounds": regions.scope_bounds(session, actor=actor)},
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
    return _worker_page(request, session, actor, user_id, day)


def _worker_page(
    request: Request,
    session: Session,
    actor: Actor,
    user_id: int,
    day: date | None,
    *,
    error: str | None = None,
) -> Response:
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
        can_assign=actor.can(Perm.USERS_WRITE),
        duties=GRID_DUTIES,
        error=error,
        status_code=422 if error else 200,
        config={
            "mode": "track",
            "bounds": regions.scope_bounds(session, actor=actor),
            "userId": user_id,
            "date": shown.isoformat(),
            "gridCodes": [g.code for g in view.grids],
        },
    )


@router.post("/workers/{user_id}/grids")
def change_grids(
    request: Request,
    user_id: int,
    session: SessionDep,
    csrf_token: Annotated[str, Form()],
    grid_code: Annotated[str, Form(max_length=32)],
    duty: Annotated[str, Form(max_length=20)] = GRID_DUTIES[0],
    remove: Annotated[bool, Form()] = False,
) -> Response:
    """Assign the worker to a basic or special grid, or take them off one (网格分配)."""
    actor = form_actor(request, session, csrf_token)
    if actor is None:
        return login_redirect(request)
    try:
        if remove:
            accounts.unassign_from_grid(session, grid_code.strip(), user_id, actor=actor)
        elif duty not in GRID_DUTIES:
            raise InvalidInput(f"职责只能是 {'、'.join(GRID_DUTIES)}", code="invalid_duty")
        else:
            accounts.assign_to_grid(session, grid_code.strip(), user_id, duty=duty, actor=actor)
    except (InvalidInput, Conflict, NotFound) as refused:
        return _worker_page(request, session, actor, user_id, None, error=refused.message)
    return RedirectResponse(f"/workers/{user_id}", status_code=303)

"""专题研判 pages: the list of saved views with their reports, saving the 分析研判 page's
filters as a view, and deleting one's own. They call the same services as the API."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.http import OptionalActorDep, SessionDep
from gridgov.kit.errors import AppError
from gridgov.reports import services
from gridgov.reports.api import page_url
from gridgov.reports.models import PANELS, PERIOD_PRESETS
from gridgov.reports.schemas import ViewIn
from gridgov.web.rendering import form_actor, login_redirect, render

router = APIRouter(include_in_schema=False)


def _views_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    error: str | None = None,
    created: int | None = None,
    status_code: int = 200,
) -> Response:
    views = services.list_views(session, actor=actor)
    week = services.report_period("week")
    month = services.report_period("month")
    return render(
        request,
        "analytics_views.html",
        status_code=status_code,
        actor=actor,
        views=views,
        page_url=page_url,
        presets=PERIOD_PRESETS,
        panels=PANELS,
        week=week,
        month=month,
        error=error,
        created=created,
    )


@router.get("/analytics/views")
def views_page(
    request: Request, session: SessionDep, actor: OptionalActorDep, created: int | None = None
) -> Response:
    if actor is None:
        return login_redirect(request)
    return _views_page(request, session, actor, created=created)


@router.post("/analytics/views")
def save_view(
    request: Request,
    session: SessionDep,
    csrf_token: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    shared: Annotated[str, Form()] = "",
    region_code: Annotated[str, Form()] = "",
    preset: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
    category_code: Annotated[str, Form()] = "",
    source: Annotated[str, Form()] = "",
) -> Response:
    """保存为专题, from the 分析研判 page: a preset when the page showed one, else its dates."""
    actor = form_actor(request, session, csrf_token)
    if actor is None:
        return login_redirect(request)
    try:
        data = ViewIn(
            name=name,
            description=description,
            shared=shared in ("1", "on", "true"),
            region_code=region_code or None,
            preset=preset or None,
            start=date.fromisoformat(start) if start and not preset else None,
            end=date.fromisoformat(end) if end and not preset else None,
            category_code=category_code or None,
            source=source or None,
        )
        info = services.create_view(session, data, actor=actor)
    except AppError as refused:
        session.rollback()
        return _views_page(request, session, actor, error=refused.message, status_code=422)
    except ValueError:
        return _views_page(
            request,
            session,
            actor,
            error="专题名称为 1–60 字，日期格式应为 年-月-日",
            status_code=422,
        )
    return RedirectResponse(f"/analytics/views?created={info.view.id}", status_code=303)


@router.post("/analytics/views/{view_id}/delete")
def delete_view(
    view_id: int, request: Request, session: SessionDep, csrf_token: Annotated[str, Form()]
) -> Response:
    actor = form_actor(request, session, csrf_token)
    if actor is None:
        return login_redirect(request)
    try:
        services.delete_view(session, view_id, actor=actor)
    except AppError as refused:
        session.rollback()
        return _views_page(
            request, session, actor, error=refused.message, status_code=refused.status_code
        )
    return RedirectResponse("/analytics/views", status_code=303)

"""Rendering shared by every page module: templates, errors, login redirects, pagers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from gridgov.accounts import services as accounts
from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import ROLE_LABELS
from gridgov.config import get_settings
from gridgov.http import check_csrf, client_ip, csrf_token
from gridgov.kit.clock import format_local
from gridgov.orgs.models import ORG_KIND_LABELS
from gridgov.regions.models import LEVEL_LABELS, SPECIAL_GRID_KIND_LABELS
from gridgov.web import TEMPLATES_DIR

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.filters["local"] = lambda value: format_local(value, get_settings().timezone)
templates.env.globals.update(
    LEVEL_LABELS={k.value: v for k, v in LEVEL_LABELS.items()},
    KIND_LABELS={k.value: v for k, v in SPECIAL_GRID_KIND_LABELS.items()},
    ORG_KIND_LABELS={k.value: v for k, v in ORG_KIND_LABELS.items()},
    ROLE_LABELS={k.value: v for k, v in ROLE_LABELS.items()},
)

PAGE_SIZE = 50


def form_actor(request: Request, session: Session, csrf: str) -> Actor | None:
    """The page session's account for a plain form post, whose CSRF token is a form field
    (the API's cookie check wants it in a header); None when nobody is signed in."""
    check_csrf(request, csrf)
    user_id = request.session.get("user_id")
    if user_id is None:
        return None
    user = accounts.user_for_token(session, int(user_id))
    return accounts.actor_for(session, user, client_ip=client_ip(request))


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("actor", None)
    return templates.TemplateResponse(
        request, template, {"csrf_token": csrf_token(request), **context}, status_code=status_code
    )


def render_error(request: Request, status_code: int, message: str) -> Response:
    if status_code == 401:
        return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}", status_code=303)
    return render(request, "error.html", status_code=status_code, message=message)


def login_redirect(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}", status_code=303)


def pager(request: Request, page: int, total: int, cap: int | None = None) -> dict[str, Any]:
    """Links for a list page. With ``cap``, a total above it reads "cap+" (it was not counted
    further)."""
    capped = cap is not None and total > cap
    total = min(total, cap) if cap is not None else total
    pages = max(1, -(-total // PAGE_SIZE))
    params = dict(request.query_params)

    def link(number: int) -> str:
        return f"{request.url.path}?{urlencode({**params, 'page': number})}"

    return {
        "page": page,
        "pages": pages,
        "total": f"{total:,}+" if capped else total,
        "prev": link(page - 1) if page > 1 else None,
        "next": link(page + 1) if page < pages else None,
    }

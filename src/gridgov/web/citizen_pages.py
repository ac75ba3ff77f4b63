"""Pages of the citizen channel: the public mobile app at /m/citizen/ (a page of its own, made
for phones, that talks to /api/v1/citizen) and the admins' Open311 keys page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from gridgov.accounts.permissions import Perm
from gridgov.http import OptionalActorDep, SessionDep
from gridgov.kit.errors import AppError
from gridgov.open311 import services as open311
from gridgov.open311.schemas import KeyIn
from gridgov.web import STATIC_DIR
from gridgov.web.rendering import form_actor, login_redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/m/citizen", response_class=HTMLResponse)
def citizen_root() -> Response:
    return RedirectResponse("/m/citizen/", status_code=307)


@router.get("/m/citizen/", response_class=HTMLResponse)
def citizen_app(request: Request, actor: OptionalActorDep) -> HTMLResponse:
    response = render(request, "citizen.html", actor=actor)
    # The app is its own page: nothing may frame it, and it loads only our own files.
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'"
    )
    return response


MANIFEST = {
    "name": "北湖之声 · 随手拍",
    "short_name": "随手拍",
    "start_url": "/m/citizen/",
    "scope": "/m/citizen/",
    "display": "standalone",
    "background_color": "#f1f3f4",
    "theme_color": "#1a73e8",
    "lang": "zh-CN",
    "icons": [{"src": "/static/citizen-icon.svg", "sizes": "any", "type": "image/svg+xml"}],
}


@router.get("/m/citizen/manifest.webmanifest")
def manifest() -> Response:
    return JSONResponse(MANIFEST, media_type="application/manifest+json")


@router.get("/m/citizen/sw.js")
def service_worker() -> Response:
    # Served from the app's own path so that its scope is the app (/m/citizen/).
    return FileResponse(
        STATIC_DIR / "citizen-sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache"},
    )


def _keys_page(
    request: Request, session: SessionDep, actor: OptionalActorDep, **context: Any
) -> Response:
    if actor is None:
        return login_redirect(request)
    keys = open311.list_keys(session, actor=actor)
    return render(request, "citizen_open311_keys.html", actor=actor, keys=keys, **context)


@router.get("/admin/open311", response_class=HTMLResponse)
def keys_page(request: Request, session: SessionDep, actor: OptionalActorDep) -> Response:
    return _keys_page(request, session, actor)


@router.post("/admin/open311/keys", response_class=HTMLResponse)
def create_key(
    request: Request,
    session: SessionDep,
    csrf_token: Annotated[str, Form()],
    name: Annotated[str, Form()],
    requests_per_minute: Annotated[int, Form()] = 60,
    contact: Annotated[str, Form()] = "",
) -> Response:
    actor = form_actor(request, session, csrf_token)
    if actor is None:
        return login_redirect(request)
    actor.require(Perm.OPEN311_KEYS)
    try:
        data = KeyIn(name=name, contact=contact, requests_per_minute=requests_per_minute)
        key, api_key = open311.create_key(session, data, actor=actor)
    except AppError as refused:
        return _keys_page(request, session, actor, error=refused.message)
    except ValueError:
        return _keys_page(request, session, actor, error="名称 2–64 字，每分钟请求数 1–6000")
    return _keys_page(request, session, actor, created=key, api_key=api_key)


@router.post("/admin/open311/keys/{key_id}/revoke", response_class=HTMLResponse)
def revoke_key(
    key_id: int,
    request: Request,
    session: SessionDep,
    csrf_token: Annotated[str, Form()],
) -> Response:
    actor = form_actor(request, session, csrf_token)
    if actor is None:
        return login_redirect(request)
    open311.revoke_key(session, key_id, actor=actor)
    return RedirectResponse("/admin/open311", status_code=303)

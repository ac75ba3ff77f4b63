"""The grid worker app at /m/worker/: a page of its own, made for phones, that works offline.

The page itself is a shell with no personal data in it, so the service worker may keep it and
open it without a connection; the account, its grids and the CSRF token come from
``/m/worker/session``, which the app remembers on the device for the times it is offline.
Everything the app writes goes through the same API endpoints programs use."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.http import OptionalActorDep, SettingsDep, csrf_token
from gridgov.web import STATIC_DIR
from gridgov.web.rendering import render

router = APIRouter(include_in_schema=False)

# Patrolling is what makes an account a field worker (grid workers; admins have everything).
APP_PERMISSION = Perm.PATROL_REPORT
REFUSAL = "网格员助手仅供网格员账号使用。当前账号请使用电脑端工作台。"

CSP = (
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; worker-src 'self' blob:; connect-src 'self'; "
    "media-src 'self' blob: mediastream:; frame-ancestors 'none'"
)


def _locked_down(response: Response) -> Response:
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = CSP
    return response


@router.get("/m/worker", response_class=HTMLResponse)
def worker_root() -> Response:
    return RedirectResponse("/m/worker/", status_code=307)


@router.get("/m/worker/", response_class=HTMLResponse)
def worker_app(request: Request, actor: OptionalActorDep) -> Response:
    if actor is not None and not actor.can(APP_PERMISSION):
        # Signed in, but not as a worker: say so plainly instead of an app that cannot work.
        return render(request, "error.html", status_code=403, actor=actor, message=REFUSAL)
    # Signed out: the shell still loads (it shows its own sign-in form, or works offline).
    return _locked_down(render(request, "worker.html"))


MANIFEST = {
    "name": "网格员助手",
    "short_name": "网格员",
    "description": "网格巡查、事件上报、自办结、走访、任务与专项排查（可离线使用）",
    "start_url": "/m/worker/",
    "scope": "/m/worker/",
    "display": "standalone",
    "orientation": "portrait",
    "background_color": "#f1f3f4",
    "theme_color": "#0b8043",
    "lang": "zh-CN",
    "icons": [
        {"src": "/static/worker-icon.svg", "sizes": "any", "type": "image/svg+xml"},
        {
            "src": "/static/worker-icon.svg",
            "sizes": "any",
            "type": "image/svg+xml",
            "purpose": "maskable",
        },
    ],
}


@router.get("/m/worker/manifest.webmanifest")
def manifest() -> Response:
    return JSONResponse(MANIFEST, media_type="application/manifest+json")


@router.get("/m/worker/sw.js")
def service_worker() -> Response:
    # Served from the app's own path so that its scope is the app (/m/worker/).
    return FileResponse(
        STATIC_DIR / "worker-sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/m/worker/"},
    )


def _account(actor: Actor) -> dict[str, object]:
    paths = actor.scope.region_paths or ()
    return {
        "id": actor.id,
        "username": actor.username,
        "display_name": actor.display_name,
        "role": actor.role.value,
        "role_label": actor.role_label,
        "grid_codes": [path.rstrip("/").split("/")[-1] for path in paths],
        "permissions": sorted(p.value for p in actor.permissions),
    }


@router.get("/m/worker/session")
def worker_session(request: Request, actor: OptionalActorDep, settings: SettingsDep) -> Response:
    """Who is signed in, the CSRF token for writes, and whether the app is for them. Never
    cached: the app keeps its own copy for the times it is offline."""
    body: dict[str, object] = {
        "csrf_token": csrf_token(request),
        "user": _account(actor) if actor is not None else None,
        "allowed": actor is not None and actor.can(APP_PERMISSION),
        "message": REFUSAL if actor is not None and not actor.can(APP_PERMISSION) else "",
        "session_seconds": settings.access_token_minutes * 60,
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})

"""The web application: API routers, pages, error format."""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from gridgov import __version__
from gridgov.accounts.api import router as accounts_router
from gridgov.alerts.api import router as alerts_router
from gridgov.analytics.api import router as analytics_router
from gridgov.assessment.api import router as assessment_router
from gridgov.audit.api import router as audit_router
from gridgov.calls.api import router as calls_router
from gridgov.calls.api import ws_router as calls_ws_router
from gridgov.campaigns.api import router as campaigns_router
from gridgov.citizen.api import router as citizen_router
from gridgov.config import Settings, get_settings
from gridgov.db import get_engine
from gridgov.events.api import router as events_router
from gridgov.events.intake_api import router as intake_router
from gridgov.gis.api import router as gis_router
from gridgov.gis.api import tiles_router as gis_tiles_router
from gridgov.insights.api import router as insights_router
from gridgov.jobs import scheduler
from gridgov.kit import live, pubsub
from gridgov.kit.errors import AppError
from gridgov.media.api import router as media_router
from gridgov.mediation.api import router as mediation_router
from gridgov.networks.api import router as networks_router
from gridgov.notifications.api import router as notifications_router
from gridgov.open311.api import keys_router as open311_keys_router
from gridgov.open311.api import router as open311_router
from gridgov.orgs.api import router as orgs_router
from gridgov.patrol.api import router as patrol_router
from gridgov.regions.api import router as regions_router
from gridgov.registry.api import router as registry_router
from gridgov.reports.api import router as reports_router
from gridgov.routing.api import router as routing_router
from gridgov.screens.api import router as screens_router
from gridgov.tasks.api import router as tasks_router
from gridgov.visits.api import router as visits_router
from gridgov.web import STATIC_DIR
from gridgov.web.alerts_pages import router as alerts_pages_router
from gridgov.web.analytics_pages import router as analytics_pages_router
from gridgov.web.assessment_pages import router as assessment_pages_router
from gridgov.web.calls_pages import router as calls_pages_router
from gridgov.web.campaigns_pages import router as campaigns_pages_router
from gridgov.web.citizen_pages import router as citizen_pages_router
from gridgov.web.events_pages import router as events_pages_router
from gridgov.web.gis_pages import router as gis_pages_router
from gridgov.web.hotline_pages import router as hotline_pages_router
from gridgov.web.insights_pages import router as insights_pages_router
from gridgov.web.mediation_pages import router as mediation_pages_router
from gridgov.web.networks_pages import router as networks_pages_router
from gridgov.web.pages import router as pages_router
from gridgov.web.registry_pages import router as registry_pages_router
from gridgov.web.reports_pages import router as reports_pages_router
from gridgov.web.routing_pages import router as routing_pages_router
from gridgov.web.screens_pages import router as screens_pages_router
from gridgov.web.tasks_pages import router as tasks_pages_router
from gridgov.web.workbench_pages import router as workbench_pages_router
from gridgov.web.worker_pages import router as worker_pages_router
from gridgov.web.workers_pages import router as workers_pages_router
from gridgov.web.workflow_pages import router as workflow_pages_router
from gridgov.workers.api import router as workers_router
from gridgov.workflow.api import router as workflow_router

SWAGGER_UI = "/static/vendor/swagger-ui-dist-5.35.0"

_HTTP_CODES = {
    401: ("not_authenticated", "请先登录"),
    403: ("permission_denied", "没有权限"),
    404: ("not_found", "请求的资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
}


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/openapi", "/docs")) and "text/html" in (
        request.headers.get("accept", "")
    )


# uvicorn runs plain ``def`` endpoints and dependencies in worker threads beside its event
# loop, and each request hands the interpreter lock between them several times. At Python's
# default 5 ms switch interval a thread waiting for the lock can sit out most of that; at
# 0.5 ms an authenticated read went from 115 to 200 requests/s on the 2-core machine.
SERVER_SWITCH_INTERVAL = 0.0005
# A request that reads a few thousand rows (a dense map tile, an export page) allocates tens of
# thousands of objects: at the default generation-0 threshold of 700 the cyclic collector runs
# dozens of times in it and now and then sweeps the whole heap, which took a city-density tile
# from 25 ms to 110 ms of CPU. Reference counting still frees almost everything at once.
SERVER_GC_THRESHOLD = (50_000, 20, 20)


def tune_for_serving() -> None:
    """Interpreter settings for a process whose job is serving HTTP (`gridgov serve`)."""
    sys.setswitchinterval(SERVER_SWITCH_INTERVAL)
    gc.set_threshold(*SERVER_GC_THRESHOLD)


def serving_app() -> FastAPI:
    """The app of one of the processes of `gridgov serve --workers N`: uvicorn calls this in
    each process it starts, which reads its settings from the environment it inherited."""
    tune_for_serving()
    return create_app(get_settings())


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or get_engine(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        jobs = scheduler(engine) if settings.jobs == "inprocess" else None
        if jobs is not None:
            jobs.start_thread()
        yield
        if jobs is not None:
            jobs.stop()
        await _app.state.realtime.close()

    app = FastAPI(
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        title="gridgov 社会治理多网融合智慧平台",
        version=__version__,
        description="Grid-based social governance platform. Errors are "
        '`{"error": {"code": ..., "message": ...}}` with a Chinese message.',
    )
    app.state.settings = settings
    app.state.engine = engine
    # Live updates (video call signalling): in-process, or Redis shared by every process.
    app.state.realtime = pubsub.connect(settings.redis_url)
    # Messages published after commit (new cases for the big screens) go out on it.
    live.attach(engine, lambda: app.state.realtime.pubsub)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.effective_secret_key(),
        session_cookie="gridgov_session",
        same_site="lax",
        https_only=settings.secure_cookies,
        max_age=settings.access_token_minutes * 60,
    )

    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> Response:
        if _wants_html(request):
            from gridgov.web.rendering import render_error

            return render_error(request, exc.status_code, exc.message)
        headers = {}
        if "retry_after" in exc.details:
            headers["Retry-After"] = str(exc.details["retry_after"])
        return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        details: list[dict[str, Any]] = [
            {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type")}
            for err in exc.errors()
        ]
        body = {"error": {"code": "invalid_input", "message": "请求参数不合法", "details": details}}
        return JSONResponse(body, status_code=422)

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> Response:
        # Two requests raced past the same uniqueness check; the database kept one. The request
        # was rolled back whole, so the loser may simply retry.
        body = {
            "error": {
                "code": "conflict",
                "message": "数据冲突：同一数据刚被他人修改或创建，请刷新后重试",
            }
        }
        return JSONResponse(body, status_code=409)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code, message = _HTTP_CODES.get(exc.status_code, ("http_error", str(exc.detail)))
        if _wants_html(request):
            from gridgov.web.rendering import render_error

            return render_error(request, exc.status_code, message)
        return JSONResponse(
            {"error": {"code": code, "message": message}},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> Response:
        # FastAPI's default page loads Swagger UI from a CDN; closed networks have none.
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="gridgov API",
            swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
        )

    @app.get("/api/v1/health", tags=["system"], summary="健康检查")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    for router in (
        accounts_router,
        regions_router,
        orgs_router,
        registry_router,
        intake_router,  # before events: /events/import is not an event id
        events_router,
        mediation_router,
        media_router,
        workflow_router,
        gis_router,
        gis_tiles_router,
        routing_router,
        networks_router,
        notifications_router,
        calls_router,
        calls_ws_router,
        visits_router,
        tasks_router,
        campaigns_router,
        patrol_router,
        workers_router,
        insights_router,
        analytics_router,
        assessment_router,
        alerts_router,
        reports_router,
        screens_router,
        citizen_router,
        open311_router,
        open311_keys_router,
        audit_router,
        pages_router,
        registry_pages_router,
        hotline_pages_router,  # before the events pages, for the same reason
        events_pages_router,
        mediation_pages_router,
        workbench_pages_router,
        workflow_pages_router,
        gis_pages_router,
        networks_pages_router,
        routing_pages_router,
        calls_pages_router,
        tasks_pages_router,
        campaigns_pages_router,
        citizen_pages_router,
        worker_pages_router,
        workers_pages_router,
        insights_pages_router,
        analytics_pages_router,
        assessment_pages_router,
        alerts_pages_router,
        reports_pages_router,
        screens_pages_router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app

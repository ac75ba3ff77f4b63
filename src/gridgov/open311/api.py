"""Open311 GeoReport v2 at /open311/v2 (JSON and XML), and the admins' API keys at
/api/v1/open311/keys.

Every Open311 path ends in ``.json`` or ``.xml``. Errors take the standard form
(``[{"code": 404, "description": "…"}]`` / ``<errors><error>…``) with the HTTP status as its
code; a route class turns the platform's errors (and refused parameters) into it."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from gridgov.db import unit_of_work
from gridgov.http import ActorDep, SessionDep, SettingsDep, client_ip
from gridgov.kit.errors import AppError
from gridgov.kit.ratelimit import RateLimiter
from gridgov.open311 import services, xml
from gridgov.open311.models import Open311Key
from gridgov.open311.schemas import KeyCreated, KeyIn, KeyOut, KeyUpdate

Format = Literal["json", "xml"]
XML_TYPE = "text/xml; charset=utf-8"
# Reads anyone may make, per client address and process.
PUBLIC_LIMITER = RateLimiter()
PUBLIC_READS_PER_MINUTE = 300


def _status_code(exc: Exception) -> int:
    if isinstance(exc, RequestValidationError):
        return 400
    if isinstance(exc, AppError):
        # Open311 names 400 for a bad request; the platform's 422 is that.
        return 400 if exc.status_code == 422 else exc.status_code
    return 500


def error_response(status: int, description: str, fmt: str) -> Response:
    body = [{"code": status, "description": description}]
    if fmt == "xml":
        return Response(xml.dumps("errors", body), status_code=status, media_type=XML_TYPE)
    return JSONResponse(body, status_code=status)


def _format_of(request: Request) -> str:
    fmt = request.path_params.get("response_format")
    if fmt is None:
        fmt = request.url.path.rsplit(".", 1)[-1]
    return "xml" if fmt == "xml" else "json"


class Open311Route(APIRoute):
    """Errors in Open311's own format, in the format the path asked for."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except (AppError, RequestValidationError) as exc:
                status = _status_code(exc)
                if isinstance(exc, AppError):
                    description = exc.message
                else:
                    fields = [".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()]
                    description = "参数不合法：" + "，".join(fields)
                response = error_response(status, description, _format_of(request))
                if isinstance(exc, AppError) and "retry_after" in exc.details:
                    response.headers["Retry-After"] = str(exc.details["retry_after"])
                return response

        return guarded


router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route)
keys_router = APIRouter(prefix="/api/v1/open311", tags=["open311"])

Jurisdiction = Annotated[str | None, Query(max_length=20, description="区划代码（可省略）")]


def _public(request: Request) -> None:
    PUBLIC_LIMITER.check(f"ip:{client_ip(request)}", PUBLIC_READS_PER_MINUTE, what="访问")


def _respond(root: str, body: Any, fmt: str, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(xml.dumps(root, body), status_code=status, media_type=XML_TYPE)
    return JSONResponse(body, status_code=status)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/discovery.{response_format}", summary="Open311 服务发现")
def discovery(request: Request, response_format: Format) -> Response:
    _public(request)
    return _respond("discovery", services.discovery(_base(request)), response_format)


@router.get("/services.{response_format}", summary="Open311 服务列表（事件小类）")
def list_services(
    request: Request,
    session: SessionDep,
    response_format: Format,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    _public(request)
    services.check_jurisdiction(session, jurisdiction_id)
    return _respond("services", services.list_services(session), response_format)


@router.get("/services/{service_code}.{response_format}", summary="Open311 服务定义（附加字段）")
def service_definition(
    request: Request,
    session: SessionDep,
    service_code: str,
    response_format: Format,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    _public(request)
    services.check_jurisdiction(session, jurisdiction_id)
    body = services.service_definition(session, service_code)
    return _respond("service_definition", body, response_format)


POST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["api_key", "service_code"],
                    "properties": {
                        name: {"type": "string"}
                        for name in (
                            "api_key",
                            "jurisdiction_id",
                            "service_code",
                            "lat",
                            "long",
                            "address_string",
                            "address_id",
                            "description",
                            "media_url",
                            "email",
                            "device_id",
                            "account_id",
                            "first_name",
                            "last_name",
                            "phone",
                        )
                    },
                    "description": "attribute[<code>] 填写服务定义中的附加字段",
                }
            }
        },
    }
}


@router.post(
    "/requests.{response_format}",
    status_code=201,
    summary="Open311 提交服务请求（需 api_key，按密钥限流）",
    openapi_extra=POST_BODY,
)
async def post_request(request: Request, response_format: Format) -> Response:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    ip = client_ip(request)
    settings = request.app.state.settings

    def create() -> list[dict[str, Any]]:
        # One unit of work, committed only when the case and its Open311 row are written.
        with unit_of_work(request.app.state.engine) as session:
            key: Open311Key = services.authenticate(session, fields.get("api_key"))
            services.check_jurisdiction(session, fields.get("jurisdiction_id"))
            data = services.read_post(fields)
            event, row = services.post_request(session, data, key=key, client_ip=ip)
            return [
                {
                    "service_request_id": event.code,
                    "token": row.token,
                    "service_notice": services.service_notice(event, settings.timezone),
                }
            ]

    body = await run_in_threadpool(create)
    return _respond("service_requests", body, response_format, status=201)


@router.get(
    "/requests.{response_format}", summary="Open311 查询服务请求（支持 page/page_size 扩展）"
)
def get_requests(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    response_format: Format,
    jurisdiction_id: Jurisdiction = None,
    service_request_id: Annotated[str | None, Query(max_length=2000)] = None,
    service_code: Annotated[str | None, Query(max_length=500)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    start_date: Annotated[str | None, Query(max_length=40)] = None,
    end_date: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=services.MAX_PAGE_SIZE)] = services.DEFAULT_PAGE_SIZE,
) -> Response:
    _public(request)
    services.check_jurisdiction(session, jurisdiction_id)
    query = services.read_query(
        service_request_id=service_request_id,
        service_code=service_code,
        status=status,
        start_date=start_date,
        end_date=end_date,
        page=page,
        page_size=page_size,
    )
    found = services.find_requests(session, query)
    body = services.public_requests(
        session, found, base_url=_base(request), timezone=settings.timezone
    )
    return _respond("service_requests", body, response_format)


@router.get("/requests/{service_request_id}.{response_format}", summary="Open311 单个服务请求")
def get_request(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    service_request_id: str,
    response_format: Format,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    _public(request)
    services.check_jurisdiction(session, jurisdiction_id)
    event = services.get_request(session, service_request_id)
    body = services.public_requests(
        session, [event], base_url=_base(request), timezone=settings.timezone
    )
    return _respond("service_requests", body, response_format)


@router.get("/tokens/{token}.{response_format}", summary="Open311 以 token 查询请求编号")
def token_lookup(
    request: Request,
    session: SessionDep,
    token: str,
    response_format: Format,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    _public(request)
    services.check_jurisdiction(session, jurisdiction_id)
    code, found = services.request_id_for_token(session, token)
    return _respond(
        "service_requests", [{"service_request_id": code, "token": found}], response_format
    )


def key_out(key: Open311Key) -> KeyOut:
    return KeyOut.model_validate(key, from_attributes=True)


@keys_router.get("/keys", response_model=list[KeyOut], summary="Open311 API key 列表（管理员）")
def list_keys(session: SessionDep, actor: ActorDep) -> list[KeyOut]:
    return [key_out(k) for k in services.list_keys(session, actor=actor)]


@keys_router.post(
    "/keys",
    response_model=KeyCreated,
    status_code=201,
    summary="签发 Open311 API key（只显示一次）",
)
def create_key(data: KeyIn, session: SessionDep, actor: ActorDep) -> KeyCreated:
    key, api_key = services.create_key(session, data, actor=actor)
    return KeyCreated(**key_out(key).model_dump(), api_key=api_key)


@keys_router.patch("/keys/{key_id}", response_model=KeyOut, summary="修改 API key（限流、停用）")
def update_key(key_id: int, data: KeyUpdate, session: SessionDep, actor: ActorDep) -> KeyOut:
    return key_out(services.update_key(session, key_id, data, actor=actor))


@keys_router.delete("/keys/{key_id}", response_model=KeyOut, summary="停用 API key")
def revoke_key(key_id: int, session: SessionDep, actor: ActorDep) -> KeyOut:
    return key_out(services.revoke_key(session, key_id, actor=actor))

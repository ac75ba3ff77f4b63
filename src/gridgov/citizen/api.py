"""The citizen app's API (/api/v1/citizen): who the app is, reporting, my reports, the public
copy. The app is a page of our own site, so it works with the page session and its CSRF token
like every other page; the session-starting calls (device, phone) check that token too."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from gridgov.accounts import services as accounts
from gridgov.accounts.actor import Actor
from gridgov.accounts.models import User
from gridgov.accounts.permissions import Perm
from gridgov.citizen import catalog, services, sms
from gridgov.citizen.schemas import (
    AttributeOut,
    AttributeValueOut,
    CitizenCategoryOut,
    CitizenReportDetail,
    CitizenReportOut,
    CodeSentOut,
    DeviceIn,
    OutlineOut,
    PhoneIn,
    PhotoOut,
    PublicReportOut,
    PublicReportsOut,
    RateIn,
    ReopenIn,
    ReportIn,
    SessionOut,
    StepNoteOut,
    VerifyIn,
)
from gridgov.http import (
    CSRF_HEADER,
    ActorDep,
    CipherDep,
    OptionalActorDep,
    SessionDep,
    SettingsDep,
    check_csrf,
    client_ip,
    csrf_token,
)
from gridgov.kit.geojson import as_dict
from gridgov.kit.pagination import Page, PageParams, page_params
from gridgov.kit.ratelimit import RateLimiter
from gridgov.media import files
from gridgov.media import services as media_services
from gridgov.media.api import UPLOAD_BODY
from gridgov.media.receive import receive_upload
from gridgov.media.schemas import MediaOut

router = APIRouter(prefix="/api/v1/citizen", tags=["citizen"])
# Reads anyone may make, per client address and process.
PUBLIC_LIMITER = RateLimiter()
PUBLIC_READS_PER_MINUTE = 300
DEVICE_HEADER = "X-Device-Token"


def _public(request: Request) -> None:
    PUBLIC_LIMITER.check(f"ip:{client_ip(request)}", PUBLIC_READS_PER_MINUTE, what="访问")


def _sign_in(request: Request, session: SessionDep, user: User, token: str | None) -> SessionOut:
    """Put the account in the page session (a fresh session: no fixation) and say who it is."""
    request.session.clear()
    request.session["user_id"] = user.id
    actor = accounts.actor_for(session, user, client_ip=client_ip(request))
    kind, masked = services.session_kind(session, actor)
    return SessionOut(
        user_id=user.id,
        kind=kind,
        display_name=user.display_name,
        phone_masked=masked,
        csrf_token=csrf_token(request),
        device_token=token,
    )


def _check_page(request: Request) -> None:
    check_csrf(request, request.headers.get(CSRF_HEADER))


@router.get(
    "/categories", response_model=list[CitizenCategoryOut], summary="问题类别与填报指引（公开）"
)
def categories(request: Request, session: SessionDep) -> list[CitizenCategoryOut]:
    _public(request)
    out = []
    for category, group in services.categories(session):
        guide = catalog.guidance_for(category.code, category.parent_code)
        out.append(
            CitizenCategoryOut(
                code=category.code,
                name=category.name,
                group_code=group.code if group else "",
                group_name=group.name if group else "",
                include=guide.include,
                not_here=guide.not_here,
                sensitive=catalog.is_sensitive(category.code),
                attributes=[
                    AttributeOut(
                        code=a.code,
                        description=a.description,
                        datatype=a.datatype,
                        required=a.required,
                        datatype_description=a.datatype_description,
                        values=[AttributeValueOut(key=k, name=n) for k, n in a.values],
                    )
                    for a in guide.attributes
                ],
            )
        )
    return out


@router.get("/outline", response_model=OutlineOut, summary="辖区范围（公开，用于地图选点）")
def outline(request: Request, session: SessionDep) -> OutlineOut:
    _public(request)
    root = services.outline(session)
    return OutlineOut(
        code=root.code,
        name=root.name,
        bbox=[root.min_lon, root.min_lat, root.max_lon, root.max_lat],
        geometry=as_dict(root.geometry),
    )


@router.get(
    "/public/reports",
    response_model=PublicReportsOut,
    summary="附近的问题（公开：不含个人信息，敏感类别位置模糊到约 500 米）",
)
def public_reports(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    min_lon: Annotated[float, Query(ge=-180, le=180)],
    min_lat: Annotated[float, Query(ge=-90, le=90)],
    max_lon: Annotated[float, Query(ge=-180, le=180)],
    max_lat: Annotated[float, Query(ge=-90, le=90)],
    days: Annotated[int, Query(ge=1, le=30)] = 30,
) -> PublicReportsOut:
    _public(request)
    found, truncated = services.public_reports(
        session, bbox=(min_lon, min_lat, max_lon, max_lat), days=days, timezone=settings.timezone
    )
    return PublicReportsOut(
        items=[
            PublicReportOut(
                code=c.code,
                title=c.title,
                category_code=c.category_code,
                category_name=c.category_name,
                status="closed" if c.closed else "open",
                status_label=c.status_label,
                reported_on=c.reported_on,
                lon=c.lon,
                lat=c.lat,
                blurred=c.blurred,
                thumbnail_url=public_thumbnail_url(c.thumbnail_id),
            )
            for c in found
        ],
        days=days,
        truncated=truncated,
    )


def public_thumbnail_url(media_id: int | None) -> str | None:
    return f"/api/v1/citizen/public/media/{media_id}/thumbnail" if media_id else None


@router.get(
    "/public/media/{media_id}/thumbnail",
    response_class=FileResponse,
    summary="公开照片缩略图（JPEG，已去除 EXIF 与位置信息）",
    responses={200: {"content": {"image/jpeg": {}}}},
)
def public_thumbnail(
    media_id: int, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    _public(request)
    found = services.public_photo(session, media_id)
    path = files.thumbnail_path(settings.effective_media_dir, found.key)
    if not path.is_file():
        return JSONResponse(
            {"error": {"code": "media_file_missing", "message": "文件已不在存储中"}},
            status_code=404,
        )
    return FileResponse(
        path,
        media_type="image/jpeg",
        headers={
            "Cache-Control": "public, max-age=600",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


@router.post(
    "/media",
    response_model=MediaOut,
    status_code=201,
    summary="群众上传照片（仅照片；按账号和地址限流），之后在上报时以 media_ids 引用",
    openapi_extra=UPLOAD_BODY,
    responses={
        413: {"description": "超过大小或像素上限"},
        415: {"description": "不是 JPEG/PNG/WebP 照片（按内容识别）"},
        429: {"description": "上传过于频繁"},
    },
)
async def upload_photo(
    request: Request, session: SessionDep, actor: ActorDep, settings: SettingsDep
) -> MediaOut:
    await run_in_threadpool(services.check_upload, session, actor=actor)
    bounds = media_services.limits(settings)
    staged = await receive_upload(request, media_dir=settings.effective_media_dir, limits=bounds)
    try:
        found = await run_in_threadpool(
            services.upload_photo, session, staged, actor=actor, settings=settings
        )
    finally:
        staged.discard()  # moved into place on success; refused files go
    return MediaOut.of(found)


@router.post("/device", response_model=SessionOut, summary="匿名使用：为本设备建立匿名群众账号")
def start_device(request: Request, session: SessionDep, cipher: CipherDep) -> SessionOut:
    _check_page(request)
    user, token = services.start_device(session, cipher=cipher, client_ip=client_ip(request))
    return _sign_in(request, session, user, token)


@router.post("/device/resume", response_model=SessionOut, summary="匿名使用：以设备令牌恢复")
def resume_device(
    data: DeviceIn, request: Request, session: SessionDep, cipher: CipherDep
) -> SessionOut:
    _check_page(request)
    user = services.resume_device(session, data.token, cipher=cipher)
    return _sign_in(request, session, user, None)


@router.post(
    "/phone/code",
    response_model=CodeSentOut,
    summary="发送手机验证码（演示环境不发短信，验证码写入服务器日志）",
)
def send_code(
    data: PhoneIn, request: Request, session: SessionDep, cipher: CipherDep
) -> CodeSentOut:
    _check_page(request)
    seconds = services.send_code(session, data.phone, cipher=cipher, client_ip=client_ip(request))
    demo = isinstance(sms.SENDER[0], sms.LogSender)
    return CodeSentOut(sent=True, expires_in=seconds, demo=demo)


@router.post("/phone/verify", response_model=SessionOut, summary="以手机验证码登录（绑定手机号）")
def verify_code(
    data: VerifyIn,
    request: Request,
    session: SessionDep,
    cipher: CipherDep,
    current: OptionalActorDep,
) -> Response | SessionOut:
    _check_page(request)
    outcome = services.verify_code(
        session, data.phone, data.code, cipher=cipher, current=current, client_ip=client_ip(request)
    )
    if outcome.error is not None:
        # Returned, not raised: the counted attempt must be committed with the answer.
        return JSONResponse(outcome.error.to_dict(), status_code=outcome.error.status_code)
    assert outcome.user is not None
    return _sign_in(request, session, outcome.user, None)


@router.get("/me", response_model=SessionOut, summary="当前群众端身份（未登录时 kind 为 none）")
def me(request: Request, session: SessionDep, actor: OptionalActorDep) -> SessionOut:
    if actor is None:
        return SessionOut(
            user_id=0,
            kind="none",
            display_name="",
            phone_masked=None,
            csrf_token=csrf_token(request),
        )
    kind, masked = services.session_kind(session, actor)
    return SessionOut(
        user_id=actor.id or 0,
        kind=kind,
        display_name=actor.display_name,
        phone_masked=masked,
        csrf_token=csrf_token(request),
    )


def _out(view: services.ReportView, names: dict[str, str], actor: Actor) -> CitizenReportOut:
    event = view.event
    closed = event.status == "closed"
    return CitizenReportOut(
        id=event.id,
        code=event.code,
        title=event.title,
        category_code=event.category_code,
        category_name=names.get(event.category_code, ""),
        status=event.status,
        status_label=services.STATE_LABELS.get(event.status, event.status),
        finished=event.status in services.FINISHED,
        created_at=event.created_at,
        closed_at=event.closed_at,
        deadline_at=event.deadline_at,
        feedback=view.feedback,
        satisfaction=event.extra.get("satisfaction"),
        can_rate=closed and actor.can(Perm.EVENTS_RATE),
        can_reopen=closed and actor.can(Perm.EVENTS_RATE),
        version=view.version,
        photos=[PhotoOut(id=m, thumbnail_url=f"/api/v1/media/{m}/thumbnail") for m in view.photos],
    )


def _detail(view: services.ReportView, names: dict[str, str], actor: Actor) -> CitizenReportDetail:
    event = view.event
    return CitizenReportDetail(
        **_out(view, names, actor).model_dump(),
        description=event.description,
        address=event.address,
        lon=event.lon,
        lat=event.lat,
        timeline=[
            StepNoteOut(label=label, at=at, note=note)
            for label, at, note in services.public_timeline(view.timeline)
        ],
    )


@router.post(
    "/reports",
    response_model=CitizenReportDetail,
    status_code=201,
    summary="群众上报（照片先经 POST /api/v1/media 上传）",
)
def report(
    data: ReportIn,
    session: SessionDep,
    actor: ActorDep,
    cipher: CipherDep,
    device_token: Annotated[str | None, Header(alias=DEVICE_HEADER, max_length=128)] = None,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> CitizenReportDetail:
    event, _ = services.report(
        session,
        data,
        actor=actor,
        cipher=cipher,
        device_token=device_token,
        idempotency_key=idempotency_key,
    )
    return _detail(
        services.my_report(session, event.id, actor=actor), services.category_names(session), actor
    )


@router.get("/reports", response_model=Page[CitizenReportOut], summary="我的上报")
def my_reports(
    session: SessionDep, actor: ActorDep, page: Annotated[PageParams, Depends(page_params)]
) -> Page[CitizenReportOut]:
    views, total = services.my_reports(session, actor=actor, page=page)
    names = services.category_names(session)
    return Page.of([_out(v, names, actor) for v in views], total, page)


@router.get("/reports/{event_id}", response_model=CitizenReportDetail, summary="我的上报详情")
def my_report(event_id: int, session: SessionDep, actor: ActorDep) -> CitizenReportDetail:
    view = services.my_report(session, event_id, actor=actor)
    return _detail(view, services.category_names(session), actor)


@router.post("/reports/{event_id}/rate", response_model=CitizenReportDetail, summary="评价办理结果")
def rate(event_id: int, data: RateIn, session: SessionDep, actor: ActorDep) -> CitizenReportDetail:
    services.rate(session, event_id, data.version, data.satisfaction, data.comment, actor=actor)
    return _detail(
        services.my_report(session, event_id, actor=actor), services.category_names(session), actor
    )


@router.post(
    "/reports/{event_id}/reopen", response_model=CitizenReportDetail, summary="不满意，要求重办"
)
def reopen(
    event_id: int, data: ReopenIn, session: SessionDep, actor: ActorDep
) -> CitizenReportDetail:
    services.reopen(session, event_id, data.version, data.comment, actor=actor)
    return _detail(
        services.my_report(session, event_id, actor=actor), services.category_names(session), actor
    )

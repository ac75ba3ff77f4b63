from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gridgov.accounts.actor import Actor
from gridgov.events import services as events
from gridgov.http import ActorDep, SessionDep, SettingsDep
from gridgov.kit.errors import NotFound
from gridgov.media import files, services
from gridgov.media.receive import FIELD, receive_upload
from gridgov.media.schemas import MediaOut
from gridgov.mediation import services as mediation
from gridgov.tasks import services as tasks
from gridgov.visits import services as visits

router = APIRouter(prefix="/api/v1", tags=["media"])


def _event_readable(session: Session, event_id: int, actor: Actor) -> None:
    events.get_event(session, event_id, actor=actor)


def _dispute_readable(session: Session, dispute_id: int, actor: Actor) -> None:
    mediation.get_dispute(session, dispute_id, actor=actor)


def _visit_readable(session: Session, visit_id: int, actor: Actor) -> None:
    visits.get_visit(session, visit_id, actor=actor)


def _task_result_readable(session: Session, assignment_id: int, actor: Actor) -> None:
    tasks.get_assignment(session, assignment_id, actor=actor)


# How each kind of subject decides who may read the files attached to it.
SUBJECTS: dict[str, services.SubjectCheck] = {
    events.SUBJECT: _event_readable,
    mediation.SUBJECT: _dispute_readable,
    visits.SUBJECT: _visit_readable,
    tasks.SUBJECT: _task_result_readable,
}

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FIELD],
                    "properties": {FIELD: {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}
FILE_TYPES: dict[str, dict[str, Any]] = {
    t: {}
    for t in (
        "image/jpeg",
        "image/png",
        "image/webp",
        "video/mp4",
        "video/quicktime",
        "video/webm",
    )
}


@router.post(
    "/media",
    response_model=MediaOut,
    status_code=201,
    summary="上传照片或视频（之后在上报或办理时以 media_ids 引用）",
    openapi_extra=UPLOAD_BODY,
    responses={
        413: {"description": "超过大小或像素上限（media_too_large）"},
        415: {"description": "不是 JPEG/PNG/WebP 照片或 MP4/MOV/WebM 视频（按内容识别）"},
    },
)
async def upload(
    request: Request, session: SessionDep, actor: ActorDep, settings: SettingsDep
) -> MediaOut:
    services.require_upload(actor)
    staged = await receive_upload(
        request, media_dir=settings.effective_media_dir, limits=services.limits(settings)
    )
    try:
        media = await run_in_threadpool(
            services.upload, session, staged, actor=actor, settings=settings
        )
    finally:
        staged.discard()  # moved into place on success; refused files go
    return MediaOut.of(media)


@router.get("/media/{media_id}/meta", response_model=MediaOut, summary="照片或视频的信息")
def meta(media_id: int, session: SessionDep, actor: ActorDep) -> MediaOut:
    return MediaOut.of(services.readable(session, media_id, actor=actor, subjects=SUBJECTS))


@router.get(
    "/media/{media_id}",
    response_class=FileResponse,
    summary="照片或视频文件（支持 ETag 与 Range）",
    responses={200: {"content": FILE_TYPES}, 304: {"description": "未变化"}},
)
def media_file(
    media_id: int, request: Request, session: SessionDep, actor: ActorDep, settings: SettingsDep
) -> Response:
    media = services.readable(session, media_id, actor=actor, subjects=SUBJECTS)
    path = files.file_path(settings.effective_media_dir, media.key)
    return _send(request, path, media.content_type, f'"{media.sha256}"')


@router.get(
    "/media/{media_id}/thumbnail",
    response_class=FileResponse,
    summary="照片缩略图（JPEG，长边 320 像素，不含 EXIF）",
    responses={200: {"content": {"image/jpeg": {}}}, 304: {"description": "未变化"}},
)
def thumbnail(
    media_id: int, request: Request, session: SessionDep, actor: ActorDep, settings: SettingsDep
) -> Response:
    media = services.readable(session, media_id, actor=actor, subjects=SUBJECTS)
    if not media.has_thumbnail:
        raise NotFound("视频没有缩略图", code="no_thumbnail")
    path = files.thumbnail_path(settings.effective_media_dir, media.key)
    return _send(request, path, "image/jpeg", f'"{media.sha256}-t{files.THUMBNAIL_SIDE}"')


def _send(request: Request, path: Path, content_type: str, etag: str) -> Response:
    """A stored file never changes (its name is random, its ETag its hash), but who may read
    it can: browsers keep it privately and for a day."""
    headers = {
        "ETag": etag,
        "Cache-Control": "private, max-age=86400",
        # Served as what its content was found to be, never sniffed into something else.
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    if not path.is_file():
        raise NotFound("文件已不在存储中", code="media_file_missing")
    return FileResponse(path, media_type=content_type, headers=headers)

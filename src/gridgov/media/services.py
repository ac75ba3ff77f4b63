"""Media: store an uploaded photo or video, attach it to what it documents, decide who may read it.

A file is its uploader's alone until it is attached; from then on whoever may read its subject
(a case) may read it, and nobody else learns that it exists (404, never 403). Services take a
session and an actor and never commit; the files they place on disk are removed again if the
transaction rolls back, so a refused request leaves neither a row nor a file."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.audit import services as audit
from gridgov.config import Settings
from gridgov.kit.clock import now
from gridgov.kit.errors import InvalidInput, NotFound, PermissionDenied
from gridgov.media import files, repository
from gridgov.media.files import Limits, Staged
from gridgov.media.models import Media, MediaKind

# Whoever may write anything on a case may bring a photo or video along.
UPLOAD_PERMISSIONS = (
    Perm.EVENTS_REPORT,
    Perm.EVENTS_HANDLE,
    Perm.EVENTS_DISPATCH,
    Perm.EVENTS_CHECK,
    Perm.EVENTS_RATE,
    Perm.EVENTS_SUPERVISE,
    Perm.EVENTS_INSTRUCT,
)
MAX_ATTACH = 9

# Given a subject id, raises NotFound (or PermissionDenied) unless the actor may read it.
SubjectCheck = Callable[[Session, int, Actor], Any]


def limits(settings: Settings) -> Limits:
    mb = 1024 * 1024
    return Limits(
        image_bytes=int(settings.media_max_image_mb * mb),
        video_bytes=int(settings.media_max_video_mb * mb),
        max_pixels=int(settings.media_max_megapixels * 1_000_000),
    )


def require_upload(actor: Actor) -> None:
    """Checked before the body is read, so a refused account uploads nothing."""
    if not any(actor.can(p) for p in UPLOAD_PERMISSIONS):
        raise PermissionDenied(
            f"当前账号（{actor.role_label}）不能上传照片或视频", code="permission_denied"
        )


def _remove_on_rollback(session: Session) -> list[Path]:
    """Paths to delete if this transaction rolls back instead of committing."""
    placed: list[Path] = []
    state = {"done": False}

    def committed(_session: Session) -> None:
        state["done"] = True

    def rolled_back(_session: Session) -> None:
        if not state["done"]:
            state["done"] = True
            for path in placed:
                path.unlink(missing_ok=True)

    event.listen(session, "after_commit", committed, once=True)
    event.listen(session, "after_rollback", rolled_back, once=True)
    return placed


def upload(session: Session, staged: Staged, *, actor: Actor, settings: Settings) -> Media:
    """Check a received file by its content and store it under a random key. The staged file
    is moved into place (or refused and left for the caller to discard)."""
    require_upload(actor)
    if staged.kind is None:
        raise files.unsupported()
    bounds = limits(settings)
    if staged.size > bounds.for_kind(staged.kind):
        raise files.too_large(staged.kind, bounds)
    content_type, width, height = staged.content_type, None, None
    if staged.kind == MediaKind.IMAGE:
        facts = files.inspect_image(staged.path, bounds.max_pixels)
        content_type, width, height = facts.content_type, facts.width, facts.height
    else:
        files.check_video(staged.path, content_type)
    media = Media(
        key=files.new_key(),
        kind=staged.kind.value,
        content_type=content_type,
        size_bytes=staged.size,
        sha256=staged.sha256,
        width=width,
        height=height,
        has_thumbnail=False,
        uploaded_by=actor.id,
        uploader=actor.username,
        uploaded_at=now(),
        region_path="",
    )
    repository.add_media(session, media)
    media_dir = settings.effective_media_dir
    placed = _remove_on_rollback(session)
    target = files.file_path(media_dir, media.key)
    target.parent.mkdir(parents=True, exist_ok=True)
    placed.append(target)
    os.replace(staged.path, target)
    if staged.kind == MediaKind.IMAGE:
        thumbnail = files.thumbnail_path(media_dir, media.key)
        placed.append(thumbnail)
        files.write_thumbnail(target, thumbnail)
        media.has_thumbnail = True
    audit.record(
        session,
        actor=actor,
        action="media.upload",
        object_type="media",
        object_id=media.id,
        summary=f"上传{'照片' if staged.kind == MediaKind.IMAGE else '视频'}（{staged.size} 字节）",
        details={"kind": media.kind, "content_type": content_type, "sha256": media.sha256},
    )
    return media


def not_found(media_id: int) -> NotFound:
    return NotFound(f"照片或视频 {media_id} 不存在或您无权查看", code="media_not_found")


def readable(
    session: Session, media_id: int, *, actor: Actor, subjects: Mapping[str, SubjectCheck]
) -> Media:
    """The file if the actor may read it: the uploader while it is unattached, afterwards
    whoever may read its subject (``subjects`` holds each subject type's own check)."""
    media = repository.get_media(session, media_id)
    if media is None:
        raise not_found(media_id)
    if media.subject_type is None or media.subject_id is None:
        if actor.id is not None and media.uploaded_by == actor.id:
            return media
        raise not_found(media_id)
    check = subjects.get(media.subject_type)
    if check is None:
        raise not_found(media_id)
    try:
        check(session, media.subject_id, actor)
    except (NotFound, PermissionDenied) as exc:
        raise not_found(media_id) from exc
    return media


def for_subject(
    session: Session, subject_type: str, subject_id: int, *, actor: Actor
) -> list[Media]:
    """The files attached to a subject. The caller has already read the subject through its
    scope (whoever may see a case may see its photos)."""
    return repository.list_for_subject(session, subject_type, subject_id)


def attach(
    session: Session,
    media_ids: Sequence[int],
    *,
    subject_type: str,
    subject_id: int,
    region_path: str,
    role: str,
    actor: Actor,
    step: int | None = None,
) -> list[int]:
    """Link files to a subject (the timeline ``step`` they came with, in ``role``). Each must
    exist, have been uploaded by this actor, and not be attached yet; otherwise nothing is
    linked and the answer is 422 ``bad_media``."""
    ids = list(media_ids)
    if not ids:
        return []
    if len(ids) > MAX_ATTACH:
        raise InvalidInput(f"一次最多附带 {MAX_ATTACH} 个照片或视频", code="bad_media")
    usable = repository.attachable_ids(session, ids, actor.id) if actor.id is not None else set()
    bad = sorted({i for i in ids if i not in usable})
    if bad or len(set(ids)) != len(ids):
        raise InvalidInput(
            "照片或视频不存在、不是您本人上传的，或已用于其他记录",
            code="bad_media",
            media_ids=bad or ids,
        )
    assert actor.id is not None
    linked = repository.update_attach(
        session,
        ids,
        uploaded_by=actor.id,
        subject_type=subject_type,
        subject_id=subject_id,
        region_path=region_path,
        role=role,
        step_seq=step,
        at=now(),
    )
    if linked != len(ids):  # another request used one of them a moment ago
        raise InvalidInput("照片或视频刚被用于其他记录", code="bad_media", media_ids=ids)
    audit.record(
        session,
        actor=actor,
        action="media.attach",
        object_type=subject_type,
        object_id=subject_id,
        region_path=region_path,
        summary=f"附带 {len(ids)} 个照片或视频（{role}）",
        details={"media_ids": ids, "role": role},
    )
    return ids

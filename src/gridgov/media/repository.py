"""Every query on uploaded media.

Who may read a file is not a region prefix of its own: before it is attached it is its
uploader's alone, afterwards it is readable by whoever may read its subject (a case), and the
subject's own service decides that with the subject's scope. So reads here are by id and are
marked unscoped; ``media.services`` applies the rule before anything is returned."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gridgov.accounts.scope import unscoped
from gridgov.media.models import Media


def add_media(session: Session, media: Media) -> None:
    session.add(media)
    session.flush()


@unscoped("the service checks the uploader or the subject's scope before returning it")
def get_media(session: Session, media_id: int) -> Media | None:
    return session.get(Media, media_id)


@unscoped("the caller has read the subject through its own scope")
def list_for_subject(session: Session, subject_type: str, subject_id: int) -> list[Media]:
    stmt = (
        select(Media)
        .where(Media.subject_type == subject_type, Media.subject_id == subject_id)
        .order_by(Media.step_seq, Media.id)
    )
    return list(session.scalars(stmt))


@unscoped("only ever given ids the service is about to refuse, to say which ones")
def attachable_ids(session: Session, media_ids: Sequence[int], uploaded_by: int) -> set[int]:
    stmt = select(Media.id).where(
        Media.id.in_(media_ids), Media.uploaded_by == uploaded_by, Media.subject_type.is_(None)
    )
    return set(session.scalars(stmt))


def update_attach(
    session: Session,
    media_ids: Sequence[int],
    *,
    uploaded_by: int,
    subject_type: str,
    subject_id: int,
    region_path: str,
    role: str,
    step_seq: int | None,
    at: datetime,
) -> int:
    """Link the uploader's unattached files in one conditional UPDATE, so that two requests
    racing to use the same file cannot both succeed. Returns how many rows it linked."""
    result = session.execute(
        update(Media)
        .where(
            Media.id.in_(media_ids),
            Media.uploaded_by == uploaded_by,
            Media.subject_type.is_(None),
        )
        .values(
            subject_type=subject_type,
            subject_id=subject_id,
            region_path=region_path,
            role=role,
            step_seq=step_seq,
            attached_at=at,
        )
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount)  # type: ignore[attr-defined]

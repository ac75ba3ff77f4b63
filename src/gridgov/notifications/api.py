from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from gridgov.http import ActorDep, SessionDep
from gridgov.kit.pagination import Page, PageParams, page_params
from gridgov.notifications import services
from gridgov.notifications.schemas import NotificationOut

router = APIRouter(prefix="/api/v1", tags=["notifications"])


@router.get("/notifications", response_model=Page[NotificationOut], summary="我的通知")
def inbox(
    session: SessionDep,
    actor: ActorDep,
    page: Annotated[PageParams, Depends(page_params)],
    unread: bool = False,
) -> Page[NotificationOut]:
    rows, total = services.inbox(session, actor=actor, unread_only=unread, page=page)
    return Page.of([NotificationOut.model_validate(n) for n in rows], total, page)


@router.post(
    "/notifications/{notification_id}/read", response_model=NotificationOut, summary="标记已读"
)
def mark_read(notification_id: int, session: SessionDep, actor: ActorDep) -> NotificationOut:
    return NotificationOut.model_validate(services.mark_read(session, notification_id, actor=actor))

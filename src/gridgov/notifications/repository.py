"""Every query on notifications. An inbox belongs to one account: reads filter by its id."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.accounts.scope import unscoped
from gridgov.kit.pagination import PageParams, fetch_page
from gridgov.notifications.models import Notification


@unscoped("an inbox is read by its owner only: the filter is the owner's account id")
def list_for_user(
    session: Session, user_id: int, unread_only: bool, page: PageParams
) -> tuple[list[Notification], int]:
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return fetch_page(session, stmt, page, Notification.id.desc())


@unscoped("an inbox is read by its owner only: the filter is the owner's account id")
def get_for_user(session: Session, user_id: int, notification_id: int) -> Notification | None:
    stmt = select(Notification).where(
        Notification.id == notification_id, Notification.user_id == user_id
    )
    return session.scalars(stmt).first()


@unscoped("an inbox is read by its owner only: the filter is the owner's account id")
def unread_count(session: Session, user_id: int) -> int:
    stmt = select(func.count()).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    return session.scalar(stmt) or 0


def add_many(session: Session, rows: list[Notification]) -> None:
    session.add_all(rows)
    session.flush()

"""Sending and reading notifications.

Every notification lands in the in-app inbox. Other channels (SMS, WeChat work messages)
plug in as a ``Sender``; none is configured by default, and none pretends to send."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.kit.clock import now
from gridgov.kit.errors import NotAuthenticated, NotFound
from gridgov.kit.pagination import PageParams
from gridgov.notifications import repository
from gridgov.notifications.models import Notification


class Sender(Protocol):
    """Another channel for the same notification (an SMS gateway, a WeChat work app)."""

    def send(self, notifications: Sequence[Notification]) -> None: ...


SENDERS: list[Sender] = []


def notify(
    session: Session,
    user_ids: Sequence[int],
    *,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
) -> list[Notification]:
    rows = [
        Notification(user_id=uid, kind=kind, title=title, body=body, link=link, created_at=now())
        for uid in sorted(set(user_ids))
    ]
    repository.add_many(session, rows)
    for sender in SENDERS:
        sender.send(rows)
    return rows


def _owner(actor: Actor) -> int:
    if actor.id is None:
        raise NotAuthenticated("系统账号没有收件箱", code="no_inbox")
    return actor.id


def inbox(
    session: Session, *, actor: Actor, unread_only: bool, page: PageParams
) -> tuple[list[Notification], int]:
    return repository.list_for_user(session, _owner(actor), unread_only, page)


def unread_count(session: Session, *, actor: Actor) -> int:
    return repository.unread_count(session, _owner(actor))


def mark_read(session: Session, notification_id: int, *, actor: Actor) -> Notification:
    found = repository.get_for_user(session, _owner(actor), notification_id)
    if found is None:
        raise NotFound("通知不存在", code="notification_not_found")
    if found.read_at is None:
        found.read_at = now()
    return found

"""Every query of the Open311 interface."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gridgov.accounts.scope import path_prefix, unscoped
from gridgov.events.models import Event
from gridgov.kit.pagination import PageParams
from gridgov.open311.models import Open311Key, Open311Request


def add_key(session: Session, key: Open311Key) -> Open311Key:
    session.add(key)
    session.flush()
    return key


def add_request(session: Session, row: Open311Request) -> Open311Request:
    session.add(row)
    session.flush()
    return row


@unscoped("API keys are district-wide configuration, read by admins")
def list_keys(session: Session) -> list[Open311Key]:
    return list(session.scalars(select(Open311Key).order_by(Open311Key.id)))


@unscoped("API keys are district-wide configuration, read by admins")
def get_key(session: Session, key_id: int) -> Open311Key | None:
    return session.get(Open311Key, key_id)


@unscoped("the key's hash is the caller's credential; the key is the authority")
def key_by_hash(session: Session, key_hash: str) -> Open311Key | None:
    return session.scalars(select(Open311Key).where(Open311Key.key_hash == key_hash)).first()


@unscoped("the key's name is unique across the district")
def key_by_name(session: Session, name: str) -> Open311Key | None:
    return session.scalars(select(Open311Key).where(Open311Key.name == name)).first()


@unscoped("a token is handed to whoever posted the request; the lookup answers only its id")
def request_by_token(session: Session, token: str) -> Open311Request | None:
    return session.scalars(select(Open311Request).where(Open311Request.token == token)).first()


@unscoped("the public Open311 copy of cases the caller has already selected")
def requests_for(session: Session, event_ids: Sequence[int]) -> dict[int, Open311Request]:
    if not event_ids:
        return {}
    stmt = select(Open311Request).where(Open311Request.event_id.in_(event_ids))
    return {row.event_id: row for row in session.scalars(stmt)}


@dataclass(frozen=True)
class RequestFilter:
    codes: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    closed_states: tuple[str, ...] | None = None  # only these states (closed)
    open_excluding: tuple[str, ...] | None = None  # every state but these (open)
    start: datetime | None = None
    end: datetime | None = None


@unscoped("Open311 GET requests is a public read API: the same redacted copy for everyone")
def public_requests(session: Session, filters: RequestFilter, page: PageParams) -> list[Event]:
    """A page of cases newest first, or the cases named by code."""
    stmt = select(Event)
    if filters.codes:
        stmt = stmt.where(Event.code.in_(filters.codes))
        return list(session.scalars(stmt.order_by(Event.id.desc()).limit(page.page_size)))
    if filters.service_codes:
        stmt = stmt.where(
            or_(*(path_prefix(Event.category_code, c) for c in filters.service_codes))
        )
    if filters.closed_states is not None:
        stmt = stmt.where(Event.status.in_(filters.closed_states))
    if filters.open_excluding is not None:
        stmt = stmt.where(Event.status.not_in(filters.open_excluding))
    if filters.start is not None:
        stmt = stmt.where(Event.created_at >= filters.start)
    if filters.end is not None:
        stmt = stmt.where(Event.created_at <= filters.end)
    stmt = stmt.order_by(Event.created_at.desc(), Event.id.desc())
    return list(session.scalars(stmt.offset(page.offset).limit(page.page_size)))

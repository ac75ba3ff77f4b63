"""Every query on events and their categories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from gridgov.accounts.scope import Scope, apply_scope, unscoped
from gridgov.events.models import Event, EventCategory
from gridgov.kit.pagination import PageParams, fetch_page


def _scoped(scope: Scope) -> Select[Event]:
    return apply_scope(
        select(Event),
        scope,
        region_path=Event.region_path,
        department_id=Event.department_id,
        owner_id=Event.reporter_id,
    )


def get_event(session: Session, scope: Scope, event_id: int) -> Event | None:
    return session.scalars(_scoped(scope).where(Event.id == event_id)).first()


@dataclass(frozen=True)
class EventFilter:
    status: str | None = None
    category_code: str | None = None
    source: str | None = None
    region_path: str | None = None
    department_id: int | None = None
    level: str | None = None
    overdue_at: datetime | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    query: str | None = None


# Lists count at most this many matches (and say so): exact totals over millions of cases
# cost more than the page.
LIST_COUNT_CAP = 10_000
OPEN_STATES = ("reported", "accepted", "dispatched", "handling", "feedback")


def list_events(
    session: Session, scope: Scope, filters: EventFilter, page: PageParams
) -> tuple[list[Event], int]:
    stmt = _scoped(scope)
    conditions: list[Any] = []
    if filters.status:
        conditions.append(Event.status == filters.status)
    if filters.category_code:
        conditions.append(Event.category_code.startswith(filters.category_code))
    if filters.source:
        conditions.append(Event.source == filters.source)
    if filters.region_path:
        conditions.append(Event.region_path.startswith(filters.region_path, autoescape=True))
    if filters.department_id is not None:
        conditions.append(Event.department_id == filters.department_id)
    if filters.level:
        conditions.append(Event.level == filters.level)
    if filters.overdue_at is not None:
        conditions += [Event.status.in_(OPEN_STATES), Event.deadline_at < filters.overdue_at]
    if filters.created_from is not None:
        conditions.append(Event.created_at >= filters.created_from)
    if filters.created_to is not None:
        conditions.append(Event.created_at < filters.created_to)
    if filters.query:
        conditions.append(
            or_(
                Event.title.contains(filters.query, autoescape=True),
                Event.code == filters.query,
                Event.address.contains(filters.query, autoescape=True),
            )
        )
    # Overdue lists read most-overdue first, which is also the order of their index.
    order = (Event.deadline_at, Event.id) if filters.overdue_at is not None else (Event.id.desc(),)
    return fetch_page(session, stmt.where(*conditions), page, *order, cap=LIST_COUNT_CAP)


@unscoped("an idempotency key belongs to its reporter, who may always see what they sent")
def by_idempotency_key(session: Session, reporter_key: str, key: str) -> Event | None:
    stmt = select(Event).where(Event.reporter_key == reporter_key, Event.idempotency_key == key)
    return session.scalars(stmt).first()


def add_event(session: Session, event: Event) -> None:
    session.add(event)
    session.flush()


@unscoped("categories are district-wide configuration")
def list_categories(session: Session) -> list[EventCategory]:
    return list(session.scalars(select(EventCategory).order_by(EventCategory.code)))


@unscoped("categories are district-wide configuration")
def get_category(session: Session, code: str) -> EventCategory | None:
    return session.scalars(select(EventCategory).where(EventCategory.code == code)).first()


def add_categories(session: Session, rows: list[dict[str, Any]]) -> None:
    session.add_all(EventCategory(**row) for row in rows)
    session.flush()


@unscoped("the SLA scan is the platform's own job over every case")
def due_for_warning(session: Session, moment: datetime, limit: int) -> list[Event]:
    stmt = select(Event).where(
        Event.status.in_(OPEN_STATES), Event.sla_stage == 0, Event.warn_at <= moment
    )
    return list(session.scalars(stmt.order_by(Event.warn_at).limit(limit)))


@unscoped("the SLA scan is the platform's own job over every case")
def due_overdue(session: Session, moment: datetime, limit: int) -> list[Event]:
    stmt = select(Event).where(
        Event.status.in_(OPEN_STATES), Event.sla_stage < 2, Event.deadline_at <= moment
    )
    return list(session.scalars(stmt.order_by(Event.deadline_at).limit(limit)))

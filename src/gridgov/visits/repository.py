"""Every query on visits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from gridgov.accounts.scope import Scope, apply_scope, unscoped
from gridgov.kit.pagination import PageParams, fetch_page
from gridgov.visits.models import Visit

LIST_COUNT_CAP = 10_000


def _scoped(scope: Scope) -> Select[Visit]:
    return apply_scope(select(Visit), scope, region_path=Visit.region_path, owner_id=Visit.user_id)


def get_visit(session: Session, scope: Scope, visit_id: int) -> Visit | None:
    return session.scalars(_scoped(scope).where(Visit.id == visit_id)).first()


@unscoped("a client id belongs to the worker who sent it, who may always see what they sent")
def by_client_id(session: Session, user_id: int, client_id: str) -> Visit | None:
    stmt = select(Visit).where(Visit.user_id == user_id, Visit.client_id == client_id)
    return session.scalars(stmt).first()


@dataclass(frozen=True)
class VisitFilter:
    user_id: int | None = None
    household_id: int | None = None
    member_id: int | None = None
    kind: str | None = None
    visited_from: datetime | None = None
    visited_to: datetime | None = None


def list_visits(
    session: Session, scope: Scope, filters: VisitFilter, page: PageParams
) -> tuple[list[Visit], int]:
    conditions: list[Any] = []
    if filters.user_id is not None:
        conditions.append(Visit.user_id == filters.user_id)
    if filters.household_id is not None:
        conditions.append(Visit.household_id == filters.household_id)
    if filters.member_id is not None:
        conditions.append(Visit.member_id == filters.member_id)
    if filters.kind:
        conditions.append(Visit.kind == filters.kind)
    if filters.visited_from is not None:
        conditions.append(Visit.visited_at >= filters.visited_from)
    if filters.visited_to is not None:
        conditions.append(Visit.visited_at < filters.visited_to)
    stmt = _scoped(scope).where(*conditions)
    return fetch_page(
        session, stmt, page, Visit.visited_at.desc(), Visit.id.desc(), cap=LIST_COUNT_CAP
    )


def count_by_user(
    session: Session, scope: Scope, user_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, int]:
    if not user_ids:
        return {}
    stmt = apply_scope(
        select(Visit.user_id, func.count()),
        scope,
        region_path=Visit.region_path,
        owner_id=Visit.user_id,
    ).where(Visit.user_id.in_(set(user_ids)), Visit.visited_at >= start, Visit.visited_at < end)
    return {user_id: count for user_id, count in session.execute(stmt.group_by(Visit.user_id))}


def add_visit(session: Session, visit: Visit) -> None:
    session.add(visit)
    session.flush()

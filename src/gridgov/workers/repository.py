"""The roster's queries: grid workers in scope, their grid assignments and duty. A view's
repository (like gis/): it reads the accounts, regions and patrol tables, writes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from gridgov.accounts.models import GridAssignment, User
from gridgov.accounts.scope import Scope, apply_scope, path_prefix
from gridgov.kit.pagination import PageParams, fetch_page
from gridgov.patrol.models import WorkerStatus
from gridgov.regions.models import Region


def _assigned(scope: Scope, region_path: str | None) -> Any:
    stmt = apply_scope(
        select(GridAssignment.user_id), scope, region_path=GridAssignment.region_path
    )
    if region_path:
        stmt = stmt.where(path_prefix(GridAssignment.region_path, region_path))
    return stmt


def roster(
    session: Session,
    scope: Scope,
    *,
    region_path: str | None,
    q: str | None,
    on_duty: bool | None,
    cutoff: datetime,
    page: PageParams,
) -> tuple[list[User], int]:
    """Active accounts with a grid assignment in scope (under ``region_path``), by username."""
    stmt = select(User).where(User.is_active.is_(True), User.id.in_(_assigned(scope, region_path)))
    if q:
        stmt = stmt.where(or_(User.display_name.contains(q), User.username.contains(q)))
    if on_duty is not None:
        duty = select(WorkerStatus.user_id).where(
            and_(WorkerStatus.on_duty.is_(True), WorkerStatus.last_seen_at >= cutoff)
        )
        stmt = stmt.where(User.id.in_(duty) if on_duty else User.id.not_in(duty))
    return fetch_page(session, stmt, page, User.username)


def get_worker(session: Session, scope: Scope, user_id: int) -> User | None:
    """An active account with at least one grid assignment in scope."""
    stmt = select(User).where(
        User.id == user_id, User.is_active.is_(True), User.id.in_(_assigned(scope, None))
    )
    return session.scalars(stmt).first()


def assignments(session: Session, scope: Scope, user_ids: Sequence[int]) -> list[Any]:
    """(user id, duty, grid code, name, level, kind, centroid lon, lat) per assignment in
    scope, by user and grid code."""
    if not user_ids:
        return []
    stmt = apply_scope(
        select(
            GridAssignment.user_id,
            GridAssignment.duty,
            Region.code,
            Region.name,
            Region.level,
            Region.kind,
            Region.centroid_lon,
            Region.centroid_lat,
        )
        .join(Region, Region.id == GridAssignment.region_id)
        .where(GridAssignment.user_id.in_(list(user_ids))),
        scope,
        region_path=GridAssignment.region_path,
    )
    return list(session.execute(stmt.order_by(GridAssignment.user_id, Region.code)))


def all_workers(
    session: Session, scope: Scope, user_ids: Sequence[int] | None = None
) -> list[User]:
    """Every active account with a grid assignment in scope (of ``user_ids`` if given)."""
    stmt = select(User).where(User.is_active.is_(True), User.id.in_(_assigned(scope, None)))
    if user_ids is not None:
        stmt = stmt.where(User.id.in_(list(user_ids)))
    return list(session.scalars(stmt.order_by(User.id)))

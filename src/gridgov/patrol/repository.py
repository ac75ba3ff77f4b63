"""Every query on patrols, their fixes and the workers' status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Float, and_, bindparam, case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gridgov.accounts.models import User
from gridgov.accounts.scope import Scope, apply_scope, unscoped
from gridgov.db import UTCDateTime
from gridgov.kit.pagination import PageParams, fetch_page
from gridgov.patrol.models import Patrol, PatrolStatus, TrackPoint, WorkerStatus

# ---------------------------------------------------------------- patrols


def _patrols(scope: Scope) -> Any:
    return apply_scope(select(Patrol), scope, region_path=Patrol.region_path)


def get_patrol(session: Session, scope: Scope, patrol_id: int) -> Patrol | None:
    return session.scalars(_patrols(scope).where(Patrol.id == patrol_id)).first()


@unscoped("a worker's own patrol: ownership is the rule, wherever their grids are now")
def get_own_patrol(session: Session, user_id: int, patrol_id: int) -> Patrol | None:
    stmt = select(Patrol).where(Patrol.id == patrol_id, Patrol.user_id == user_id)
    return session.scalars(stmt).first()


@unscoped("a worker's own patrol, by the id their device made")
def own_patrol_by_client_id(session: Session, user_id: int, client_id: str) -> Patrol | None:
    stmt = select(Patrol).where(Patrol.user_id == user_id, Patrol.client_id == client_id)
    return session.scalars(stmt).first()


@unscoped("a worker's own open patrols (at most one, unless two starts raced)")
def own_open_patrols(session: Session, user_id: int) -> list[Patrol]:
    stmt = select(Patrol).where(Patrol.user_id == user_id, Patrol.status == PatrolStatus.OPEN.value)
    return list(session.scalars(stmt.order_by(Patrol.started_at)))


def add_patrol(session: Session, patrol: Patrol) -> Patrol:
    session.add(patrol)
    session.flush()
    return patrol


def list_patrols(
    session: Session,
    scope: Scope,
    *,
    user_id: int | None,
    start: datetime | None,
    end: datetime | None,
    page: PageParams,
) -> tuple[list[Patrol], int]:
    stmt = _patrols(scope)
    if user_id is not None:
        stmt = stmt.where(Patrol.user_id == user_id)
    if start is not None:
        stmt = stmt.where(Patrol.started_at >= start)
    if end is not None:
        stmt = stmt.where(Patrol.started_at < end)
    rows, total = fetch_page(session, stmt, page, Patrol.started_at.desc(), Patrol.id.desc())
    return list(rows), total


def patrols_between(
    session: Session, scope: Scope, user_ids: Sequence[int], start: datetime, end: datetime
) -> list[Patrol]:
    """Patrols started in [start, end) by these workers, oldest first."""
    if not user_ids:
        return []
    stmt = _patrols(scope).where(
        Patrol.user_id.in_(list(user_ids)), Patrol.started_at >= start, Patrol.started_at < end
    )
    return list(session.scalars(stmt.order_by(Patrol.user_id, Patrol.started_at)))


def stored_figures_between(
    session: Session, scope: Scope, user_ids: Sequence[int], start: datetime, end: datetime
) -> list[Any]:
    """(id, user id, started_at, status, distance_m, duration_s, coverage) of the patrols
    started in [start, end) by these workers: the stored statistics only (no path), for
    monthly figures over many workers."""
    if not user_ids:
        return []
    stmt = (
        _patrols(scope)
        .with_only_columns(
            Patrol.id,
            Patrol.user_id,
            Patrol.started_at,
            Patrol.status,
            Patrol.distance_m,
            Patrol.duration_s,
            Patrol.coverage,
        )
        .where(
            Patrol.user_id.in_(list(user_ids)),
            Patrol.started_at >= start,
            Patrol.started_at < end,
        )
    )
    return list(session.execute(stmt.order_by(Patrol.user_id, Patrol.started_at)))


@unscoped("the housekeeping job closes every worker's forgotten patrols")
def stale_open_patrols(session: Session, before: datetime, limit: int) -> list[Patrol]:
    stmt = select(Patrol).where(
        Patrol.status == PatrolStatus.OPEN.value,
        or_(
            Patrol.last_point_at < before,
            and_(Patrol.last_point_at.is_(None), Patrol.started_at < before),
        ),
    )
    return list(session.scalars(stmt.order_by(Patrol.id).limit(limit)))


@unscoped("the housekeeping job prunes every worker's old fixes")
def patrols_to_prune(session: Session, before: datetime, limit: int) -> list[int]:
    stmt = select(Patrol.id).where(
        Patrol.started_at < before,
        Patrol.points_pruned.is_(False),
        Patrol.status == PatrolStatus.CLOSED.value,
    )
    return list(session.scalars(stmt.order_by(Patrol.id).limit(limit)))


# Ingest runs these for every batch: built once (building the expression costs more than
# running it).
_LAST_POINT = (
    update(Patrol)
    .where(Patrol.id == bindparam("patrol_id"))
    .values(
        last_point_at=case(
            (
                or_(
                    Patrol.last_point_at.is_(None),
                    Patrol.last_point_at < bindparam("t", type_=UTCDateTime()),
                ),
                bindparam("t", type_=UTCDateTime()),
            ),
            else_=Patrol.last_point_at,
        )
    )
)


def update_last_point(session: Session, patrol_id: int, t: datetime) -> None:
    """Move the patrol's latest fix time forward (never back: fixes arrive out of order)."""
    session.execute(_LAST_POINT, {"patrol_id": patrol_id, "t": t})


def update_pruned(session: Session, patrol_ids: Sequence[int]) -> None:
    if patrol_ids:
        session.execute(
            update(Patrol).where(Patrol.id.in_(list(patrol_ids))).values(points_pruned=True)
        )


@unscoped("display names of workers whose patrols the caller has already read through scope")
def user_names(session: Session, user_ids: Sequence[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    stmt = select(User.id, User.display_name, User.username).where(User.id.in_(list(user_ids)))
    return {uid: name or username for uid, name, username in session.execute(stmt)}


# ---------------------------------------------------------------- fixes


_STORED_TIMES = select(TrackPoint.t).where(
    TrackPoint.patrol_id == bindparam("patrol_id"),
    TrackPoint.t >= bindparam("first", type_=UTCDateTime()),
    TrackPoint.t <= bindparam("last", type_=UTCDateTime()),
)


@unscoped("fixes of a patrol whose access the caller has already checked")
def stored_times(
    session: Session, patrol_id: int, first: datetime, last: datetime
) -> set[datetime]:
    params = {"patrol_id": patrol_id, "first": first, "last": last}
    return set(session.scalars(_STORED_TIMES, params))


_INSERT_POINTS: dict[str, Any] = {}


def add_points(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert fixes, skipping any (patrol, time) already stored: one executemany."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    stmt = _INSERT_POINTS.get(dialect)
    if stmt is None:
        module: Any = postgresql if dialect == "postgresql" else sqlite
        stmt = module.insert(TrackPoint).on_conflict_do_nothing(index_elements=["patrol_id", "t"])
        _INSERT_POINTS[dialect] = stmt
    session.execute(stmt, list(rows))


@unscoped("fixes of patrols whose access the caller has already checked")
def points_of(session: Session, patrol_ids: Sequence[int]) -> list[Any]:
    """(patrol_id, t, lon, lat, accuracy_m, speed_mps, noise) in time order per patrol."""
    if not patrol_ids:
        return []
    stmt = (
        select(
            TrackPoint.patrol_id,
            TrackPoint.t,
            TrackPoint.lon,
            TrackPoint.lat,
            TrackPoint.accuracy_m,
            TrackPoint.speed_mps,
            TrackPoint.noise,
        )
        .where(TrackPoint.patrol_id.in_(list(patrol_ids)))
        .order_by(TrackPoint.patrol_id, TrackPoint.t)
    )
    return list(session.execute(stmt))


def update_noise(
    session: Session, patrol_id: int, changes: Sequence[tuple[datetime, str | None]]
) -> None:
    """Record why each fix was dropped (NULL: kept), only for the fixes whose reason changed."""
    if not changes:
        return
    # An ORM bulk UPDATE by primary key: one executemany.
    session.execute(
        update(TrackPoint),
        [{"patrol_id": patrol_id, "t": t, "noise": reason} for t, reason in changes],
    )


def delete_points(session: Session, patrol_ids: Sequence[int]) -> int:
    if not patrol_ids:
        return 0
    result: Any = session.execute(
        delete(TrackPoint).where(TrackPoint.patrol_id.in_(list(patrol_ids)))
    )
    return int(result.rowcount or 0)


# ---------------------------------------------------------------- worker status


@unscoped("a worker's own status row")
def own_status(session: Session, user_id: int) -> WorkerStatus | None:
    return session.get(WorkerStatus, user_id)


def add_status(session: Session, status: WorkerStatus) -> WorkerStatus:
    session.add(status)
    session.flush()
    return status


_NEWER = or_(
    WorkerStatus.last_fix_at.is_(None),
    WorkerStatus.last_fix_at < bindparam("at", type_=UTCDateTime()),
)
_STATUS_FIX = (
    update(WorkerStatus)
    .where(WorkerStatus.user_id == bindparam("b_user_id"))
    .values(
        last_lon=case((_NEWER, bindparam("lon", type_=Float)), else_=WorkerStatus.last_lon),
        last_lat=case((_NEWER, bindparam("lat", type_=Float)), else_=WorkerStatus.last_lat),
        last_accuracy_m=case(
            (_NEWER, bindparam("accuracy_m", type_=Float)), else_=WorkerStatus.last_accuracy_m
        ),
        last_fix_at=case(
            (_NEWER, bindparam("at", type_=UTCDateTime())), else_=WorkerStatus.last_fix_at
        ),
        last_seen_at=case(
            (
                or_(
                    WorkerStatus.last_seen_at.is_(None),
                    WorkerStatus.last_seen_at < bindparam("seen", type_=UTCDateTime()),
                ),
                bindparam("seen", type_=UTCDateTime()),
            ),
            else_=WorkerStatus.last_seen_at,
        ),
        updated_at=bindparam("seen", type_=UTCDateTime()),
    )
)


def update_status_fix(
    session: Session,
    user_id: int,
    *,
    lon: float,
    lat: float,
    at: datetime,
    accuracy_m: float | None,
    seen: datetime,
) -> int:
    """Move a worker's latest fix forward (a late batch of older fixes leaves it), and their
    latest sign of life. Returns the rows changed (0: the worker has no status row yet)."""
    params = {
        "b_user_id": user_id,
        "lon": lon,
        "lat": lat,
        "at": at,
        "accuracy_m": accuracy_m,
        "seen": seen,
    }
    result: Any = session.execute(_STATUS_FIX, params)
    return int(result.rowcount or 0)


def _statuses(scope: Scope) -> Any:
    return apply_scope(select(WorkerStatus), scope, region_path=WorkerStatus.region_path)


def statuses(
    session: Session, scope: Scope, user_ids: Sequence[int] | None = None
) -> list[WorkerStatus]:
    stmt = _statuses(scope)
    if user_ids is not None:
        if not user_ids:
            return []
        stmt = stmt.where(WorkerStatus.user_id.in_(list(user_ids)))
    return list(session.scalars(stmt.order_by(WorkerStatus.user_id)))


def on_duty_user_ids(session: Session, scope: Scope, seen_since: datetime) -> list[int]:
    stmt = apply_scope(
        select(WorkerStatus.user_id).where(
            WorkerStatus.on_duty.is_(True), WorkerStatus.last_seen_at >= seen_since
        ),
        scope,
        region_path=WorkerStatus.region_path,
    )
    return list(session.scalars(stmt))


def positioned(
    session: Session, scope: Scope, *, seen_since: datetime | None
) -> list[WorkerStatus]:
    """Workers with a fix, optionally only those on duty (checked in and seen since)."""
    stmt = _statuses(scope).where(WorkerStatus.last_fix_at.is_not(None))
    if seen_since is not None:
        stmt = stmt.where(WorkerStatus.on_duty.is_(True), WorkerStatus.last_seen_at >= seen_since)
    return list(session.scalars(stmt.order_by(WorkerStatus.user_id)))

"""Every query of early warning: the alerts (scoped reads, the scan's own bookkeeping) and the
scan's reads of cases (platform reads, like the analytics rollups' own)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from gridgov.accounts.scope import Scope, apply_scope, path_prefix, unscoped
from gridgov.alerts.models import Alert, AlertStatus
from gridgov.events.models import Event
from gridgov.events.repository import OPEN_STATES
from gridgov.kit.pagination import PageParams, fetch_page

LIST_COUNT_CAP = 10_000


@dataclass(frozen=True)
class AlertFilter:
    status: str | None = None
    kind: str | None = None
    region_path: str | None = None
    active: bool = False  # open or acknowledged


def _alerts(scope: Scope, filters: AlertFilter) -> Select[Alert]:
    stmt = apply_scope(
        select(Alert), scope, region_path=Alert.region_path, department_id=Alert.department_id
    )
    if filters.status:
        stmt = stmt.where(Alert.status == filters.status)
    if filters.kind:
        stmt = stmt.where(Alert.kind == filters.kind)
    if filters.active:
        stmt = stmt.where(Alert.status != AlertStatus.CLOSED.value)
    if filters.region_path:
        stmt = stmt.where(path_prefix(Alert.region_path, filters.region_path))
    return stmt


def list_alerts(
    session: Session, scope: Scope, filters: AlertFilter, page: PageParams
) -> tuple[list[Alert], int]:
    return fetch_page(
        session,
        _alerts(scope, filters),
        page,
        Alert.score.desc(),
        Alert.id.desc(),
        cap=LIST_COUNT_CAP,
    )


def top_alerts(session: Session, scope: Scope, filters: AlertFilter, limit: int) -> list[Alert]:
    stmt = _alerts(scope, filters).order_by(Alert.score.desc(), Alert.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def get_alert(session: Session, scope: Scope, alert_id: int) -> Alert | None:
    stmt = _alerts(scope, AlertFilter()).where(Alert.id == alert_id)
    return session.scalars(stmt).first()


def count_by_kind(session: Session, scope: Scope, filters: AlertFilter) -> dict[str, int]:
    inner = _alerts(scope, filters).with_only_columns(Alert.kind).subquery()
    stmt = select(inner.c.kind, func.count()).group_by(inner.c.kind)
    return {str(kind): int(n) for kind, n in session.execute(stmt)}


def cases_of(session: Session, scope: Scope, ids: Sequence[int]) -> list[Event]:
    """The cases behind an alert that the reader may see."""
    if not ids:
        return []
    stmt = apply_scope(
        select(Event), scope, region_path=Event.region_path, department_id=Event.department_id
    ).where(Event.id.in_(list(ids)[:500]))
    return list(session.scalars(stmt.order_by(Event.id)))


# --- the scan's bookkeeping -------------------------------------------------------------------


@unscoped("the scan (a platform job) looks up the alerts it raised before, everywhere")
def alerts_of_kind(
    session: Session, kind: str, *, since: date | None = None, open_only: bool = False
) -> list[Alert]:
    stmt = select(Alert).where(Alert.kind == kind)
    if since is not None:
        stmt = stmt.where(Alert.window_start >= since)
    if open_only:
        stmt = stmt.where(Alert.status != AlertStatus.CLOSED.value)
    return list(session.scalars(stmt.order_by(Alert.id)))


@unscoped("the scan (a platform job) looks up the alerts it raised before, everywhere")
def alerts_by_keys(session: Session, kind: str, keys: Sequence[str]) -> list[Alert]:
    found: list[Alert] = []
    unique = sorted(set(keys))
    for start in range(0, len(unique), 500):
        stmt = select(Alert).where(
            Alert.kind == kind, Alert.dedupe_key.in_(unique[start : start + 500])
        )
        found += list(session.scalars(stmt.order_by(Alert.id)))
    return found


def add_alert(session: Session, alert: Alert) -> Alert:
    session.add(alert)
    session.flush()
    return alert


def update_root_case(session: Session, alert: Alert, event_id: int, code: str) -> bool:
    """Record the root-cause case of a recurrence alert, only if it has none yet (two people
    merging the same alert at once: the second finds it set and gets nothing)."""
    stmt = (
        update(Alert)
        .where(Alert.id == alert.id, Alert.root_event_id.is_(None))
        .values(root_event_id=event_id, root_event_code=code)
        .execution_options(synchronize_session="fetch")
    )
    return bool(session.execute(stmt).rowcount == 1)  # type: ignore[attr-defined]


# --- what the scan reads of cases -----------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    id: int
    code: str
    category_code: str
    lon: float
    lat: float
    address: str
    region_path: str
    created_at: datetime
    extra: dict[str, Any] | None


@unscoped("the scan (a platform job) reads every recent report to find recurrences")
def reports_since(session: Session, since: datetime) -> list[ReportRow]:
    stmt = (
        select(
            Event.id,
            Event.code,
            Event.category_code,
            Event.lon,
            Event.lat,
            Event.address,
            Event.region_path,
            Event.created_at,
            Event.extra,
        )
        .where(Event.created_at >= since, Event.status != "voided")
        .order_by(Event.id)
    )
    return [ReportRow(*row) for row in session.execute(stmt)]


@dataclass(frozen=True)
class HistoryRow:
    category_code: str
    level: str
    department_id: int | None
    created_at: datetime
    deadline_at: datetime
    closed_at: datetime


@unscoped("the SLA-risk model learns from every recently closed case (a platform job)")
def closed_since(session: Session, since: datetime, limit: int) -> list[HistoryRow]:
    """The newest ``limit`` closed cases reported since ``since``."""
    stmt = (
        select(
            Event.category_code,
            Event.level,
            Event.department_id,
            Event.created_at,
            Event.deadline_at,
            Event.closed_at,
        )
        .where(
            Event.created_at >= since,
            Event.closed_at.is_not(None),
            Event.status != "voided",
        )
        .order_by(Event.created_at.desc())
        .limit(limit)
    )
    return [
        HistoryRow(category, level, department, created, deadline, closed)
        for category, level, department, created, deadline, closed in session.execute(stmt)
        if closed is not None
    ]


@dataclass(frozen=True)
class OpenRow:
    id: int
    code: str
    title: str
    category_code: str
    level: str
    department_id: int | None
    region_path: str
    lon: float
    lat: float
    created_at: datetime
    deadline_at: datetime


@unscoped("the scan (a platform job) weighs every open case against its deadline")
def open_not_overdue(session: Session, moment: datetime) -> list[OpenRow]:
    stmt = (
        select(
            Event.id,
            Event.code,
            Event.title,
            Event.category_code,
            Event.level,
            Event.department_id,
            Event.region_path,
            Event.lon,
            Event.lat,
            Event.created_at,
            Event.deadline_at,
        )
        .where(Event.status.in_(OPEN_STATES), Event.deadline_at > moment)
        .order_by(Event.id)
    )
    return [OpenRow(*row) for row in session.execute(stmt)]


@unscoped("the scan (a platform job) counts each department's open cases")
def open_per_department(session: Session) -> dict[int, int]:
    stmt = (
        select(Event.department_id, func.count())
        .where(Event.status.in_(OPEN_STATES), Event.department_id.is_not(None))
        .group_by(Event.department_id)
    )
    return {int(d or 0): int(n) for d, n in session.execute(stmt)}

"""Every query on disputes, their parties and their alerts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from gridgov.accounts.scope import Scope, apply_scope, path_prefix, unscoped
from gridgov.kit.pagination import PageParams, fetch_page
from gridgov.mediation.catalog import OPEN_STATES
from gridgov.mediation.models import Dispute, DisputeAlert, DisputeParty

LIST_COUNT_CAP = 10_000


def _scoped(scope: Scope) -> Select[Dispute]:
    return apply_scope(select(Dispute), scope, region_path=Dispute.region_path)


def get_dispute(session: Session, scope: Scope, dispute_id: int) -> Dispute | None:
    return session.scalars(_scoped(scope).where(Dispute.id == dispute_id)).first()


def disputes_by_ids(session: Session, scope: Scope, ids: Sequence[int]) -> dict[int, Dispute]:
    if not ids:
        return {}
    stmt = _scoped(scope).where(Dispute.id.in_(set(ids)))
    return {d.id: d for d in session.scalars(stmt)}


@dataclass(frozen=True)
class DisputeFilter:
    status: str | None = None
    dispute_type: str | None = None
    risk_grade: str | None = None
    level: str | None = None
    outcome: str | None = None
    region_path: str | None = None
    overdue_at: datetime | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    query: str | None = None


def _filtered(scope: Scope, filters: DisputeFilter) -> Select[Dispute]:
    conditions: list[Any] = []
    if filters.status:
        conditions.append(Dispute.status == filters.status)
    if filters.dispute_type:
        conditions.append(Dispute.dispute_type == filters.dispute_type)
    if filters.risk_grade:
        conditions.append(Dispute.risk_grade == filters.risk_grade)
    if filters.level:
        conditions.append(Dispute.level == filters.level)
    if filters.outcome:
        conditions.append(Dispute.outcome == filters.outcome)
    if filters.region_path:
        conditions.append(path_prefix(Dispute.region_path, filters.region_path))
    if filters.overdue_at is not None:
        conditions += [Dispute.status.in_(OPEN_STATES), Dispute.deadline_at < filters.overdue_at]
    if filters.created_from is not None:
        conditions.append(Dispute.created_at >= filters.created_from)
    if filters.created_to is not None:
        conditions.append(Dispute.created_at < filters.created_to)
    if filters.query:
        conditions.append(
            or_(
                Dispute.title.contains(filters.query, autoescape=True),
                Dispute.code == filters.query,
                Dispute.address.contains(filters.query, autoescape=True),
            )
        )
    return _scoped(scope).where(*conditions)


def list_disputes(
    session: Session, scope: Scope, filters: DisputeFilter, page: PageParams
) -> tuple[list[Dispute], int]:
    return fetch_page(
        session, _filtered(scope, filters), page, Dispute.id.desc(), cap=LIST_COUNT_CAP
    )


def add_dispute(session: Session, dispute: Dispute) -> None:
    session.add(dispute)
    session.flush()


def add_parties(session: Session, parties: list[DisputeParty]) -> None:
    session.add_all(parties)
    session.flush()


def parties_of(session: Session, scope: Scope, dispute_ids: Sequence[int]) -> list[DisputeParty]:
    if not dispute_ids:
        return []
    stmt = apply_scope(
        select(DisputeParty).where(DisputeParty.dispute_id.in_(set(dispute_ids))),
        scope,
        region_path=DisputeParty.region_path,
    )
    return list(session.scalars(stmt.order_by(DisputeParty.dispute_id, DisputeParty.id)))


# -- early warning: the history of the same parties and the same address -------------------


@dataclass(frozen=True)
class PartyHistoryRow:
    dispute_id: int
    code: str
    created_at: datetime
    address_key: str
    party_key: str | None


@unscoped("early warning looks for the same person in disputes anywhere in the district")
def history_for(
    session: Session, party_keys: Sequence[str], address_key: str, since: datetime
) -> list[PartyHistoryRow]:
    """Disputes since ``since`` that share a party key or the address key, one row per
    (dispute, party key)."""
    matches: list[Any] = []
    if party_keys:
        matches.append(DisputeParty.party_key.in_(set(party_keys)))
    if address_key:
        matches.append(Dispute.address_key == address_key)
    if not matches:
        return []
    stmt = (
        select(
            Dispute.id,
            Dispute.code,
            Dispute.created_at,
            Dispute.address_key,
            DisputeParty.party_key,
        )
        .join(DisputeParty, DisputeParty.dispute_id == Dispute.id)
        .where(Dispute.created_at >= since, or_(*matches))
    )
    return [PartyHistoryRow(*row) for row in session.execute(stmt)]


# -- alerts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertFilter:
    status: str | None = None
    rule: str | None = None
    region_path: str | None = None
    dispute_id: int | None = None


def _alerts(scope: Scope, filters: AlertFilter) -> Select[DisputeAlert]:
    stmt = apply_scope(select(DisputeAlert), scope, region_path=DisputeAlert.region_path)
    if filters.status:
        stmt = stmt.where(DisputeAlert.status == filters.status)
    if filters.rule:
        stmt = stmt.where(DisputeAlert.rule == filters.rule)
    if filters.region_path:
        stmt = stmt.where(path_prefix(DisputeAlert.region_path, filters.region_path))
    if filters.dispute_id is not None:
        stmt = stmt.where(DisputeAlert.dispute_id == filters.dispute_id)
    return stmt


def list_alerts(
    session: Session, scope: Scope, filters: AlertFilter, page: PageParams
) -> tuple[list[DisputeAlert], int]:
    return fetch_page(
        session, _alerts(scope, filters), page, DisputeAlert.id.desc(), cap=LIST_COUNT_CAP
    )


def get_alert(session: Session, scope: Scope, alert_id: int) -> DisputeAlert | None:
    stmt = _alerts(scope, AlertFilter()).where(DisputeAlert.id == alert_id)
    return session.scalars(stmt).first()


@unscoped("the caller has already been allowed to see the dispute")
def alerts_of(session: Session, dispute_id: int) -> list[DisputeAlert]:
    stmt = select(DisputeAlert).where(DisputeAlert.dispute_id == dispute_id)
    return list(session.scalars(stmt.order_by(DisputeAlert.id)))


def add_alerts(session: Session, alerts: list[DisputeAlert]) -> None:
    session.add_all(alerts)
    session.flush()


def count_open_alerts(session: Session, scope: Scope, region_path: str | None) -> int:
    stmt = _alerts(scope, AlertFilter(region_path=region_path)).where(
        DisputeAlert.status != "closed"
    )
    counted = stmt.with_only_columns(DisputeAlert.id).subquery()
    return session.scalar(select(func.count()).select_from(counted)) or 0


# -- the time-limit scan ----------------------------------------------------------------------


@unscoped("the time-limit scan is the platform's own job over every dispute")
def due_for_warning(session: Session, moment: datetime, limit: int) -> list[Dispute]:
    stmt = select(Dispute).where(
        Dispute.status.in_(OPEN_STATES), Dispute.sla_stage == 0, Dispute.warn_at <= moment
    )
    return list(session.scalars(stmt.order_by(Dispute.warn_at).limit(limit)))


@unscoped("the time-limit scan is the platform's own job over every dispute")
def due_overdue(session: Session, moment: datetime, limit: int) -> list[Dispute]:
    stmt = select(Dispute).where(
        Dispute.status.in_(OPEN_STATES), Dispute.sla_stage < 2, Dispute.deadline_at <= moment
    )
    return list(session.scalars(stmt.order_by(Dispute.deadline_at).limit(limit)))


# -- statistics --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatsRow:
    region_path: str
    dispute_type: str
    status: str
    outcome: str | None
    risk_grade: str
    open_overdue: bool
    count: int


def stats_rows(
    session: Session,
    scope: Scope,
    *,
    region_path: str | None,
    since: datetime | None,
    until: datetime | None,
    moment: datetime,
) -> Iterator[StatsRow]:
    """Counts per (grid, type, status, outcome, grade, overdue): one GROUP BY, rolled up by
    the caller."""
    filters = DisputeFilter(region_path=region_path, created_from=since, created_to=until)
    overdue = Dispute.status.in_(OPEN_STATES) & (Dispute.deadline_at < moment)
    stmt = (
        _filtered(scope, filters)
        .with_only_columns(
            Dispute.region_path,
            Dispute.dispute_type,
            Dispute.status,
            Dispute.outcome,
            Dispute.risk_grade,
            overdue.label("overdue"),
            func.count().label("n"),
        )
        .group_by(
            Dispute.region_path,
            Dispute.dispute_type,
            Dispute.status,
            Dispute.outcome,
            Dispute.risk_grade,
            overdue,
        )
    )
    for row in session.execute(stmt):
        yield StatsRow(row[0], row[1], row[2], row[3], row[4], bool(row[5]), int(row[6]))


def outcome_durations(
    session: Session,
    scope: Scope,
    *,
    region_path: str | None,
    since: datetime | None,
    until: datetime | None,
) -> Iterator[tuple[datetime, datetime]]:
    """(registered, outcome reached) of every dispute with an outcome."""
    filters = DisputeFilter(region_path=region_path, created_from=since, created_to=until)
    stmt = (
        _filtered(scope, filters)
        .with_only_columns(Dispute.created_at, Dispute.outcome_at)
        .where(Dispute.outcome_at.is_not(None))
    )
    for created, reached in session.execute(stmt.execution_options(yield_per=5_000)):
        if reached is not None:
            yield created, reached

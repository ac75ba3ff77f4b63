"""Every query on calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from gridgov.accounts.scope import Scope, apply_scope, unscoped
from gridgov.calls.models import Call, CallStatus
from gridgov.kit.pagination import PageParams, fetch_page

LIST_COUNT_CAP = 10_000


def _scoped(scope: Scope) -> Select[Call]:
    return apply_scope(select(Call), scope, region_path=Call.region_path)


def get_call(session: Session, scope: Scope, call_key: str) -> Call | None:
    return session.scalars(_scoped(scope).where(Call.call_key == call_key)).first()


@dataclass(frozen=True)
class CallFilter:
    status: str | None = None
    party_id: int | None = None  # caller or callee
    started_from: datetime | None = None
    started_to: datetime | None = None


def list_calls(
    session: Session, scope: Scope, filters: CallFilter, page: PageParams
) -> tuple[list[Call], int]:
    conditions: list[Any] = []
    if filters.status:
        conditions.append(Call.status == filters.status)
    if filters.party_id is not None:
        conditions.append(
            or_(Call.caller_id == filters.party_id, Call.callee_id == filters.party_id)
        )
    if filters.started_from is not None:
        conditions.append(Call.started_at >= filters.started_from)
    if filters.started_to is not None:
        conditions.append(Call.started_at < filters.started_to)
    stmt = _scoped(scope).where(*conditions)
    return fetch_page(
        session, stmt, page, Call.started_at.desc(), Call.id.desc(), cap=LIST_COUNT_CAP
    )


def add_call(session: Session, **values: Any) -> Call:
    call = Call(**values)
    session.add(call)
    session.flush()
    return call


def update_answered(
    session: Session, call_id: int, *, callee_id: int, callee_name: str, at: datetime
) -> bool:
    """Ringing → answered by ``callee_id``, only if it still rings and is theirs to take (the
    named callee, or anyone rung while the callee is open). One statement, so of two staff
    accepting a call to the center at once exactly one wins."""
    stmt = (
        update(Call)
        .where(
            Call.id == call_id,
            Call.status == CallStatus.RINGING.value,
            or_(Call.callee_id == callee_id, Call.callee_id.is_(None)),
        )
        .values(
            status=CallStatus.ANSWERED.value,
            callee_id=callee_id,
            callee_name=callee_name,
            answered_at=at,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def update_finished(
    session: Session,
    call_id: int,
    *,
    from_statuses: tuple[CallStatus, ...],
    status: CallStatus,
    reason: str,
    by: int | None,
    at: datetime,
) -> bool:
    """Move a live call to its final status once; a second hang-up finds nothing to do."""
    stmt = (
        update(Call)
        .where(Call.id == call_id, Call.status.in_([s.value for s in from_statuses]))
        .values(status=status.value, end_reason=reason, ended_by=by, ended_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


@unscoped("the sweep job finds calls left live by a server that went away, anywhere")
def stale_calls(
    session: Session, *, ringing_before: datetime, answered_before: datetime, limit: int = 500
) -> list[Call]:
    stmt = (
        select(Call)
        .where(
            or_(
                (Call.status == CallStatus.RINGING.value) & (Call.started_at < ringing_before),
                (Call.status == CallStatus.ANSWERED.value) & (Call.started_at < answered_before),
            )
        )
        .order_by(Call.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))

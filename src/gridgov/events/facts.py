"""What analytics needs from cases: the facts its rollups count, the cases changed since its
last run, and the cases behind a figure (drill-down). Analytics itself never reads cases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.events import repository
from gridgov.events.models import Event
from gridgov.events.repository import FLAG_ACTIONS, CaseQuery, FactRow
from gridgov.kit.errors import PermissionDenied
from gridgov.kit.pagination import PageParams

__all__ = ["FLAG_ACTIONS", "CaseQuery", "FactRow"]


def _require_platform(actor: Actor) -> None:
    # The rollups count every case; only the platform (jobs, CLI, seed) builds them.
    actor.require(Perm.EVENTS_READ)
    if not actor.scope.is_unrestricted:
        raise PermissionDenied("只有平台任务可以读取全部案件", code="platform_only")


def fact_rows(session: Session, ids: list[int], *, actor: Actor) -> list[FactRow]:
    """The given cases as the rollups see them."""
    _require_platform(actor)
    return repository.fact_rows(session, ids)


def fact_batches(session: Session, *, actor: Actor, batch: int = 20_000) -> Iterator[FactRow]:
    """Every case in id order, read in batches with nothing held open between them."""
    _require_platform(actor)
    after = 0
    while rows := repository.fact_rows_after(session, after, batch):
        yield from rows
        after = rows[-1].id


def flags(session: Session, ids: list[int], *, actor: Actor) -> dict[int, set[str]]:
    """Which of 自办结, 返工 and 升级 each case's timeline holds (cases with none are absent)."""
    _require_platform(actor)
    return _grouped(repository.flagged_actions(session, ids))


def flags_between(
    session: Session, first_id: int, last_id: int, *, actor: Actor
) -> dict[int, set[str]]:
    _require_platform(actor)
    return _grouped(repository.flagged_actions_between(session, first_id, last_id))


def _grouped(pairs: list[tuple[int, str]]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for event_id, action in pairs:
        found.setdefault(event_id, set()).add(action)
    return found


def changed_since(session: Session, since: datetime, after_id: int, *, actor: Actor) -> list[int]:
    _require_platform(actor)
    return repository.changed_since(session, since, after_id)


def cases_behind(
    session: Session, query: CaseQuery, *, actor: Actor, page: PageParams
) -> tuple[list[Event], int]:
    """The cases counted by a figure, in the reader's scope, newest first."""
    actor.require(Perm.EVENTS_READ)
    return repository.cases_matching(session, actor.scope, query, page)


def ids_behind(session: Session, query: CaseQuery, *, actor: Actor) -> list[int]:
    actor.require(Perm.EVENTS_READ)
    return repository.ids_matching(session, actor.scope, query)


def reported_by(
    session: Session, query: CaseQuery, reporter_ids: list[int], *, actor: Actor
) -> list[tuple[int, int, datetime, datetime | None]]:
    """(reporter, case id, created_at, closed_at) of the cases behind a figure reported by these
    accounts, in the reader's scope (the assessment's per-worker case indicators)."""
    actor.require(Perm.EVENTS_READ)
    return repository.reporter_rows(session, actor.scope, query, reporter_ids)

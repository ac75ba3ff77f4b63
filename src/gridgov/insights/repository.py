"""Read-only queries of the insights (hotspots, frequent persons): narrow column reads over
the cases and disputes, every one through ``apply_scope``.

Like the map (``gis/``), insights is a view over other features' tables; it owns none and
writes nothing. Cases are scoped with the analytics rule (the department dimension is the
primary department, 主办), disputes by their region.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from gridgov.accounts.models import User
from gridgov.accounts.scope import Scope, apply_scope, path_prefix, unscoped
from gridgov.citizen.models import CitizenPhone
from gridgov.db import unindexed
from gridgov.events.models import Event
from gridgov.mediation.models import Dispute, DisputeParty


@dataclass(frozen=True)
class CaseFilter:
    """The analytics query's case filters, resolved: region nodes, a UTC window [start, end)."""

    start: datetime
    end: datetime
    region_paths: tuple[str, ...]
    category_code: str | None = None
    source: str | None = None
    department_id: int | None = None  # 0: cases with no department


def _cases(scope: Scope, f: CaseFilter, *columns: Any) -> Select[Any]:
    # The time window is the selective part: the path and source tests are marked unindexed
    # (SQLite's unary +), so the planner takes the window from a created_at index
    # ((created_at, lon, lat) or (created_at, region_path)) instead of walking an area by path.
    stmt = apply_scope(
        select(*columns),
        scope,
        region_path=unindexed(Event.region_path),
        department_id=Event.department_id,
    )
    stmt = stmt.where(Event.created_at >= f.start, Event.created_at < f.end)
    if f.region_paths:
        stmt = stmt.where(
            or_(*(path_prefix(unindexed(Event.region_path), p) for p in f.region_paths))
        )
    if f.category_code:
        stmt = stmt.where(path_prefix(Event.category_code, f.category_code))
    if f.source:
        stmt = stmt.where(unindexed(Event.source) == f.source)
    if f.department_id is not None:
        stmt = stmt.where(
            Event.department_id.is_(None)
            if f.department_id == 0
            else Event.department_id == f.department_id
        )
    return stmt


def case_points(session: Session, scope: Scope, f: CaseFilter, period_start: datetime) -> list[Any]:
    """(id, lon, lat, reported since ``period_start``) of the cases reported in the window:
    nothing else is read, and the time is compared in the database (parsing 10⁵ timestamps
    costs more than the read)."""
    since = case((Event.created_at >= period_start, 1), else_=0)
    stmt = _cases(scope, f, Event.id, Event.lon, Event.lat, since)
    return list(session.connection().execute(stmt).all())


HOTLINE_PHONE_HASH = ("hotline", "caller_phone_hash")


def reporter_counts(
    session: Session, scope: Scope, f: CaseFilter, sources: Sequence[str]
) -> list[Any]:
    """(source, reporter_id, reporter_key, hotline caller phone hash, cases, last created_at)
    of the cases reported in the window through ``sources``, grouped in the database."""
    phone = Event.extra[HOTLINE_PHONE_HASH].as_string()
    stmt = (
        _cases(
            scope,
            f,
            Event.source,
            Event.reporter_id,
            Event.reporter_key,
            phone,
            func.count(),
            func.max(Event.created_at),
        )
        .where(unindexed(Event.source).in_(list(sources)))
        .group_by(Event.source, Event.reporter_id, Event.reporter_key, phone)
    )
    return list(session.connection().execute(stmt).all())


def reporter_cases(
    session: Session,
    scope: Scope,
    f: CaseFilter,
    *,
    reporter_keys: Sequence[str],
    phone_hashes: Sequence[str],
    sources: Sequence[str],
) -> list[Any]:
    """(id, source, reporter_key, phone hash, category_code) of the window's cases of the
    given reporters (non-hotline sources by reporter key, hotline by caller phone hash)."""
    phone = Event.extra[HOTLINE_PHONE_HASH].as_string()
    others = [s for s in sources if s != "hotline"]
    matches = []
    if reporter_keys and others:
        matches.append(
            Event.reporter_key.in_(list(reporter_keys)) & unindexed(Event.source).in_(others)
        )
    if phone_hashes and "hotline" in sources:
        matches.append((unindexed(Event.source) == "hotline") & phone.in_(list(phone_hashes)))
    if not matches:
        return []
    stmt = _cases(
        scope, f, Event.id, Event.source, Event.reporter_key, phone, Event.category_code
    ).where(or_(*matches))
    return list(session.connection().execute(stmt).all())


def hotline_masks(
    session: Session, scope: Scope, f: CaseFilter, event_ids: Sequence[int]
) -> dict[int, str]:
    """The masked caller phone of the given hotline cases (only the mask is read)."""
    found: dict[int, str] = {}
    for start in range(0, len(event_ids), 900):
        chunk = list(event_ids[start : start + 900])
        stmt = _cases(
            scope, f, Event.id, Event.extra[("hotline", "caller_phone_masked")].as_string()
        ).where(Event.id.in_(chunk))
        for event_id, masked in session.connection().execute(stmt):
            if masked:
                found[int(event_id)] = str(masked)
    return found


@unscoped("labels of reporters already found through a scoped read; masked phones and names")
def reporter_labels(session: Session, user_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Each account's (masked verified phone or '', display name)."""
    found: dict[int, tuple[str, str]] = {}
    ids = sorted(set(user_ids))
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        stmt = (
            select(User.id, CitizenPhone.phone_masked, User.display_name)
            .outerjoin(CitizenPhone, CitizenPhone.user_id == User.id)
            .where(User.id.in_(chunk))
        )
        for user_id, masked, name in session.execute(stmt):
            found[int(user_id)] = (masked or "", name or "")
    return found


def party_rows(
    session: Session, scope: Scope, *, start: datetime, end: datetime, region_paths: Sequence[str]
) -> list[Any]:
    """(dispute_id, party_key, name, id_number_masked, phone_masked, dispute_type, created_at)
    of the parties of the disputes registered in the window inside the area."""
    stmt = apply_scope(
        select(
            Dispute.id,
            DisputeParty.party_key,
            DisputeParty.name,
            DisputeParty.id_number_masked,
            DisputeParty.phone_masked,
            Dispute.dispute_type,
            Dispute.created_at,
        ).join(DisputeParty, DisputeParty.dispute_id == Dispute.id),
        scope,
        region_path=unindexed(Dispute.region_path),
    ).where(
        Dispute.created_at >= start,
        Dispute.created_at < end,
        DisputeParty.party_key.is_not(None),
    )
    if region_paths:
        stmt = stmt.where(
            or_(*(path_prefix(unindexed(Dispute.region_path), p) for p in region_paths))
        )
    return list(session.connection().execute(stmt).all())

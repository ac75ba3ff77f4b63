"""Household visits: record one (exactly once per client id), list them, find who is due.

The households and special-group members visited belong to the registry: they are read and
their ``last_visit_at`` moved through ``registry.services`` only, with the actor's scope."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.audit import services as audit
from gridgov.config import get_settings
from gridgov.kit import geo
from gridgov.kit.clock import now
from gridgov.kit.errors import InvalidInput, NotAuthenticated, NotFound
from gridgov.kit.pagination import PageParams
from gridgov.media import services as media
from gridgov.media.models import Media
from gridgov.regions import services as regions
from gridgov.registry import services as registry
from gridgov.registry.models import Household, SpecialGroupMember
from gridgov.registry.schemas import SpecialGroupUpdate
from gridgov.visits import repository
from gridgov.visits.models import VISIT_KIND_LABELS, Visit, VisitKind
from gridgov.visits.repository import LIST_COUNT_CAP, VisitFilter
from gridgov.visits.schemas import DueMemberOut, VisitIn

SUBJECT = "visit"
# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=5)
# How far back an offline visit may be recorded.
MAX_BACKDATE = timedelta(days=30)

__all__ = ["LIST_COUNT_CAP", "SUBJECT"]


def _user_id(actor: Actor) -> int:
    if actor.id is None:
        raise NotAuthenticated("系统账号不能登记走访", code="no_account")
    return actor.id


def kind_label(kind: str) -> str:
    known = {k.value: label for k, label in VISIT_KIND_LABELS.items()}
    return known.get(kind, kind)


def record_visit(session: Session, data: VisitIn, *, actor: Actor) -> tuple[Visit, bool]:
    """Record a visit. A repeat of the same client id by the same account returns the first
    visit and ``False``: an offline retry is applied once."""
    actor.require(Perm.VISITS_WRITE)
    user_id = _user_id(actor)
    existing = repository.by_client_id(session, user_id, data.client_id)
    if existing is not None:
        return existing, False
    moment = now()
    visited_at = data.visited_at or moment
    if visited_at.tzinfo is None:  # a time typed on a page: the district's local time
        visited_at = visited_at.replace(tzinfo=ZoneInfo(get_settings().timezone))
    if visited_at > moment + CLOCK_SKEW:
        raise InvalidInput("走访时间不能晚于当前时间", code="visit_in_future")
    if visited_at < moment - MAX_BACKDATE:
        raise InvalidInput("只能补录 30 天内的走访", code="visit_too_old")
    member = _member(session, data.member_id, actor) if data.member_id is not None else None
    if data.kind == VisitKind.SPECIAL_GROUP and member is None:
        raise InvalidInput("特殊人群走访须指明走访对象 member_id", code="member_required")
    household_id = data.household_id
    region_path: str | None = None
    if member is not None:
        region_path = member.region_path
        if household_id is None:
            household_id = _household_of_member(session, member, actor)
    if household_id is not None:
        household = _household(session, household_id, actor)
        region_path = region_path or household.region_path
    lon, lat = None, None
    if data.lon is not None and data.lat is not None:
        lon, lat = geo.to_wgs84(data.lon, data.lat, geo.parse_crs(data.crs))
        if region_path is None:
            region_path = regions.grid_path_at(session, lon, lat, "wgs84", actor=actor)
    if region_path is None:
        raise InvalidInput(
            "请指明走访的户（household_id）、特殊人群（member_id）或位置",
            code="visit_target_required",
        )
    visit = Visit(
        user_id=user_id,
        user_name=actor.display_name or actor.username,
        client_id=data.client_id,
        household_id=household_id,
        member_id=member.id if member is not None else None,
        kind=data.kind.value,
        visited_at=visited_at,
        summary=data.summary,
        findings=data.findings,
        lon=lon,
        lat=lat,
        media_ids=list(data.media_ids),
        region_path=region_path,
        created_at=moment,
    )
    repository.add_visit(session, visit)
    if data.media_ids:
        media.attach(
            session,
            data.media_ids,
            subject_type=SUBJECT,
            subject_id=visit.id,
            region_path=region_path,
            role="visit",
            actor=actor,
        )
    audit.record(
        session,
        actor=actor,
        action="visit.create",
        object_type="visit",
        object_id=visit.id,
        region_path=region_path,
        summary=f"登记{kind_label(visit.kind)}",
        details={
            "household_id": household_id,
            "member_id": visit.member_id,
            "client_id": data.client_id,
        },
    )
    if member is not None:
        registry.update_special_group(
            session, member.id, SpecialGroupUpdate(visited_at=visited_at), actor=actor
        )
    return visit, True


def _member(session: Session, member_id: int, actor: Actor) -> SpecialGroupMember:
    try:
        return registry.get_special_group(session, member_id, actor=actor)
    except NotFound as exc:
        raise InvalidInput(
            f"特殊人群记录 {member_id} 不存在或不在您的管辖范围内", code="member_not_found"
        ) from exc


def _household_of_member(session: Session, member: SpecialGroupMember, actor: Actor) -> int | None:
    try:
        return registry.get_person(session, member.person_id, actor=actor).household_id
    except NotFound:
        return None


def _household(session: Session, household_id: int, actor: Actor) -> Household:
    try:
        return registry.get_household(session, household_id, actor=actor)
    except NotFound as exc:
        raise InvalidInput(
            f"户 {household_id} 不存在或不在您的管辖范围内", code="household_not_found"
        ) from exc


def get_visit(session: Session, visit_id: int, *, actor: Actor) -> Visit:
    _require_read(actor)
    visit = repository.get_visit(session, actor.scope, visit_id)
    if visit is None:
        raise NotFound(f"走访记录 {visit_id} 不存在或不在您的管辖范围内", code="visit_not_found")
    return visit


def _require_read(actor: Actor) -> None:
    # Those who make visits and those who follow the workers read them.
    if not (actor.can(Perm.VISITS_WRITE) or actor.can(Perm.WORKERS_READ)):
        actor.require(Perm.VISITS_WRITE)


def list_visits(
    session: Session,
    *,
    actor: Actor,
    user_id: int | None = None,
    household_id: int | None = None,
    member_id: int | None = None,
    kind: str | None = None,
    visited_from: datetime | None = None,
    visited_to: datetime | None = None,
    page: PageParams,
) -> tuple[list[Visit], int]:
    _require_read(actor)
    filters = VisitFilter(
        user_id=user_id,
        household_id=household_id,
        member_id=member_id,
        kind=kind,
        visited_from=visited_from,
        visited_to=visited_to,
    )
    return repository.list_visits(session, actor.scope, filters, page)


def attachments(session: Session, visit: Visit, *, actor: Actor) -> list[Media]:
    return media.for_subject(session, SUBJECT, visit.id, actor=actor)


def count_by_user_day(
    session: Session,
    user_ids: Sequence[int],
    day_start: datetime,
    day_end: datetime,
    *,
    actor: Actor,
) -> dict[int, int]:
    """Visits per worker with ``day_start <= visited_at < day_end`` (for the daily report),
    counted in the actor's scope; workers without visits are left out."""
    return repository.count_by_user(session, actor.scope, user_ids, day_start, day_end)


# ---------------------------------------------------------------- who is due for a visit


def mask_name(name: str) -> str:
    """The surname and one asterisk per other character: 张三丰 → 张**."""
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


@dataclass(frozen=True)
class DueList:
    items: list[DueMemberOut]
    total: int


def due_members(
    session: Session, *, actor: Actor, region_code: str | None = None, page: PageParams
) -> DueList:
    """Special-group members in scope due for a visit, the longest overdue first (never
    visited before anyone else), with masked names."""
    _require_read(actor)
    moment = now()
    members = registry.special_groups_due(session, actor=actor, region_code=region_code)

    def due_at(member: SpecialGroupMember) -> datetime | None:
        if member.last_visit_at is None:
            return None
        return member.last_visit_at + timedelta(days=member.visit_every_days)

    members.sort(key=lambda m: (due_at(m) is not None, due_at(m) or moment, m.id))
    chosen = members[page.offset : page.offset + page.page_size]
    names = registry.person_names(session, [m.person_id for m in chosen], actor=actor)
    households = registry.households_of_persons(session, [m.person_id for m in chosen], actor=actor)
    items = []
    for member in chosen:
        due = due_at(member)
        items.append(
            DueMemberOut(
                member_id=member.id,
                person_id=member.person_id,
                household_id=households.get(member.person_id),
                name=mask_name(names.get(member.person_id, "")),
                group_type=member.group_type,
                risk_level=member.risk_level,
                visit_every_days=member.visit_every_days,
                last_visit_at=member.last_visit_at,
                due_at=due,
                overdue_days=(moment - due).days if due is not None else 0,
                grid_code=registry.grid_code(member.region_path),
                responsible_user_id=member.responsible_user_id,
            )
        )
    return DueList(items=items, total=len(members))

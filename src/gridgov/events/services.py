"""Events: intake (locate, classify, deadline, start the workflow), actions, reads.

Services take a session and an actor and never commit. Every change goes through the workflow
engine, whose timeline is the case's tamper-evident record."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gridgov.accounts import services as accounts
from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm, Role
from gridgov.config import get_settings
from gridgov.events import repository
from gridgov.events.catalog import CATEGORIES, DEFAULT_WORKFLOW, EVENT_WORKFLOW, OTHER_CATEGORY
from gridgov.events.models import Event, EventCategory, Level, Urgency
from gridgov.events.repository import EventFilter
from gridgov.events.schemas import ActionIn, EventIn
from gridgov.kit import geo
from gridgov.kit.calendar import WorkCalendar
from gridgov.kit.clock import format_local, now, to_local
from gridgov.kit.errors import InvalidInput, NotFound, PermissionDenied
from gridgov.kit.pagination import PageParams
from gridgov.notifications import services as notifications
from gridgov.orgs import services as orgs
from gridgov.regions import services as regions
from gridgov.registry import services as registry
from gridgov.workflow import services as workflow
from gridgov.workflow.models import WorkflowInstance, WorkflowStep

LIST_COUNT_CAP = repository.LIST_COUNT_CAP
# Urgent cases get half the category's time, critical ones a quarter.
URGENCY_FACTOR = {Urgency.NORMAL: 1.0, Urgency.URGENT: 0.5, Urgency.CRITICAL: 0.25}
SUBJECT = "event"


def calendar() -> WorkCalendar:
    settings = get_settings()
    return WorkCalendar(
        timezone=settings.timezone,
        holidays=settings.dates(settings.holidays),
        extra_workdays=settings.dates(settings.extra_workdays),
    )


def install_defaults(session: Session, *, actor: Actor) -> int:
    """Write the default closed-loop workflow and category tree where there are none yet."""
    added = 0
    if workflow.current_definition(session, DEFAULT_WORKFLOW) is None:
        workflow.save_definition(
            session, DEFAULT_WORKFLOW, "事件闭环（默认）", EVENT_WORKFLOW, actor=actor
        )
        added += 1
    if not repository.list_categories(session):
        repository.add_categories(
            session,
            [
                {
                    "code": code,
                    "name": name,
                    "parent_code": parent,
                    "time_limit_hours": hours,
                    "default_department_code": department,
                    "workflow_code": DEFAULT_WORKFLOW,
                    "keywords": list(keywords),
                }
                for code, name, parent, hours, department, keywords in CATEGORIES
            ],
        )
        added += len(CATEGORIES)
    return added


def list_categories(session: Session, *, actor: Actor) -> list[EventCategory]:
    actor.require(Perm.EVENTS_READ)
    return repository.list_categories(session)


def classify(categories: list[EventCategory], text: str) -> EventCategory | None:
    """Keyword rules: the leaf category whose keywords match most of the text, if any."""
    best: tuple[int, int, EventCategory] | None = None
    for category in categories:
        if not category.parent_code or not category.is_active:
            continue
        score = sum(len(word) for word in category.keywords if word in text)
        if score and (best is None or score > best[0]):
            best = (score, -len(category.code), category)
    return best[2] if best else None


def _category(session: Session, data: EventIn) -> tuple[EventCategory, str]:
    if data.category_code:
        category = repository.get_category(session, data.category_code)
        if category is None or not category.is_active:
            raise InvalidInput(f"事件类别 {data.category_code} 不存在", code="unknown_category")
        if category.parent_code is None:
            raise InvalidInput("请选择小类（二级类别）", code="category_not_leaf")
        return category, "reporter"
    categories = repository.list_categories(session)
    found = classify(categories, f"{data.title} {data.description}")
    if found is not None:
        return found, "rules"
    other = repository.get_category(session, OTHER_CATEGORY)
    if other is None:
        raise InvalidInput("事件类别尚未配置（gridgov events init）", code="no_categories")
    return other, "fallback"


def _point(session: Session, data: EventIn) -> tuple[float, float]:
    if data.location is not None:
        return geo.to_wgs84(data.location.lon, data.location.lat, data.location.crs)
    assert data.address is not None
    found = registry.geocode(session, data.address)
    if found is None:
        raise InvalidInput(
            f"无法根据地址“{data.address}”定位，请提供坐标", code="address_not_found"
        )
    return found


def reporter_key(actor: Actor) -> str:
    return f"user:{actor.id}" if actor.id is not None else f"system:{actor.username}"


def intake(
    session: Session, data: EventIn, *, actor: Actor, idempotency_key: str | None = None
) -> tuple[Event, bool]:
    """Register a reported problem. Returns the event and whether it is new: the same
    idempotency key from the same reporter returns the first event, so retries are safe."""
    actor.require(Perm.EVENTS_REPORT)
    key = reporter_key(actor)
    if idempotency_key:
        existing = repository.by_idempotency_key(session, key, idempotency_key)
        if existing is not None:
            return existing, False
    lon, lat = _point(session, data)
    hit = regions.point_hit(session, lon, lat)
    if hit is None:
        raise InvalidInput("该位置不在本辖区范围内", code="outside_territory", lon=lon, lat=lat)
    if actor.scope.region_paths is not None and not actor.scope.covers_path(hit.grid.path):
        # Staff report inside their own area; citizens and district-wide roles anywhere.
        raise PermissionDenied("该位置不在您的管辖范围内", code="out_of_scope")
    category, classified_by = _category(session, data)
    moment = now()
    hours = category.time_limit_hours * URGENCY_FACTOR[data.urgency]
    event = Event(
        code=f"T{uuid.uuid4().hex[:20]}",  # replaced below once the id is known
        title=data.title,
        description=data.description,
        category_code=category.code,
        source=data.source.value,
        urgency=data.urgency.value,
        lon=round(lon, 7),
        lat=round(lat, 7),
        address=data.address or "",
        region_path=hit.grid.path,
        special_grids=[ref.code for ref in hit.special_grids],
        status=workflow.initial_state(session, category.workflow_code),
        level="grid",
        reporter_id=actor.id,
        reporter_key=key,
        idempotency_key=idempotency_key,
        deadline_at=moment,  # set just below, with the warning time that goes with it
        warn_at=moment,
        classified_by=classified_by,
        created_at=moment,
        extra={"suggested_department": category.default_department_code}
        if category.default_department_code
        else {},
    )
    set_deadline(event, calendar().add_working_hours(moment, hours))
    repository.add_event(session, event)
    event.code = f"SJ{to_local(moment, get_settings().timezone):%Y%m%d}{event.id:07d}"
    instance = workflow.start(
        session,
        category.workflow_code,
        subject_type=SUBJECT,
        subject_id=event.id,
        region_path=event.region_path,
        actor=actor,
        data={"source": data.source.value, "category": category.code},
    )
    event.workflow_instance_id = instance.id
    return event, True


def get_event(session: Session, event_id: int, *, actor: Actor) -> Event:
    actor.require(Perm.EVENTS_READ)
    event = repository.get_event(session, actor.scope, event_id)
    if event is None:
        raise NotFound(f"事件 {event_id} 不存在或不在您的管辖范围内", code="event_not_found")
    return event


def list_events(
    session: Session,
    *,
    actor: Actor,
    status: str | None = None,
    category_code: str | None = None,
    source: str | None = None,
    region_code: str | None = None,
    department_id: int | None = None,
    level: str | None = None,
    overdue: bool = False,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    query: str | None = None,
    page: PageParams,
) -> tuple[list[Event], int]:
    actor.require(Perm.EVENTS_READ)
    region_path = (
        regions.get_region(session, region_code, actor=actor).path if region_code else None
    )
    filters = EventFilter(
        status=status,
        category_code=category_code,
        source=source,
        region_path=region_path,
        department_id=department_id,
        level=level,
        overdue_at=now() if overdue else None,
        created_from=created_from,
        created_to=created_to,
        query=query,
    )
    return repository.list_events(session, actor.scope, filters, page)


@dataclass(frozen=True)
class CaseView:
    event: Event
    instance: WorkflowInstance
    steps: list[WorkflowStep]
    labels: dict[str, str]
    actions: list[Any]


def case_view(session: Session, event: Event, *, actor: Actor) -> CaseView:
    instance = workflow.instance_for(session, SUBJECT, event.id)
    return CaseView(
        event=event,
        instance=instance,
        steps=workflow.steps_for(session, instance),
        labels=workflow.labels(session, instance),
        actions=workflow.available_actions(session, instance, actor=actor),
    )


def versions(session: Session, events: list[Event]) -> dict[int, int]:
    ids = [e.workflow_instance_id for e in events if e.workflow_instance_id is not None]
    by_instance = workflow.versions(session, ids)
    return {e.id: by_instance.get(e.workflow_instance_id or 0, 1) for e in events}


def state_labels(session: Session) -> dict[str, str]:
    return workflow.state_labels(session, DEFAULT_WORKFLOW)


def act(session: Session, event_id: int, action: str, data: ActionIn, *, actor: Actor) -> Event:
    """Perform one workflow action on a case, with the version the caller saw."""
    event = get_event(session, event_id, actor=actor)
    instance = workflow.instance_for(session, SUBJECT, event.id)
    payload: dict[str, Any] = {}
    if data.department_id is not None:
        department = orgs.get_organisation(session, data.department_id, actor=actor)
        if not orgs.is_department(department):
            raise InvalidInput("只能派遣给区直部门", code="not_a_department")
        payload["department_id"] = department.id
        payload["department"] = department.name
    if data.satisfaction is not None:
        payload["satisfaction"] = data.satisfaction
    if data.hours is not None:
        payload["hours"] = data.hours
    if data.card is not None:
        payload["card"] = data.card
    if data.target_id is not None:
        target = get_event(session, data.target_id, actor=actor)
        if target.id == event.id or target.status in ("voided", "rated"):
            raise InvalidInput("只能合并到另一件未办结的事件", code="bad_merge_target")
        payload["target_id"] = target.id
        payload["target_code"] = target.code
    if action == "escalate" and event.level == Level.DISTRICT:
        raise InvalidInput("已是区级事件，无法再升级", code="already_top_level")
    moved = workflow.act(
        session,
        instance,
        action,
        actor=actor,
        expected_version=data.version,
        comment=data.comment,
        data=payload,
    )
    event.status = moved.instance.state
    _after(session, event, moved, payload)
    return event


LEVEL_ORDER = [Level.GRID, Level.COMMUNITY, Level.STREET, Level.DISTRICT]


def _after(session: Session, event: Event, moved: workflow.Moved, payload: dict[str, Any]) -> None:
    """What an action changes on the case beyond its state."""
    action, at = moved.step.action, moved.step.at
    extra = dict(event.extra)
    if action == "dispatch":
        event.department_id = payload["department_id"]
        event.level = Level.DISTRICT.value
    elif action == "escalate":
        event.level = LEVEL_ORDER[LEVEL_ORDER.index(Level(event.level)) + 1].value
    elif action == "approve_extension":
        requested = _last_step_data(session, moved.instance, "request_extension").get("hours", 0)
        set_deadline(event, calendar().add_working_hours(event.deadline_at, float(requested)))
    elif action == "resume":
        suspended_at = _last_step_time(session, moved.instance, "suspend")
        if suspended_at is not None:
            # The clock stopped while suspended: the deadline moves by the time lost.
            lost = calendar().working_hours_between(suspended_at, at)
            set_deadline(event, calendar().add_working_hours(event.deadline_at, lost))
    elif action == "supervise":
        extra["cards"] = [*extra.get("cards", []), payload["card"]]
    elif action == "merge":
        extra["merged_into"] = payload["target_code"]
    elif action == "self_settle":
        extra["self_settled"] = True
    elif action == "rate":
        extra["satisfaction"] = payload["satisfaction"]
    if moved.instance.state == "closed":
        event.closed_at = at
    elif action == "reopen":
        event.closed_at = None
    event.extra = extra


def _last_step_data(session: Session, instance: WorkflowInstance, action: str) -> dict[str, Any]:
    for step in reversed(workflow.steps_for(session, instance)):
        if step.action == action:
            return step.data
    return {}


def _last_step_time(session: Session, instance: WorkflowInstance, action: str) -> datetime | None:
    for step in reversed(workflow.steps_for(session, instance)):
        if step.action == action:
            return step.at
    return None


def set_deadline(event: Event, deadline: datetime) -> None:
    """A new deadline, the moment the case turns yellow, and a fresh start for the SLA scan."""
    start = event.created_at
    share = get_settings().sla_warning_share
    event.deadline_at = deadline
    event.warn_at = start + (deadline - start) * share
    event.sla_stage = 0


@dataclass
class ScanReport:
    warned: int = 0
    overdue: int = 0
    escalated: int = 0
    notified: int = 0


SLA_ACTOR = "sla"
SCAN_BATCH = 500


def scan_deadlines(session: Session, moment: datetime | None = None) -> ScanReport:
    """The SLA job: warn those on duty when a case turns yellow; when it is overdue, tell them
    and the center, and escalate it one level (once). Each case is handled once per stage."""
    moment = moment or now()
    report = ScanReport()
    system = Actor.system(SLA_ACTOR)
    while batch := repository.due_for_warning(session, moment, SCAN_BATCH):
        for event in batch:
            event.sla_stage = 1
            if event.deadline_at > moment:
                # Already overdue ones are told once, by the overdue pass below.
                report.notified += len(
                    _tell(session, event, "sla_warning", "即将超时", center=False)
                )
                report.warned += 1
        session.flush()
    while batch := repository.due_overdue(session, moment, SCAN_BATCH):
        for event in batch:
            report.overdue += 1
            report.notified += len(_tell(session, event, "sla_overdue", "已超时", center=True))
            if event.level != Level.DISTRICT.value and event.status in ESCALATABLE:
                _escalate(session, event, system)
                report.escalated += 1
            event.sla_stage = 2
        session.flush()
    return report


ESCALATABLE = ("reported", "accepted", "dispatched", "handling")


def _escalate(session: Session, event: Event, system: Actor) -> None:
    instance = workflow.instance_for(session, SUBJECT, event.id)
    moved = workflow.act(
        session,
        instance,
        "escalate",
        actor=system,
        expected_version=instance.version,
        comment="超过办结时限，自动升级",
    )
    event.status = moved.instance.state
    _after(session, event, moved, {})


def _tell(session: Session, event: Event, kind: str, what: str, *, center: bool) -> list[int]:
    users = accounts.user_ids_for_duty(
        session,
        department_id=event.department_id,
        grid_path=None if event.department_id else event.region_path,
        roles=[Role.CENTER_OPERATOR] if center else [],
    )
    notifications.notify(
        session,
        users,
        kind=kind,
        title=f"事件{what}：{event.title}",
        body=f"{event.code} 办结时限 {format_local(event.deadline_at, get_settings().timezone)}",
        link=f"/events/{event.id}",
    )
    return users


def sla_flag(event: Event, moment: datetime) -> str:
    """green, yellow (most of the time used), red (overdue) or done."""
    if event.closed_at is not None or event.status in ("voided", "rated", "closed"):
        return "done"
    if event.deadline_at <= moment:
        return "red"
    allowed = (event.deadline_at - event.created_at).total_seconds()
    used = (moment - event.created_at).total_seconds()
    share = get_settings().sla_warning_share
    return "yellow" if allowed > 0 and used / allowed >= share else "green"


def verify_timelines(session: Session) -> workflow.ChainReport:
    return workflow.verify_chains(session)

"""Events: intake (locate, classify, deadline, start the workflow), actions, reads.

Services take a session and an actor and never commit. Every change goes through the workflow
engine, whose timeline is the case's tamper-evident record."""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from gridgov.accounts import services as accounts
from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm, Role
from gridgov.audit import services as audit
from gridgov.config import get_settings
from gridgov.db import transaction_info_key
from gridgov.events import repository
from gridgov.events.catalog import CATEGORIES, DEFAULT_WORKFLOW, EVENT_WORKFLOW, OTHER_CATEGORY
from gridgov.events.models import (
    AssistStatus,
    Event,
    EventAssist,
    EventCategory,
    Level,
    Source,
    Urgency,
)
from gridgov.events.repository import EventFilter
from gridgov.events.schemas import ActionIn, EventIn
from gridgov.kit import geo, live, refcache
from gridgov.kit.calendar import WorkCalendar, office_calendar
from gridgov.kit.clock import format_local, now, to_local
from gridgov.kit.errors import AppError, InvalidInput, NotFound, PermissionDenied
from gridgov.kit.pagination import PageParams
from gridgov.media import services as media
from gridgov.notifications import services as notifications
from gridgov.orgs import services as orgs
from gridgov.orgs.models import Organisation
from gridgov.regions import services as regions
from gridgov.registry import services as registry
from gridgov.routing import services as routing
from gridgov.routing.rules import CaseFacts
from gridgov.workflow import services as workflow
from gridgov.workflow.models import WorkflowInstance, WorkflowStep

LIST_COUNT_CAP = repository.LIST_COUNT_CAP
# Urgent cases get half the category's time, critical ones a quarter.
URGENCY_FACTOR = {Urgency.NORMAL: 1.0, Urgency.URGENT: 0.5, Urgency.CRITICAL: 0.25}
SUBJECT = "event"


def calendar() -> WorkCalendar:
    return office_calendar()


# The level a case starts at, from who reported it; escalation raises it from there.
START_LEVEL = {
    Source.DEPARTMENT: Level.DISTRICT,
    Source.STREET: Level.STREET,
    Source.COMMUNITY: Level.COMMUNITY,
}


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


def category_name(session: Session, code: str, *, actor: Actor) -> str:
    """A category's name ("" for a code no longer configured)."""
    actor.require(Perm.EVENTS_READ)
    category = _category_copy(session, code)
    return category.name if category is not None else ""


_CATEGORY_COLUMNS = tuple(column.key for column in EventCategory.__table__.columns)


def _category_copy(session: Session, code: str) -> EventCategory | None:
    """A category to read, never to change: a new unattached copy of the row, which every
    report needs and which is kept per process until a category changes (``kit.refcache``)."""

    def load() -> tuple[tuple[str, Any], ...] | None:
        row = repository.get_category(session, code)
        return None if row is None else tuple((c, getattr(row, c)) for c in _CATEGORY_COLUMNS)

    values = refcache.cached(session, ("event_category", code), load)
    if values is None:
        return None
    return EventCategory(**{c: list(v) if isinstance(v, list) else v for c, v in values})


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


@dataclass(frozen=True)
class CategorySuggestion:
    category: EventCategory
    confidence: float
    by: str  # "model" (the routing text model's probability) or "rules" (keyword share)


def suggest_categories(
    session: Session, title: str, description: str, *, actor: Actor, limit: int = 3
) -> list[CategorySuggestion]:
    """The likeliest leaf categories for a report's text, best first, for a reporter to pick
    from: the active text model's probabilities, then keyword-rule matches (their confidence
    is the match's share of all matched keyword length, scaled below the model's)."""
    actor.require(Perm.EVENTS_REPORT)
    text = f"{title} {description}".strip()
    categories = {
        c.code: c
        for c in repository.list_categories(session)
        if c.parent_code is not None and c.is_active
    }
    found: list[CategorySuggestion] = []
    loaded = routing.active_model(session) if text else None
    if loaded is not None and loaded.category is not None:
        for code, probability in loaded.category.top(text, limit):
            if code in categories and probability > 0:
                found.append(CategorySuggestion(categories[code], round(probability, 4), "model"))
    scores = {
        code: sum(len(word) for word in c.keywords if word in text)
        for code, c in categories.items()
    }
    total = sum(scores.values())
    ranked = sorted((s, code) for code, s in scores.items() if s > 0)
    for score, code in sorted(ranked, key=lambda pair: (-pair[0], pair[1])):
        if len(found) >= limit:
            break
        if all(s.category.code != code for s in found):
            share = round(0.9 * score / total, 4)
            found.append(CategorySuggestion(categories[code], share, "rules"))
    return found[:limit]


def _category(session: Session, data: EventIn) -> tuple[EventCategory, str]:
    if data.category_code:
        category = _category_copy(session, data.category_code)
        if category is None or not category.is_active:
            raise InvalidInput(f"事件类别 {data.category_code} 不存在", code="unknown_category")
        if category.parent_code is None:
            raise InvalidInput("请选择小类（二级类别）", code="category_not_leaf")
        return category, "reporter"
    text = f"{data.title} {data.description}"
    by_model = routing.classify_text(session, text, get_settings().routing_classify_min_confidence)
    if by_model is not None:
        code, _, version = by_model
        category = _category_copy(session, code)
        if category is not None and category.is_active and category.parent_code is not None:
            return category, f"model:v{version}"
    categories = repository.list_categories(session)
    found = classify(categories, text)
    if found is not None:
        return found, "rules"
    other = _category_copy(session, OTHER_CATEGORY)
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
    level = START_LEVEL.get(data.source, Level.GRID)
    workflow_code = workflow.bound_workflow(
        session,
        SUBJECT,
        [category.code, category.parent_code or ""],
        level.value,
        default=category.workflow_code,
    )
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
        status=workflow.initial_state(session, workflow_code),
        level=level.value,
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
    # Before the workflow starts: its rows need not be flushed for this query, and the new
    # case's code, instance and duplicates then reach the database in one UPDATE at commit.
    duplicates = find_duplicates(session, event)
    instance = workflow.start(
        session,
        workflow_code,
        subject_type=SUBJECT,
        subject_id=event.id,
        region_path=event.region_path,
        actor=actor,
        data={
            "source": data.source.value,
            "category": category.code,
            **({"media_ids": list(data.media_ids)} if data.media_ids else {}),
        },
    )
    # Set together so they reach the database in one UPDATE.
    event.code = f"SJ{to_local(moment, get_settings().timezone):%Y%m%d}{event.id:07d}"
    event.workflow_instance_id = instance.id
    if duplicates:
        event.extra = {**event.extra, "possible_duplicates": [d.id for d, _ in duplicates]}
        session.info.setdefault(_DUPLICATES_FOUND, {})[event.id] = duplicates
    media.attach(
        session,
        data.media_ids,
        subject_type=SUBJECT,
        subject_id=event.id,
        region_path=event.region_path,
        role="report",
        actor=actor,
        step=1,  # the timeline's start step
    )
    if data.source.value in get_settings().routing_auto_sources.split(","):
        _route_on_intake(session, event, category)
    # Every new case, whatever its channel, reaches the big screens once it is committed.
    live.publish_after_commit(session, live_message(event, category))
    return event, True


def live_message(event: Event, category: EventCategory) -> dict[str, Any]:
    """The message the big screens get for a new case (channel ``screens``)."""
    return {
        "type": "event",
        "id": event.id,
        "code": event.code,
        "title": event.title,
        "category_code": event.category_code,
        "category_name": category.name,
        "source": event.source,
        "status": event.status,
        "region_path": event.region_path,
        "lon": event.lon,
        "lat": event.lat,
        "created_at": event.created_at.isoformat(),
    }


ROUTING_ACTOR = "routing"


def case_facts(event: Event, category: EventCategory | None) -> CaseFacts:
    return CaseFacts(
        title=event.title,
        description=event.description,
        category_code=event.category_code,
        parent_category_code=category.parent_code if category is not None else None,
        region_path=event.region_path,
        source=event.source,
        urgency=event.urgency,
        at_local=to_local(event.created_at, get_settings().timezone),
    )


def propose(session: Session, event: Event) -> routing.Decision:
    """What routing proposes for a case now (rules, then the model, then the category)."""
    category = repository.get_category(session, event.category_code)
    return routing.decide(
        session,
        case_facts(event, category),
        default_department=category.default_department_code if category else None,
    )


def _route_on_intake(session: Session, event: Event, category: EventCategory) -> None:
    """Decide who should handle a new case and record it; when a rule or a confident model
    allows, accept and dispatch it at once with no operator (自动转办)."""
    decision = routing.decide(
        session,
        case_facts(event, category),
        default_department=category.default_department_code,
    )
    recorded = routing.record_decision(session, SUBJECT, event.id, decision)
    if decision.mode != "auto" or decision.department_code is None:
        return
    directory = orgs.department_directory(session)
    system = Actor.system(ROUTING_ACTOR)
    instance = workflow.instance_for(session, SUBJECT, event.id, event.workflow_instance_id)
    try:
        # A savepoint: a workflow that cannot accept and dispatch leaves the case as reported.
        with session.begin_nested():
            act(session, event.id, "accept", ActionIn(version=instance.version), actor=system)
            act(
                session,
                event.id,
                "dispatch",
                ActionIn(
                    version=instance.version,
                    department_id=directory[decision.department_code].id,
                    assisting_department_ids=[directory[c].id for c in decision.assisting],
                    comment=f"自动转办：{decision.reason}",
                ),
                actor=system,
            )
    except AppError as refused:
        recorded.mode = "recommend"
        recorded.reason = f"{decision.reason}；未能自动派遣：{refused.message}"
        return
    if decision.level is not None:
        event.level = decision.level
    if decision.time_limit_hours is not None:
        hours = decision.time_limit_hours * URGENCY_FACTOR[Urgency(event.urgency)]
        set_deadline(event, calendar().add_working_hours(event.created_at, hours))


METRES_PER_DEGREE_LAT = 111_320.0


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine) on a spherical Earth, in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def find_duplicates(session: Session, event: Event) -> list[tuple[Event, float]]:
    """Open cases of the same category within the configured distance and time window before
    this one, nearest first: candidates an operator may merge."""
    settings = get_settings()
    radius = settings.duplicate_radius_m
    dlat = radius / METRES_PER_DEGREE_LAT
    dlon = dlat / max(math.cos(math.radians(event.lat)), 0.01)
    nearby = repository.nearby_open(
        session,
        category_code=event.category_code,
        lon_range=(event.lon - dlon, event.lon + dlon),
        lat_range=(event.lat - dlat, event.lat + dlat),
        since=event.created_at - timedelta(hours=settings.duplicate_window_hours),
        exclude_id=event.id,
    )
    found = [(other, distance_m(event.lon, event.lat, other.lon, other.lat)) for other in nearby]
    return sorted(
        ((other, d) for other, d in found if d <= radius and other.created_at <= event.created_at),
        key=lambda pair: pair[1],
    )[:5]


def get_event(session: Session, event_id: int, *, actor: Actor) -> Event:
    actor.require(Perm.EVENTS_READ)
    event = repository.get_event(session, actor.scope, event_id)
    if event is None:
        raise NotFound(f"事件 {event_id} 不存在或不在您的管辖范围内", code="event_not_found")
    return event


def search_events(
    session: Session, filters: EventFilter, *, actor: Actor, page: PageParams
) -> tuple[list[Event], int]:
    """One page of the cases in the actor's scope that match ``filters`` (see event_filter)."""
    actor.require(Perm.EVENTS_READ)
    return repository.list_events(session, actor.scope, filters, page)


def event_filter(
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
    spot_check: str | None = None,
    assist_pending: bool = False,
) -> EventFilter:
    """The list filters in the form the repository takes (a region code becomes its path;
    ``assist_pending`` means the cases the actor's departments still owe assisting feedback)."""
    actor.require(Perm.EVENTS_READ)
    region_path = (
        regions.get_region(session, region_code, actor=actor).path if region_code else None
    )
    return EventFilter(
        status=status,
        category_code=category_code,
        source=source,
        region_path=region_path,
        department_id=department_id,
        level=level,
        overdue_at=now() if overdue else None,
        created_from=created_from,
        created_to=created_to,
        query=(query or "").strip() or None,
        spot_check=spot_check,
        assist_pending_for=(actor.scope.department_ids or ()) if assist_pending else None,
    )


def export_events(session: Session, filters: EventFilter, *, actor: Actor) -> Iterator[Event]:
    """The cases an export holds, refused when there are more than an export may carry."""
    actor.require(Perm.EVENTS_READ)
    limit = get_settings().export_max_rows
    if repository.count_events(session, actor.scope, filters, cap=limit + 1) > limit:
        raise InvalidInput(
            f"导出最多 {limit:,} 条，请缩小筛选范围", code="export_too_large", limit=limit
        )
    audit.record(
        session,
        actor=actor,
        action="events.export",
        object_type="event",
        object_id="*",
        summary="导出事件列表",
        details={k: str(v) for k, v in vars(filters).items() if v is not None},
    )
    return repository.iter_events(session, actor.scope, filters, limit)


@dataclass(frozen=True)
class AssistView:
    assist: EventAssist
    department: str


@dataclass(frozen=True)
class CaseView:
    event: Event
    instance: WorkflowInstance
    steps: list[WorkflowStep]
    labels: dict[str, str]
    actions: list[Any]
    assists: list[AssistView]
    duplicates: list[tuple[Event, float]]


def case_view(session: Session, event: Event, *, actor: Actor) -> CaseView:
    instance = workflow.instance_for(session, SUBJECT, event.id, event.workflow_instance_id)
    # Assisting departments come with a dispatch, which also names the primary department.
    assists = repository.assists_of(session, event.id) if event.department_id else []
    names = orgs.names_of(session, [a.department_id for a in assists])
    return CaseView(
        event=event,
        instance=instance,
        steps=workflow.steps_for(session, instance),
        labels=workflow.labels(session, instance),
        actions=[
            t
            for t in workflow.available_actions(session, instance, actor=actor)
            if _offered(event, t.action, actor, assists)
        ],
        assists=[AssistView(a, names.get(a.department_id, "")) for a in assists],
        duplicates=duplicates_of(session, event, actor=actor),
    )


def _offered(event: Event, action: str, actor: Actor, assists: list[EventAssist]) -> bool:
    """Whether to offer an action the workflow allows: the case's own rules hide the rest
    (an assisting department sees only its feedback; only drawn cases get a spot check)."""
    departments = _acts_for_department(actor)
    if action in PRIMARY_ONLY and departments is not None:
        return event.department_id in departments
    if action == "assist_feedback":
        return departments is not None and any(
            a.department_id in departments and a.status == AssistStatus.ASSIGNED for a in assists
        )
    if action in ("spot_check_pass", "spot_check_fail"):
        return event.spot_check == "pending"
    return True


# The merge candidates an intake found, by new case, until the transaction ends: its answer
# lists them, and need not read them again (held here, they also stay in the session's weak
# identity map).
_DUPLICATES_FOUND = transaction_info_key("gridgov.events.duplicates_found")


def duplicates_of(session: Session, event: Event, *, actor: Actor) -> list[tuple[Event, float]]:
    """The merge candidates found at intake that are still open and visible to the actor."""
    ids = [int(i) for i in event.extra.get("possible_duplicates", [])]
    if not ids or event.status in ("voided", "rated", "closed"):
        return []
    found: list[tuple[Event, float]] | None = session.info.get(_DUPLICATES_FOUND, {}).get(event.id)
    if found is not None and all(repository.sees(actor.scope, e) is not None for e, _ in found):
        return [
            (other, distance)
            for other, distance in found
            if repository.sees(actor.scope, other) and other.status in repository.NOT_ENDED_STATES
        ]
    visible = repository.events_by_ids(session, actor.scope, ids)
    return sorted(
        (
            (other, distance_m(event.lon, event.lat, other.lon, other.lat))
            for other in visible
            if other.status in repository.NOT_ENDED_STATES
        ),
        key=lambda pair: pair[1],
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
    department_code: str | None = None
    if data.department_id is not None:
        department = _department(session, data.department_id, actor=actor)
        payload["department_id"] = department.id
        payload["department"] = department.name
        department_code = department.code
    returning_department = event.department_id if action == "return" else None
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
    if data.assisting_department_ids:
        if action not in ("dispatch", "reassign"):
            raise InvalidInput("只有派遣或改派时可以指定协办部门", code="assist_not_allowed")
        assisting = [
            _department(session, department_id, actor=actor)
            for department_id in dict.fromkeys(data.assisting_department_ids)
        ]
        if payload.get("department_id") in {d.id for d in assisting}:
            raise InvalidInput("主办部门不能同时作为协办部门", code="assist_is_primary")
        payload["assisting"] = [{"id": d.id, "name": d.name} for d in assisting]
    if data.category_code is not None:
        category = repository.get_category(session, data.category_code)
        if category is None or not category.is_active or category.parent_code is None:
            raise InvalidInput(
                f"事件类别 {data.category_code} 不是有效的小类", code="unknown_category"
            )
        payload["category_code"] = category.code
        payload["category"] = category.name
    if data.media_ids:
        # In the step data, so the timeline shows them and a transition may require them.
        payload["media_ids"] = list(data.media_ids)
    if action == "escalate" and event.level == Level.DISTRICT:
        raise InvalidInput("已是区级事件，无法再升级", code="already_top_level")
    _check_case_rules(session, event, action, actor)
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
    media.attach(
        session,
        data.media_ids,
        subject_type=SUBJECT,
        subject_id=event.id,
        region_path=event.region_path,
        role=MEDIA_ROLES.get(action, action),
        actor=actor,
        step=moved.step.seq,
    )
    if action == "assist_feedback":
        _record_assist_feedback(session, event, moved.step, actor)
    _after(session, event, moved, payload)
    _tell_routing(session, event, action, department_code, returning_department, data, actor)
    return event


def _tell_routing(
    session: Session,
    event: Event,
    action: str,
    department_code: str | None,
    returning_department: int | None,
    data: ActionIn,
    actor: Actor,
) -> None:
    """Where a case went, and a department's 退回, are what routing learns from."""
    if action in ("dispatch", "reassign") and department_code is not None:
        routing.note_dispatch(
            session,
            SUBJECT,
            event.id,
            department_code,
            by_operator=actor.id is not None,
            proposal=lambda: propose(session, event),
        )
    elif action == "return" and returning_department is not None:
        codes = {d.id: code for code, d in orgs.department_directory(session).items()}
        if returning_department in codes:
            routing.note_return(
                session, SUBJECT, event.id, codes[returning_department], data.comment or ""
            )


# The role photos and videos take by the action they come with (others: the action's name).
MEDIA_ROLES = {"self_settle": "after", "feedback": "feedback", "assist_feedback": "feedback"}


def _record_assist_feedback(
    session: Session, event: Event, step: WorkflowStep, actor: Actor
) -> None:
    departments = _acts_for_department(actor) or ()
    for assist in repository.assists_of(session, event.id):
        if assist.status == AssistStatus.ASSIGNED and assist.department_id in departments:
            assist.status = AssistStatus.FED_BACK.value
            assist.feedback = step.comment
            assist.fed_back_at = step.at
            assist.fed_back_by = step.actor_username


def _assign_assists(
    session: Session, event: Event, assisting: list[dict[str, Any]], at: datetime
) -> None:
    """Add the assisting departments a dispatch names; ones already assisting keep their
    feedback."""
    current = repository.assists_of(session, event.id)
    for assist in current:
        if assist.department_id == event.department_id and assist.status == AssistStatus.ASSIGNED:
            # Reassigned to a department that was assisting: it now leads and owes no assist.
            assist.status = AssistStatus.FED_BACK.value
            assist.feedback = "（已改为主办单位）"
            assist.fed_back_at = at
    have = {a.department_id for a in current}
    repository.add_assists(
        session,
        [
            EventAssist(event_id=event.id, department_id=d["id"], assigned_at=at)
            for d in assisting
            if d["id"] not in have and d["id"] != event.department_id
        ],
    )


def drawn_for_check(code: str) -> bool:
    """Whether a case settled on the spot is drawn for a check: a stable draw from its code,
    so the same case is always drawn the same way, at the configured share."""
    share = get_settings().self_settle_check_share
    draw = int.from_bytes(hashlib.sha256(code.encode()).digest()[:4], "big") / 2**32
    return draw < share


def _department(session: Session, department_id: int, *, actor: Actor) -> Organisation:
    department = orgs.get_organisation(session, department_id, actor=actor)
    if not orgs.is_department(department):
        raise InvalidInput("只能派遣给区直部门", code="not_a_department")
    return department


# What only the primary (主办) department's handlers may do on a case they lead; assisting
# (协办) departments see the case too but only feed back on their part.
PRIMARY_ONLY = frozenset({"receive", "return", "request_extension", "feedback", "escalate"})


def _acts_for_department(actor: Actor) -> tuple[int, ...] | None:
    return actor.scope.department_ids


def _check_case_rules(session: Session, event: Event, action: str, actor: Actor) -> None:
    """Rules that depend on the case itself, beyond the workflow's role and state checks."""
    departments = _acts_for_department(actor)
    if (
        action in PRIMARY_ONLY
        and departments is not None
        and event.department_id not in departments
    ):
        raise PermissionDenied("只有主办部门可以办理此动作", code="not_primary_handler")
    if action == "assist_feedback":
        mine = [
            a
            for a in repository.assists_of(session, event.id)
            if departments is None or a.department_id in departments
        ]
        if departments is None or not mine:
            raise PermissionDenied("只有协办部门可以提交协办反馈", code="not_assisting")
        if all(a.status == AssistStatus.FED_BACK for a in mine):
            raise InvalidInput("本部门已提交过协办反馈", code="already_fed_back")
    if action == "feedback":
        pending = [
            a for a in repository.assists_of(session, event.id) if a.status != AssistStatus.FED_BACK
        ]
        if pending:
            names = orgs.names_of(session, [a.department_id for a in pending])
            raise InvalidInput(
                f"协办部门尚未反馈：{'、'.join(names.values())}",
                code="assists_pending",
                departments=list(names.values()),
            )
    if action in ("spot_check_pass", "spot_check_fail") and event.spot_check != "pending":
        raise InvalidInput("该案件不在抽查范围内或已抽查", code="not_drawn_for_check")


LEVEL_ORDER = [Level.GRID, Level.COMMUNITY, Level.STREET, Level.DISTRICT]


def _after(session: Session, event: Event, moved: workflow.Moved, payload: dict[str, Any]) -> None:
    """What an action changes on the case beyond its state."""
    action, at = moved.step.action, moved.step.at
    extra = dict(event.extra)
    if action in ("dispatch", "reassign"):
        event.department_id = payload["department_id"]
        event.level = Level.DISTRICT.value
        _assign_assists(session, event, payload.get("assisting", []), at)
    elif action == "classify":
        event.category_code = payload["category_code"]
        event.classified_by = "operator"
        category = repository.get_category(session, event.category_code)
        assert category is not None
        hours = category.time_limit_hours * URGENCY_FACTOR[Urgency(event.urgency)]
        set_deadline(event, calendar().add_working_hours(event.created_at, hours))
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
        if drawn_for_check(event.code):
            event.spot_check = "pending"
    elif action == "spot_check_pass":
        event.spot_check = "passed"
    elif action == "spot_check_fail":
        event.spot_check = "failed"
    elif action == "rate":
        extra["satisfaction"] = payload["satisfaction"]
    if moved.instance.state == "closed" and moved.step.from_state != "closed":
        event.closed_at = at
    elif moved.instance.state not in ("closed", "rated") and event.closed_at is not None:
        # Reopened, failed a spot check: the case is open again (rating keeps it closed).
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


@dataclass(frozen=True)
class FieldWork:
    """When each account reported cases, and when it settled its own reports on the spot."""

    reported: dict[int, list[datetime]]
    settled: dict[int, list[datetime]]


def field_work(
    session: Session, user_ids: list[int], start: datetime, end: datetime, *, actor: Actor
) -> FieldWork:
    """Cases reported and settled on the spot (自办结) by these accounts in [start, end), in
    the reader's scope: the events part of the grid workers' daily report."""
    actor.require(Perm.EVENTS_READ)
    reported, settled = repository.field_work(session, actor.scope, user_ids, start, end)
    by_reporter: dict[int, list[datetime]] = {}
    by_settler: dict[int, list[datetime]] = {}
    for user_id, at in reported:
        by_reporter.setdefault(user_id, []).append(at)
    for user_id, at in settled:
        by_settler.setdefault(user_id, []).append(at)
    return FieldWork(by_reporter, by_settler)

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.events import services
from gridgov.events.models import Event, Source, Urgency
from gridgov.events.schemas import ActionIn, CategoryOut, EventDetail, EventIn, EventOut
from gridgov.http import ActorDep, SessionDep
from gridgov.kit.clock import now
from gridgov.kit.pagination import Page, PageParams, page_params
from gridgov.workflow.schemas import ActionOut, StepOut

router = APIRouter(prefix="/api/v1", tags=["events"])
Text = Annotated[str | None, Query(max_length=100)]


def event_out(
    event: Event, version: int, names: dict[str, str], labels: dict[str, str]
) -> EventOut:
    parts = [p for p in event.region_path.split("/") if p]
    return EventOut(
        id=event.id,
        code=event.code,
        title=event.title,
        description=event.description,
        category_code=event.category_code,
        category_name=names.get(event.category_code, ""),
        source=Source(event.source),
        urgency=Urgency(event.urgency),
        status=event.status,
        status_label=labels.get(event.status, event.status),
        level=event.level,
        grid_code=parts[-1],
        community_code=parts[-2] if len(parts) >= 2 else None,
        street_code=parts[-3] if len(parts) >= 3 else None,
        special_grids=list(event.special_grids or []),
        lon=event.lon,
        lat=event.lat,
        address=event.address,
        department_id=event.department_id,
        deadline_at=event.deadline_at,
        overdue=event.closed_at is None
        and event.status not in ("voided",)
        and event.deadline_at < now(),
        created_at=event.created_at,
        closed_at=event.closed_at,
        version=version,
        classified_by=event.classified_by,
        sla=services.sla_flag(event, now()),
    )


def _category_names(session: Session, actor: Actor) -> dict[str, str]:
    return {c.code: c.name for c in services.list_categories(session, actor=actor)}


def event_detail(session: Session, event: Event, actor: Actor) -> EventDetail:
    view = services.case_view(session, event, actor=actor)
    base = event_out(event, view.instance.version, _category_names(session, actor), view.labels)
    return EventDetail(
        **base.model_dump(),
        timeline=[
            StepOut(
                seq=s.seq,
                action=s.action,
                label=view.labels.get(s.action, s.action),
                from_state=s.from_state,
                to_state=s.to_state,
                actor_username=s.actor_username,
                actor_role=s.actor_role,
                at=s.at,
                comment=s.comment,
                data=s.data,
            )
            for s in view.steps
        ],
        actions=[
            ActionOut(action=t.action, label=t.label, to=t.to, required=t.required)
            for t in view.actions
        ],
    )


@router.post(
    "/events",
    response_model=EventDetail,
    status_code=201,
    summary="上报事件（各渠道统一入口）",
    responses={200: {"description": "同一 Idempotency-Key 的重复提交，返回首次创建的事件"}},
)
def report_event(
    data: EventIn,
    session: SessionDep,
    actor: ActorDep,
    idempotency_key: Annotated[
        str | None, Header(max_length=100, description="retry-safe key chosen by the client")
    ] = None,
) -> EventDetail | JSONResponse:
    event, created = services.intake(session, data, actor=actor, idempotency_key=idempotency_key)
    detail = event_detail(session, event, actor)
    if not created:
        return JSONResponse(detail.model_dump(mode="json"), status_code=200)
    return detail


@router.get("/events", response_model=Page[EventOut], summary="事件列表")
def list_events(
    session: SessionDep,
    actor: ActorDep,
    page: Annotated[PageParams, Depends(page_params)],
    status: Text = None,
    category_code: Text = None,
    source: Text = None,
    region_code: Text = None,
    department_id: int | None = None,
    level: Text = None,
    overdue: bool = False,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    q: Text = None,
) -> Page[EventOut]:
    rows, total = services.list_events(
        session,
        actor=actor,
        status=status,
        category_code=category_code,
        source=source,
        region_code=region_code,
        department_id=department_id,
        level=level,
        overdue=overdue,
        created_from=created_from,
        created_to=created_to,
        query=q,
        page=page,
    )
    versions = services.versions(session, rows)
    names = _category_names(session, actor)
    labels = services.state_labels(session)
    return Page.of(
        [event_out(e, versions[e.id], names, labels) for e in rows],
        total,
        page,
        cap=services.LIST_COUNT_CAP,
    )


@router.get("/events/{event_id}", response_model=EventDetail, summary="事件详情与处置时间线")
def get_event(event_id: int, session: SessionDep, actor: ActorDep) -> EventDetail:
    return event_detail(session, services.get_event(session, event_id, actor=actor), actor)


@router.post(
    "/events/{event_id}/actions/{action}",
    response_model=EventDetail,
    summary="办理动作（受理、派遣、签收、退回、反馈、核查、评价……）",
    responses={409: {"description": "version 已过期：他人已先办理"}},
)
def act(
    event_id: int, action: str, data: ActionIn, session: SessionDep, actor: ActorDep
) -> EventDetail:
    event = services.act(session, event_id, action, data, actor=actor)
    return event_detail(session, event, actor)


@router.get("/event-categories", response_model=list[CategoryOut], summary="事件类别")
def list_categories(session: SessionDep, actor: ActorDep) -> list[CategoryOut]:
    return [
        CategoryOut.model_validate(c, from_attributes=True)
        for c in services.list_categories(session, actor=actor)
    ]

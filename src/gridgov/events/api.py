from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.db import unit_of_work
from gridgov.events import dispatching, export, services
from gridgov.events.models import AssistStatus, Event, Source, Urgency
from gridgov.events.repository import EventFilter
from gridgov.events.schemas import (
    ActionIn,
    AssistOut,
    BulkActionIn,
    BulkOut,
    BulkResult,
    CategoryOut,
    DuplicateOut,
    EventDetail,
    EventIn,
    EventOut,
)
from gridgov.http import ActorDep, SessionDep, in_shared_transaction
from gridgov.kit.clock import now
from gridgov.kit.errors import AppError
from gridgov.kit.pagination import Page, PageParams, page_params
from gridgov.media import services as media
from gridgov.media.schemas import MediaOut
from gridgov.routing.schemas import CandidateOut, RecommendationOut
from gridgov.workflow.schemas import ActionOut, StepOut

router = APIRouter(prefix="/api/v1", tags=["events"])
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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


def event_detail(
    session: Session, event: Event, actor: Actor, *, with_media: bool = True
) -> EventDetail:
    """A case with its timeline, actions, assists, duplicates and media; ``with_media=False``
    when the caller knows it has none (a report sent without any)."""
    view = services.case_view(session, event, actor=actor)
    name = services.category_name(session, event.category_code, actor=actor)
    base = event_out(event, view.instance.version, {event.category_code: name}, view.labels)
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
        assists=[
            AssistOut(
                department_id=a.assist.department_id,
                department=a.department,
                status=AssistStatus(a.assist.status).value,
                feedback=a.assist.feedback,
                fed_back_at=a.assist.fed_back_at,
            )
            for a in view.assists
        ],
        duplicates=[
            DuplicateOut(
                id=other.id,
                code=other.code,
                title=other.title,
                status=other.status,
                distance_m=round(distance, 1),
                lon=other.lon,
                lat=other.lat,
                created_at=other.created_at,
            )
            for other, distance in view.duplicates
        ],
        spot_check=event.spot_check,
        media=[
            MediaOut.of(m)
            for m in media.for_subject(session, services.SUBJECT, event.id, actor=actor)
        ]
        if with_media
        else [],
    )


@router.post(
    "/events",
    response_model=EventDetail,
    status_code=201,
    summary="上报事件（各渠道统一入口）",
    responses={200: {"description": "同一 Idempotency-Key 的重复提交，返回首次创建的事件"}},
)
async def report_event(
    request: Request,
    data: EventIn,
    idempotency_key: Annotated[
        str | None, Header(max_length=100, description="retry-safe key chosen by the client")
    ] = None,
) -> EventDetail | JSONResponse:
    def report(session: Session, actor: Actor) -> tuple[EventDetail, bool]:
        event, created = services.intake(
            session, data, actor=actor, idempotency_key=idempotency_key
        )
        with_media = bool(data.media_ids) or not created
        return event_detail(session, event, actor, with_media=with_media), created

    # Every channel's reports come here: reports arriving together share one commit.
    detail, created = await in_shared_transaction(request, report)
    if not created:
        return JSONResponse(detail.model_dump(mode="json"), status_code=200)
    return detail


@dataclass(frozen=True)
class ListQuery:
    """The filters every case list takes (the list, the export, the workbench)."""

    status: str | None = None
    category_code: str | None = None
    source: str | None = None
    region_code: str | None = None
    department_id: int | None = None
    level: str | None = None
    overdue: bool = False
    created_from: datetime | None = None
    created_to: datetime | None = None
    q: str | None = None
    spot_check: str | None = None
    assist_pending: bool = False

    def to_filter(self, session: Session, actor: Actor) -> EventFilter:
        return services.event_filter(
            session,
            actor=actor,
            status=self.status,
            category_code=self.category_code,
            source=self.source,
            region_code=self.region_code,
            department_id=self.department_id,
            level=self.level,
            overdue=self.overdue,
            created_from=self.created_from,
            created_to=self.created_to,
            query=self.q,
            spot_check=self.spot_check,
            assist_pending=self.assist_pending,
        )


async def list_query(  # async: FastAPI would run a plain def in a worker thread
    status: Text = None,
    category_code: Text = None,
    source: Text = None,
    region_code: Text = None,
    department_id: int | None = None,
    level: Text = None,
    overdue: bool = False,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    q: Annotated[str | None, Query(max_length=100, description="标题、编号或地址")] = None,
    spot_check: Annotated[
        Literal["pending", "passed", "failed"] | None, Query(description="自办结抽查")
    ] = None,
    assist_pending: Annotated[bool, Query(description="本部门待协办反馈")] = False,
) -> ListQuery:
    return ListQuery(
        status,
        category_code,
        source,
        region_code,
        department_id,
        level,
        overdue,
        created_from,
        created_to,
        q,
        spot_check,
        assist_pending,
    )


ListQueryDep = Annotated[ListQuery, Depends(list_query)]


@router.get("/events", response_model=Page[EventOut], summary="事件列表")
def list_events(
    session: SessionDep,
    actor: ActorDep,
    page: Annotated[PageParams, Depends(page_params)],
    query: ListQueryDep,
) -> Page[EventOut]:
    rows, total = services.search_events(
        session, query.to_filter(session, actor), actor=actor, page=page
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


@router.get(
    "/events/export",
    summary="导出事件列表（CSV 或 XLSX，筛选条件同列表）",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}, XLSX_TYPE: {}}},
        422: {"description": "超过导出上限（export_too_large）"},
    },
)
def export_events(
    session: SessionDep,
    actor: ActorDep,
    query: ListQueryDep,
    format: Annotated[Literal["csv", "xlsx"], Query(description="文件格式")] = "csv",
) -> Response:
    rows = services.export_events(session, query.to_filter(session, actor), actor=actor)
    table = export.case_rows(rows, _category_names(session, actor), services.state_labels(session))
    body = export.to_xlsx(table) if format == "xlsx" else export.to_csv(table)
    stamp = f"{now():%Y%m%d%H%M%S}"
    return Response(
        body,
        media_type=XLSX_TYPE if format == "xlsx" else "text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="events-{stamp}.{format}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/events/{event_id}", response_model=EventDetail, summary="事件详情与处置时间线")
def get_event(event_id: int, session: SessionDep, actor: ActorDep) -> EventDetail:
    return event_detail(session, services.get_event(session, event_id, actor=actor), actor)


@router.get(
    "/events/{event_id}/routing",
    response_model=RecommendationOut,
    summary="推荐转办：建议的主办部门（前三）、置信度与依据",
)
def routing_recommendation(
    event_id: int, session: SessionDep, actor: ActorDep
) -> RecommendationOut:
    found = dispatching.recommendation(session, event_id, actor=actor)
    decision = found.decision
    return RecommendationOut(
        mode=decision.mode,
        decided_by=decision.decided_by,
        reason=decision.reason,
        recorded=found.recorded,
        candidates=[
            CandidateOut(
                department_id=found.department_ids.get(c.department_code),
                department_code=c.department_code,
                department_name=c.department_name,
                confidence=c.confidence,
                reason=c.reason,
            )
            for c in decision.candidates
        ],
        rule_set_version=decision.rule_set_version,
        rule_id=decision.rule_id,
        model_version=decision.model_version,
        confidence=decision.confidence,
        overridden=found.overridden,
        returned=found.returned,
        responsible_unit=found.responsible_unit,
    )


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


@router.post(
    "/events/bulk-actions",
    response_model=BulkOut,
    summary="批量办理（每件案件各自成败，互不影响）",
)
def bulk_act(data: BulkActionIn, request: Request, actor: ActorDep) -> BulkOut:
    results: list[BulkResult] = []
    fields = data.model_dump(exclude={"action", "items", "version"})
    for item in data.items:
        # Each case is its own transaction: one stale or refused case leaves the others done.
        try:
            with unit_of_work(request.app.state.engine) as session:
                event = services.act(
                    session,
                    item.id,
                    data.action,
                    ActionIn(version=item.version, **fields),
                    actor=actor,
                )
                version = services.versions(session, [event])[event.id]
                results.append(
                    BulkResult(id=item.id, ok=True, status=event.status, version=version)
                )
        except AppError as error:
            results.append(
                BulkResult(id=item.id, ok=False, error_code=error.code, message=error.message)
            )
    succeeded = sum(r.ok for r in results)
    return BulkOut(
        action=data.action,
        succeeded=succeeded,
        failed=len(results) - succeeded,
        results=results,
    )

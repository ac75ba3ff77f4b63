from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from gridgov.http import ActorDep, SessionDep, SettingsDep
from gridgov.kit.pagination import Page, PageParams, page_params
from gridgov.media.schemas import MediaOut
from gridgov.registry.services import grid_code
from gridgov.visits import services
from gridgov.visits.models import Visit, VisitKind
from gridgov.visits.schemas import DueMemberOut, VisitDetail, VisitIn, VisitOut

router = APIRouter(prefix="/api/v1", tags=["visits"])


def visit_out(visit: Visit) -> VisitOut:
    return VisitOut(
        id=visit.id,
        client_id=visit.client_id,
        user_id=visit.user_id,
        user_name=visit.user_name,
        household_id=visit.household_id,
        member_id=visit.member_id,
        kind=VisitKind(visit.kind),
        kind_label=services.kind_label(visit.kind),
        visited_at=visit.visited_at,
        summary=visit.summary,
        findings=visit.findings,
        lon=visit.lon,
        lat=visit.lat,
        grid_code=grid_code(visit.region_path),
        media_ids=list(visit.media_ids or []),
        created_at=visit.created_at,
    )


def _local_day_start(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(timezone))


@router.post(
    "/visits",
    response_model=VisitDetail,
    status_code=201,
    summary="登记入户走访（client_id 相同的重复提交只记一次）",
    responses={200: {"description": "同一 client_id 的重复提交，返回首次登记的走访"}},
)
def record_visit(data: VisitIn, session: SessionDep, actor: ActorDep) -> VisitDetail | JSONResponse:
    visit, created = services.record_visit(session, data, actor=actor)
    detail = VisitDetail(
        **visit_out(visit).model_dump(),
        media=[MediaOut.of(m) for m in services.attachments(session, visit, actor=actor)],
    )
    if not created:
        return JSONResponse(detail.model_dump(mode="json"), status_code=200)
    return detail


@router.get("/visits", response_model=Page[VisitOut], summary="走访记录列表")
def list_visits(
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    page: Annotated[PageParams, Depends(page_params)],
    user_id: int | None = None,
    household_id: int | None = None,
    member_id: int | None = None,
    kind: VisitKind | None = None,
    date_from: Annotated[date | None, Query(description="本地日期（含）")] = None,
    date_to: Annotated[date | None, Query(description="本地日期（含）")] = None,
) -> Page[VisitOut]:
    rows, total = services.list_visits(
        session,
        actor=actor,
        user_id=user_id,
        household_id=household_id,
        member_id=member_id,
        kind=kind.value if kind else None,
        visited_from=_local_day_start(date_from, settings.timezone) if date_from else None,
        visited_to=(
            _local_day_start(date_to + timedelta(days=1), settings.timezone) if date_to else None
        ),
        page=page,
    )
    return Page.of([visit_out(v) for v in rows], total, page, cap=services.LIST_COUNT_CAP)


@router.get(
    "/visits/due",
    response_model=Page[DueMemberOut],
    summary="应走访的特殊人群（姓名脱敏，逾期最久的在前）",
)
def due_visits(
    session: SessionDep,
    actor: ActorDep,
    page: Annotated[PageParams, Depends(page_params)],
    region_code: Annotated[str | None, Query(max_length=40)] = None,
) -> Page[DueMemberOut]:
    found = services.due_members(session, actor=actor, region_code=region_code, page=page)
    return Page.of(found.items, found.total, page)


@router.get("/visits/{visit_id}", response_model=VisitDetail, summary="走访记录详情")
def get_visit(visit_id: int, session: SessionDep, actor: ActorDep) -> VisitDetail:
    visit = services.get_visit(session, visit_id, actor=actor)
    return VisitDetail(
        **visit_out(visit).model_dump(),
        media=[MediaOut.of(m) for m in services.attachments(session, visit, actor=actor)],
    )

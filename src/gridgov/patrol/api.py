"""Patrol endpoints: the worker app's start, fixes, stop and duty; reads of patrols."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from gridgov.http import ActorDep, SessionDep
from gridgov.kit.pagination import Page, PageParams, page_params
from gridgov.patrol import services
from gridgov.patrol.models import Patrol
from gridgov.patrol.schemas import (
    DutyIn,
    DutyOut,
    PatrolOut,
    PatrolStart,
    PatrolStopIn,
    PointsIn,
    PointsResult,
    StopOut,
)

router = APIRouter(prefix="/api/v1", tags=["patrol"])


def patrol_out(patrol: Patrol, figures: services.Figures, name: str) -> PatrolOut:
    return PatrolOut(
        id=patrol.id,
        client_id=patrol.client_id,
        user_id=patrol.user_id,
        worker_name=name,
        grid_code=patrol.grid_code,
        started_at=patrol.started_at,
        ended_at=patrol.ended_at,
        status="open" if patrol.status == "open" else "closed",
        closed_by=patrol.closed_by,
        distance_m=figures.distance_m,
        duration_s=figures.duration_s,
        moving_s=figures.moving_s,
        stops=[
            StopOut(lon=s["lon"], lat=s["lat"], from_=s["from"], to=s["to"], seconds=s["seconds"])
            for s in figures.stops
        ],
        coverage=figures.coverage,
        point_count=figures.point_count,
        kept_count=figures.kept_count,
        dropped_count=figures.dropped_count,
        live=patrol.status == "open",
    )


def patrols_out(session: SessionDep, patrols: list[Patrol]) -> list[PatrolOut]:
    figures = services.live_figures(session, patrols)
    names = services.worker_names(session, [p.user_id for p in patrols])
    return [patrol_out(p, figures[p.id], names.get(p.user_id, "")) for p in patrols]


@router.post(
    "/patrols",
    response_model=PatrolOut,
    status_code=201,
    summary="开始巡查（client_id 重复提交返回同一条，200）",
)
def start_patrol(
    data: PatrolStart, response: Response, session: SessionDep, actor: ActorDep
) -> PatrolOut:
    patrol, created = services.start_patrol(session, data, actor=actor)
    if not created:
        response.status_code = 200
    return patrols_out(session, [patrol])[0]


@router.post(
    "/patrols/{patrol_id}/points",
    response_model=PointsResult,
    summary="上传轨迹点（每批最多 2000 个；同一时刻的点只存一次）",
)
def add_points(
    patrol_id: int, data: PointsIn, session: SessionDep, actor: ActorDep
) -> PointsResult:
    return services.add_points(session, patrol_id, data, actor=actor)


@router.post("/patrols/{patrol_id}/stop", response_model=PatrolOut, summary="结束巡查")
def stop_patrol(
    patrol_id: int, session: SessionDep, actor: ActorDep, data: PatrolStopIn | None = None
) -> PatrolOut:
    patrol = services.stop_patrol(session, patrol_id, data or PatrolStopIn(), actor=actor)
    return patrols_out(session, [patrol])[0]


@router.get("/patrols", response_model=Page[PatrolOut], summary="巡查记录")
def list_patrols(
    session: SessionDep,
    actor: ActorDep,
    page: Annotated[PageParams, Depends(page_params)],
    user_id: int | None = None,
    day: Annotated[date | None, Query(alias="date", description="本地日期 YYYY-MM-DD")] = None,
) -> Page[PatrolOut]:
    patrols, total = services.list_patrols(
        session, actor=actor, user_id=user_id, day=day, page=page
    )
    return Page.of(patrols_out(session, patrols), total, page)


@router.get("/patrols/{patrol_id}", response_model=PatrolOut, summary="巡查详情")
def get_patrol(patrol_id: int, session: SessionDep, actor: ActorDep) -> PatrolOut:
    return patrols_out(session, [services.get_patrol(session, patrol_id, actor=actor)])[0]


@router.post("/workers/me/duty", response_model=DutyOut, summary="上岗签到 / 下岗签退")
def set_duty(data: DutyIn, session: SessionDep, actor: ActorDep) -> DutyOut:
    status = services.set_duty(session, data, actor=actor)
    cutoff = services.duty_cutoff()
    return DutyOut(
        user_id=status.user_id,
        on_duty=services.is_on_duty(status, cutoff),
        checked_in=bool(status.on_duty),
        open_patrol_id=status.open_patrol_id,
        last_seen_at=status.last_seen_at,
    )

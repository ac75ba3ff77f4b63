"""Worker management endpoints (网格员管理): roster, positions, nearest, details, daily
reports and the track replay of a day."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from gridgov.http import ActorDep, SessionDep
from gridgov.kit.pagination import Page, PageParams, page_params
from gridgov.patrol import services as patrol
from gridgov.workers import services
from gridgov.workers.schemas import DailyReport, NearbyWorker, WorkerDetail, WorkerOut

router = APIRouter(prefix="/api/v1", tags=["workers"])

DayQuery = Annotated[date | None, Query(alias="date", description="本地日期 YYYY-MM-DD，默认今天")]


@router.get("/workers", response_model=Page[WorkerOut], summary="网格员花名册")
def roster(
    session: SessionDep,
    actor: ActorDep,
    page: Annotated[PageParams, Depends(page_params)],
    region_code: Annotated[str | None, Query(max_length=32)] = None,
    on_duty: bool | None = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[WorkerOut]:
    views, total = services.roster(
        session, actor=actor, region_code=region_code, on_duty=on_duty, q=q, page=page
    )
    return Page.of([v.out() for v in views], total, page)


@router.get("/workers/nearest", response_model=list[NearbyWorker], summary="附近在岗网格员")
def nearest(
    session: SessionDep,
    actor: ActorDep,
    lon: float,
    lat: float,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    on_duty: bool = True,
    crs: Annotated[str, Query(pattern="^(wgs84|gcj02|bd09)$")] = "wgs84",
) -> list[NearbyWorker]:
    return services.nearest(
        session,
        lon,
        lat,
        actor=actor,
        crs="gcj02" if crs == "gcj02" else "bd09" if crs == "bd09" else "wgs84",
        limit=limit,
        on_duty=on_duty,
    )


@router.get("/workers/positions", summary="网格员实时位置（GeoJSON）")
def positions(session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    return services.positions(session, actor=actor)


@router.get("/workers/{user_id}", response_model=WorkerDetail, summary="网格员详情")
def worker(user_id: int, session: SessionDep, actor: ActorDep) -> WorkerDetail:
    view = services.worker(session, user_id, actor=actor)
    return WorkerDetail(**view.fields(), history=services.history(session, user_id, actor=actor))


@router.get("/workers/{user_id}/track", summary="轨迹回放：某日的轨迹点、停留点与统计")
def track(
    user_id: int, session: SessionDep, actor: ActorDep, day: DayQuery = None
) -> dict[str, Any]:
    return services.track(session, user_id, day or patrol.today(), actor=actor)


@router.get("/workers/{user_id}/daily-report", response_model=DailyReport, summary="网格员工作日报")
def daily_report(
    user_id: int, session: SessionDep, actor: ActorDep, day: DayQuery = None
) -> DailyReport:
    return services.daily_report(session, user_id, day or patrol.today(), actor=actor)

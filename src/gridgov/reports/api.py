"""专题研判 API: saved analysis views and the weekly, monthly and per-view reports."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query
from fastapi.responses import Response

from gridgov.http import ActorDep, SessionDep
from gridgov.reports import services
from gridgov.reports.models import PERIOD_PRESETS
from gridgov.reports.schemas import ViewIn, ViewOut, ViewPatch

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def page_url(info: services.ViewInfo) -> str:
    """The 分析研判 page with the view's filters (its preset resolved to today's dates)."""
    view = info.view
    params = {
        "region_code": view.region_code,
        "start": info.first,
        "end": info.last,
        "category_code": view.category_code,
        "source": view.source,
        "view": view.id,
    }
    return "/analytics?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


def view_out(info: services.ViewInfo) -> ViewOut:
    view = info.view
    base = f"/api/v1/analytics/views/{view.id}/report"
    return ViewOut(
        id=view.id,
        name=view.name,
        description=view.description,
        shared=view.shared,
        owner_id=view.owner_id,
        owner_name=view.owner_name,
        mine=info.mine,
        region_code=view.region_code,
        region_name=info.region_name,
        preset=view.preset,
        preset_label=PERIOD_PRESETS.get(view.preset or ""),
        start=view.start,
        end=view.end,
        period_start=info.first,
        period_end=info.last,
        category_code=view.category_code,
        source=view.source,
        department_id=view.department_id,
        panels=list(view.panels),
        indicators=list(view.indicators),
        page_url=page_url(info),
        report_pdf=base + ".pdf",
        report_xlsx=base + ".xlsx",
        created_at=view.created_at,
        updated_at=view.updated_at,
    )


def file_response(body: bytes, fmt: str, stem: str) -> Response:
    name = quote(f"{stem}.{fmt}")
    return Response(
        body,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"report.{fmt}\"; filename*=UTF-8''{name}"
            ),
            "Cache-Control": "no-store",
        },
    )


@router.get("/views", response_model=list[ViewOut])
def list_views(session: SessionDep, actor: ActorDep) -> list[ViewOut]:
    """The reader's own views and the views shared inside their area."""
    return [view_out(v) for v in services.list_views(session, actor=actor)]


@router.post("/views", response_model=ViewOut, status_code=201)
def create_view(data: ViewIn, session: SessionDep, actor: ActorDep) -> ViewOut:
    return view_out(services.create_view(session, data, actor=actor))


@router.get("/views/{view_id}", response_model=ViewOut)
def get_view(view_id: int, session: SessionDep, actor: ActorDep) -> ViewOut:
    return view_out(services.get_view(session, view_id, actor=actor))


@router.patch("/views/{view_id}", response_model=ViewOut)
def update_view(view_id: int, data: ViewPatch, session: SessionDep, actor: ActorDep) -> ViewOut:
    return view_out(services.update_view(session, view_id, data, actor=actor))


@router.delete("/views/{view_id}", status_code=204)
def delete_view(view_id: int, session: SessionDep, actor: ActorDep) -> Response:
    services.delete_view(session, view_id, actor=actor)
    return Response(status_code=204)


def _view_report(view_id: int, fmt: str, session: SessionDep, actor: ActorDep) -> Response:
    report = services.view_report(session, view_id, actor=actor)
    body = services.render_report(session, report, fmt, actor=actor)
    return file_response(body, fmt, report.file_stem)


@router.get(
    "/views/{view_id}/report.pdf",
    summary="专题报告（PDF）",
    response_class=Response,
    responses={200: {"content": {MEDIA_TYPES["pdf"]: {}}}},
)
def view_report_pdf(view_id: int, session: SessionDep, actor: ActorDep) -> Response:
    return _view_report(view_id, "pdf", session, actor)


@router.get(
    "/views/{view_id}/report.xlsx",
    summary="专题报告（XLSX）",
    response_class=Response,
    responses={200: {"content": {MEDIA_TYPES["xlsx"]: {}}}},
)
def view_report_xlsx(view_id: int, session: SessionDep, actor: ActorDep) -> Response:
    return _view_report(view_id, "xlsx", session, actor)


PeriodParam = Annotated[
    Literal["week", "month"],
    Query(description="week：上一个完整自然周（周一至周日）；month：上一个完整自然月"),
]
RegionParam = Annotated[str | None, Query(max_length=40, description="区域编码；默认本人管辖范围")]
StartParam = Annotated[date | None, Query(description="自定义时段开始（与 end 同给时代替 period）")]
EndParam = Annotated[date | None, Query(description="自定义时段结束（含）")]
CategoryParam = Annotated[str | None, Query(max_length=20)]
SourceParam = Annotated[str | None, Query(max_length=20)]
DepartmentParam = Annotated[int | None, Query(ge=0)]


def _report(
    fmt: str,
    session: SessionDep,
    actor: ActorDep,
    period: str,
    region_code: str | None,
    start: date | None,
    end: date | None,
    category_code: str | None,
    source: str | None,
    department_id: int | None,
) -> Response:
    report = services.build_report(
        session,
        actor=actor,
        kind=period,
        region_code=region_code,
        start=start,
        end=end,
        category_code=category_code or None,
        source=source or None,
        department_id=department_id,
    )
    body = services.render_report(session, report, fmt, actor=actor)
    return file_response(body, fmt, report.file_stem)


@router.get(
    "/report.pdf",
    summary="周报、月报或自定义时段报告（PDF）",
    response_class=Response,
    responses={200: {"content": {MEDIA_TYPES["pdf"]: {}}}},
)
def report_pdf(
    session: SessionDep,
    actor: ActorDep,
    period: PeriodParam = "week",
    region_code: RegionParam = None,
    start: StartParam = None,
    end: EndParam = None,
    category_code: CategoryParam = None,
    source: SourceParam = None,
    department_id: DepartmentParam = None,
) -> Response:
    return _report(
        "pdf", session, actor, period, region_code, start, end, category_code, source, department_id
    )


@router.get(
    "/report.xlsx",
    summary="周报、月报或自定义时段报告（XLSX，含图表）",
    response_class=Response,
    responses={200: {"content": {MEDIA_TYPES["xlsx"]: {}}}},
)
def report_xlsx(
    session: SessionDep,
    actor: ActorDep,
    period: PeriodParam = "week",
    region_code: RegionParam = None,
    start: StartParam = None,
    end: EndParam = None,
    category_code: CategoryParam = None,
    source: SourceParam = None,
    department_id: DepartmentParam = None,
) -> Response:
    return _report(
        "xlsx",
        session,
        actor,
        period,
        region_code,
        start,
        end,
        category_code,
        source,
        department_id,
    )

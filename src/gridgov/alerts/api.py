"""Early warning over HTTP: the alerts of your area, one with the cases behind it, acknowledge
and close, merge a recurrence into one root-cause case, the cases at risk of breaching their
deadline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.alerts import services
from gridgov.alerts.models import (
    ALERT_KIND_LABELS,
    ALERT_STATUS_LABELS,
    Alert,
    AlertKind,
    AlertStatus,
)
from gridgov.alerts.schemas import (
    AlertCaseOut,
    AlertCountsOut,
    AlertDetail,
    AlertNoteIn,
    AlertOut,
    RiskCaseOut,
    RootCaseIn,
    RootCaseOut,
)
from gridgov.http import ActorDep, SessionDep
from gridgov.kit.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/api/v1", tags=["alerts"])
Text = Annotated[str | None, Query(max_length=100)]


def alert_out(alert: Alert) -> AlertOut:
    return AlertOut(
        id=alert.id,
        kind=alert.kind,
        kind_label=ALERT_KIND_LABELS[AlertKind(alert.kind)],
        status=alert.status,
        status_label=ALERT_STATUS_LABELS[AlertStatus(alert.status)],
        title=alert.title,
        explanation=alert.explanation,
        region_path=alert.region_path,
        region_code=alert.region_path.rstrip("/").split("/")[-1],
        category_code=alert.category_code,
        department_id=alert.department_id,
        lon=alert.lon,
        lat=alert.lat,
        score=alert.score,
        window_start=alert.window_start,
        event_ids=list(alert.event_ids or []),
        details=dict(alert.details or {}),
        detected_at=alert.detected_at,
        updated_at=alert.updated_at,
        acknowledged_at=alert.acknowledged_at,
        acknowledged_by=alert.acknowledged_by,
        closed_at=alert.closed_at,
        closed_by=alert.closed_by,
        note=alert.note,
        root_event_id=alert.root_event_id,
        root_event_code=alert.root_event_code,
    )


def alert_detail(session: Session, alert: Alert, actor: Actor) -> AlertDetail:
    cases = services.alert_cases(session, alert, actor=actor)
    return AlertDetail(
        **alert_out(alert).model_dump(),
        cases=[
            AlertCaseOut(
                id=c.id,
                code=c.code,
                title=c.title,
                status=c.status,
                category_code=c.category_code,
                created_at=c.created_at,
                address=c.address,
            )
            for c in cases
        ],
    )


@router.get(
    "/alerts",
    response_model=Page[AlertOut],
    summary="预警列表（异常上升、反复发生、超期风险、走访逾期）",
)
def list_alerts(
    session: SessionDep,
    actor: ActorDep,
    page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[
        str | None, Query(max_length=20, description="open（默认）、acknowledged、closed 或 all")
    ] = "open",
    kind: Text = None,
    region_code: Text = None,
) -> Page[AlertOut]:
    rows, total = services.list_alerts(
        session, actor=actor, page=page, status=status, kind=kind, region_code=region_code
    )
    return Page.of([alert_out(a) for a in rows], total, page, cap=services.LIST_COUNT_CAP)


@router.get("/alerts/counts", response_model=AlertCountsOut, summary="各类待处理预警数")
def alert_counts(session: SessionDep, actor: ActorDep, region_code: Text = None) -> AlertCountsOut:
    return AlertCountsOut(
        counts=services.alert_counts(session, actor=actor, region_code=region_code)
    )


@router.get("/alerts/sla-risk", response_model=list[RiskCaseOut], summary="可能超期的在办案件")
def sla_risk(
    session: SessionDep,
    actor: ActorDep,
    region_code: Text = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> list[RiskCaseOut]:
    found = services.sla_risk_cases(session, actor=actor, region_code=region_code, limit=limit)
    return [RiskCaseOut(**vars(r)) for r in found]


@router.get("/alerts/{alert_id}", response_model=AlertDetail, summary="预警详情（说明与相关案件）")
def get_alert(alert_id: int, session: SessionDep, actor: ActorDep) -> AlertDetail:
    return alert_detail(session, services.get_alert(session, alert_id, actor=actor), actor)


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertOut, summary="签收预警")
def acknowledge_alert(
    alert_id: int, data: AlertNoteIn, session: SessionDep, actor: ActorDep
) -> AlertOut:
    return alert_out(services.acknowledge_alert(session, alert_id, data.note, actor=actor))


@router.post(
    "/alerts/{alert_id}/close", response_model=AlertOut, summary="关闭预警（说明处置情况）"
)
def close_alert(alert_id: int, data: AlertNoteIn, session: SessionDep, actor: ActorDep) -> AlertOut:
    return alert_out(services.close_alert(session, alert_id, data.note, actor=actor))


@router.post(
    "/alerts/{alert_id}/root-case",
    response_model=RootCaseOut,
    status_code=201,
    summary="合并为根源案件（反复发生预警：新建一件根源案件，在办的反复上报合并进来）",
    responses={
        409: {"description": "root_case_exists: 该预警已合并为根源案件"},
        422: {"description": "not_recurrence: 不是“反复发生”预警"},
    },
)
def root_case(
    alert_id: int,
    session: SessionDep,
    actor: ActorDep,
    data: Annotated[RootCaseIn | None, Body()] = None,
) -> RootCaseOut:
    data = data or RootCaseIn()
    done = services.root_case(
        session,
        alert_id,
        services.RootCaseData(title=data.title, description=data.description, note=data.note),
        actor=actor,
    )
    return RootCaseOut(
        alert=alert_out(done.alert),
        root_event_id=done.event.id,
        root_event_code=done.event.code,
        merged=done.merged,
        linked=done.linked,
        skipped=done.skipped,
    )

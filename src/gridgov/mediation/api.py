from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.http import ActorDep, CipherDep, SessionDep
from gridgov.kit.clock import now
from gridgov.kit.pagination import Page, PageParams, page_params
from gridgov.media.schemas import MediaOut
from gridgov.mediation import services
from gridgov.mediation.models import (
    ALERT_RULE_LABELS,
    ALERT_STATUS_LABELS,
    DISPUTE_TYPE_LABELS,
    MEDIATION_LEVEL_LABELS,
    OUTCOME_LABELS,
    PARTY_ROLE_LABELS,
    PERFORMANCE_LABELS,
    REFERRAL_LABELS,
    RISK_LABELS,
    SOURCE_LABELS,
    AlertRule,
    AlertStatus,
    Dispute,
    DisputeAlert,
    DisputeSource,
    DisputeType,
    MediationLevel,
    PartyRole,
    RiskGrade,
)
from gridgov.mediation.schemas import (
    AlertNoteIn,
    AlertOut,
    Count,
    DisputeActionIn,
    DisputeDetail,
    DisputeIn,
    DisputeOut,
    MetaOut,
    Option,
    PartyOut,
    PartyRevealOut,
    RevealIn,
    StatisticsOut,
)
from gridgov.workflow.schemas import ActionOut, StepOut

router = APIRouter(prefix="/api/v1", tags=["mediation"])
Text = Annotated[str | None, Query(max_length=100)]


def dispute_out(
    dispute: Dispute, version: int, labels: dict[str, str], organisations: dict[int, str]
) -> DisputeOut:
    parts = [p for p in dispute.region_path.split("/") if p]
    level = MediationLevel(dispute.level)
    return DisputeOut(
        id=dispute.id,
        code=dispute.code,
        dispute_type=DisputeType(dispute.dispute_type),
        type_label=DISPUTE_TYPE_LABELS[DisputeType(dispute.dispute_type)],
        title=dispute.title,
        description=dispute.description,
        address=dispute.address,
        grid_code=parts[-1],
        community_code=parts[-2] if len(parts) >= 2 else None,
        street_code=parts[-3] if len(parts) >= 3 else None,
        source=DisputeSource(dispute.source),
        source_event_id=dispute.source_event_id,
        risk_grade=RiskGrade(dispute.risk_grade),
        risk_label=RISK_LABELS[RiskGrade(dispute.risk_grade)],
        level=level.value,
        level_label=MEDIATION_LEVEL_LABELS[level],
        organisation_id=dispute.organisation_id,
        organisation=organisations.get(dispute.organisation_id or 0, MEDIATION_LEVEL_LABELS[level]),
        mediators=list(dispute.mediators or []),
        status=dispute.status,
        status_label=labels.get(dispute.status, dispute.status),
        outcome=dispute.outcome,
        referral=dispute.referral,
        performance=dispute.performance,
        agreement_terms=dispute.agreement_terms,
        deadline_at=dispute.deadline_at,
        overdue=services.is_overdue(dispute, now()),
        created_at=dispute.created_at,
        outcome_at=dispute.outcome_at,
        closed_at=dispute.closed_at,
        version=version,
    )


def alert_out(alert: DisputeAlert, code: str) -> AlertOut:
    return AlertOut(
        id=alert.id,
        dispute_id=alert.dispute_id,
        dispute_code=code,
        rule=alert.rule,
        rule_label=ALERT_RULE_LABELS[AlertRule(alert.rule)],
        reason=alert.reason,
        status=alert.status,
        status_label=ALERT_STATUS_LABELS[AlertStatus(alert.status)],
        notified=alert.notified,
        created_at=alert.created_at,
        acknowledged_at=alert.acknowledged_at,
        acknowledged_by=alert.acknowledged_by,
        closed_at=alert.closed_at,
        closed_by=alert.closed_by,
        note=alert.note,
    )


def dispute_detail(session: Session, dispute: Dispute, actor: Actor) -> DisputeDetail:
    view = services.dispute_view(session, dispute, actor=actor)
    base = dispute_out(
        dispute,
        view.instance.version,
        view.labels,
        {dispute.organisation_id or 0: view.organisation},
    )
    return DisputeDetail(
        **base.model_dump(),
        media=[MediaOut.of(m) for m in services.attachments(session, dispute, actor=actor)],
        parties=[
            PartyOut(
                id=p.id,
                role=PartyRole(p.role),
                role_label=PARTY_ROLE_LABELS[PartyRole(p.role)],
                name=p.name,
                person_id=p.person_id,
                id_number=p.id_number_masked,
                phone=p.phone_masked,
            )
            for p in view.parties
        ],
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
        alerts=[alert_out(a, dispute.code) for a in view.alerts],
        agreement_available=services.agreement_available(dispute),
    )


def _options(labels: dict[str, str], criteria: dict[str, str] | None = None) -> list[Option]:
    return [
        Option(value=value, label=label, criteria=(criteria or {}).get(value, ""))
        for value, label in labels.items()
    ]


@router.get("/disputes/meta", response_model=MetaOut, summary="矛盾纠纷的类型、风险等级标准等")
def dispute_meta(session: SessionDep, actor: ActorDep) -> MetaOut:
    found = services.meta(actor=actor)
    return MetaOut(
        types=_options(found.types),
        sources=_options({k.value: v for k, v in SOURCE_LABELS.items()}),
        risk_grades=_options({k.value: v for k, v in RISK_LABELS.items()}, found.criteria),
        levels=_options({k.value: v for k, v in MEDIATION_LEVEL_LABELS.items()}),
        outcomes=_options({k.value: v for k, v in OUTCOME_LABELS.items()}),
        referrals=_options({k.value: v for k, v in REFERRAL_LABELS.items()}),
        performances=_options({k.value: v for k, v in PERFORMANCE_LABELS.items()}),
        statuses=_options(services.state_labels(session)),
        alert_rules=_options({k.value: v for k, v in ALERT_RULE_LABELS.items()}),
        time_limit_days=found.time_limit_days,
        warning_days=found.warning_days,
    )


@router.get("/disputes", response_model=Page[DisputeOut], summary="矛盾纠纷列表")
def list_disputes(
    session: SessionDep,
    actor: ActorDep,
    page: Annotated[PageParams, Depends(page_params)],
    status: Text = None,
    dispute_type: Text = None,
    risk_grade: Text = None,
    level: Text = None,
    outcome: Text = None,
    region_code: Text = None,
    overdue: bool = False,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    q: Annotated[str | None, Query(max_length=100, description="标题、编号或地址")] = None,
) -> Page[DisputeOut]:
    filters = services.dispute_filter(
        session,
        actor=actor,
        status=status,
        dispute_type=dispute_type,
        risk_grade=risk_grade,
        level=level,
        outcome=outcome,
        region_code=region_code,
        overdue=overdue,
        created_from=created_from,
        created_to=created_to,
        query=q,
    )
    rows, total = services.search_disputes(session, filters, actor=actor, page=page)
    versions = services.versions(session, rows)
    labels = services.state_labels(session)
    organisations = services.organisation_names(session, rows)
    return Page.of(
        [dispute_out(d, versions[d.id], labels, organisations) for d in rows],
        total,
        page,
        cap=services.LIST_COUNT_CAP,
    )


@router.post("/disputes", response_model=DisputeDetail, status_code=201, summary="登记矛盾纠纷")
def register_dispute(
    data: DisputeIn, session: SessionDep, actor: ActorDep, cipher: CipherDep
) -> DisputeDetail:
    dispute = services.register(session, data, actor=actor, cipher=cipher)
    return dispute_detail(session, dispute, actor)


@router.get(
    "/disputes/statistics",
    response_model=StatisticsOut,
    summary="矛盾纠纷统计（类型、区域、状态、结果、成功率、平均时长、超期、风险）",
)
def dispute_statistics(
    session: SessionDep,
    actor: ActorDep,
    region_code: Text = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> StatisticsOut:
    stats = services.statistics(
        session, actor=actor, region_code=region_code, since=since, until=until
    )
    states = services.state_labels(session)

    def counts(values: dict[str, int], labels: dict[str, str]) -> list[Count]:
        ordered = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
        return [Count(key=k, label=labels.get(k, k), count=n) for k, n in ordered]

    return StatisticsOut(
        region_code=stats.region_code,
        since=stats.since,
        until=stats.until,
        total=stats.total,
        by_type=counts(stats.by_type, services.labels_for("type")),
        by_region=counts(stats.by_region, stats.region_names),
        by_status=counts(stats.by_status, states),
        by_outcome=counts(stats.by_outcome, services.labels_for("outcome")),
        by_risk=counts(stats.by_risk, services.labels_for("risk")),
        success_rate=stats.success_rate,
        average_days=stats.average_days,
        pending=stats.pending,
        overdue=stats.overdue,
        open_alerts=stats.open_alerts,
    )


@router.get("/disputes/{dispute_id}", response_model=DisputeDetail, summary="纠纷详情与调处时间线")
def get_dispute(dispute_id: int, session: SessionDep, actor: ActorDep) -> DisputeDetail:
    return dispute_detail(session, services.get_dispute(session, dispute_id, actor=actor), actor)


@router.post(
    "/disputes/{dispute_id}/actions/{action}",
    response_model=DisputeDetail,
    summary="调处动作（受理、调解记录、提级、达成协议、调解不成、履行、回访、结案……）",
    responses={409: {"description": "version 已过期：他人已先办理"}},
)
def act(
    dispute_id: int, action: str, data: DisputeActionIn, session: SessionDep, actor: ActorDep
) -> DisputeDetail:
    dispute = services.act(session, dispute_id, action, data, actor=actor)
    return dispute_detail(session, dispute, actor)


@router.get(
    "/disputes/{dispute_id}/agreement.pdf",
    summary="人民调解协议书（PDF）",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def agreement(dispute_id: int, session: SessionDep, actor: ActorDep) -> Response:
    dispute, body = services.agreement_pdf(session, dispute_id, actor=actor)
    name = quote(f"人民调解协议书-{dispute.code}.pdf")
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{dispute.code}.pdf"; '
            f"filename*=UTF-8''{name}",
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/disputes/{dispute_id}/reveal",
    response_model=PartyRevealOut,
    summary="查看当事人完整证件号和电话（需说明理由，记入审计）",
)
def reveal(
    dispute_id: int, data: RevealIn, session: SessionDep, actor: ActorDep, cipher: CipherDep
) -> PartyRevealOut:
    return services.reveal_party(
        session, dispute_id, data.party_id, data.reason, actor=actor, cipher=cipher
    )


@router.get("/dispute-alerts", response_model=Page[AlertOut], summary="矛盾纠纷预警列表")
def list_alerts(
    session: SessionDep,
    actor: ActorDep,
    page: Annotated[PageParams, Depends(page_params)],
    status: Text = None,
    rule: Text = None,
    region_code: Text = None,
) -> Page[AlertOut]:
    rows, total = services.list_alerts(
        session, actor=actor, status=status, rule=rule, region_code=region_code, page=page
    )
    disputes = services.alert_disputes(session, rows, actor=actor)
    return Page.of(
        [
            alert_out(a, disputes[a.dispute_id].code if a.dispute_id in disputes else "")
            for a in rows
        ],
        total,
        page,
        cap=services.LIST_COUNT_CAP,
    )


def _alert_answer(session: Session, alert: DisputeAlert, actor: Actor) -> AlertOut:
    disputes = services.alert_disputes(session, [alert], actor=actor)
    found = disputes.get(alert.dispute_id)
    return alert_out(alert, found.code if found else "")


@router.post("/dispute-alerts/{alert_id}/acknowledge", response_model=AlertOut, summary="签收预警")
def acknowledge_alert(
    alert_id: int, data: AlertNoteIn, session: SessionDep, actor: ActorDep
) -> AlertOut:
    alert = services.acknowledge_alert(session, alert_id, data.note, actor=actor)
    return _alert_answer(session, alert, actor)


@router.post(
    "/dispute-alerts/{alert_id}/close", response_model=AlertOut, summary="关闭预警（说明处置情况）"
)
def close_alert(alert_id: int, data: AlertNoteIn, session: SessionDep, actor: ActorDep) -> AlertOut:
    alert = services.close_alert(session, alert_id, data.note, actor=actor)
    return _alert_answer(session, alert, actor)

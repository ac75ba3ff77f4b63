"""Pages for disputes (矛盾纠纷调处): the list within the account's scope with a registration
form, the dispute page with its parties (masked), alerts, timeline and a form per action the
account may take, and the early-warning list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.http import OptionalActorDep, SessionDep
from gridgov.kit.clock import format_local, now
from gridgov.kit.pagination import PageParams
from gridgov.mediation import services
from gridgov.mediation.api import alert_out, dispute_detail
from gridgov.mediation.models import (
    ALERT_RULE_LABELS,
    ALERT_STATUS_LABELS,
    DISPUTE_TYPE_LABELS,
    MEDIATION_LEVEL_LABELS,
    OUTCOME_LABELS,
    PERFORMANCE_LABELS,
    REFERRAL_LABELS,
    RISK_CRITERIA,
    RISK_LABELS,
    SOURCE_LABELS,
    DisputeType,
    MediationLevel,
    RiskGrade,
)
from gridgov.web.forms import ApiForm, FormField
from gridgov.web.registry_pages import Filter
from gridgov.web.rendering import PAGE_SIZE, login_redirect, pager, render, templates

router = APIRouter(include_in_schema=False)
Text = Annotated[str | None, Query(max_length=100)]
templates.env.globals.update(
    DISPUTE_TYPE_LABELS={k.value: v for k, v in DISPUTE_TYPE_LABELS.items()},
    DISPUTE_SOURCE_LABELS={k.value: v for k, v in SOURCE_LABELS.items()},
    DISPUTE_RISK_LABELS={k.value: v for k, v in RISK_LABELS.items()},
    DISPUTE_RISK_CRITERIA={k.value: v for k, v in RISK_CRITERIA.items()},
    DISPUTE_OUTCOME_LABELS={k.value: v for k, v in OUTCOME_LABELS.items()},
    DISPUTE_REFERRAL_LABELS={k.value: v for k, v in REFERRAL_LABELS.items()},
    DISPUTE_PERFORMANCE_LABELS={k.value: v for k, v in PERFORMANCE_LABELS.items()},
    DISPUTE_MEDIATION_LEVEL_LABELS={k.value: v for k, v in MEDIATION_LEVEL_LABELS.items()},
)
PARTIES_EXAMPLE = (
    '[{"role": "applicant", "name": "张某", "phone": "13800000000"},\n'
    ' {"role": "respondent", "name": "李某"}]'
)


def _options(labels: dict[str, str]) -> list[tuple[str, str]]:
    return list(labels.items())


def register_form() -> ApiForm:
    return ApiForm(
        "登记矛盾纠纷",
        "/api/v1/disputes",
        "POST",
        [
            FormField(
                "dispute_type",
                "纠纷类型",
                kind="select",
                options=[(t.value, DISPUTE_TYPE_LABELS[t]) for t in DisputeType],
                required=True,
            ),
            FormField("title", "标题", required=True),
            FormField("description", "纠纷主要事实", kind="textarea"),
            FormField("grid_code", "发生地网格编码", hint="不填则取第一位关联居民所在网格"),
            FormField("address", "发生地址"),
            FormField(
                "source",
                "来源",
                kind="select",
                options=[(k.value, v) for k, v in SOURCE_LABELS.items() if k.value != "event"],
                required=True,
            ),
            FormField(
                "risk_grade",
                "风险等级",
                kind="select",
                options=[(g.value, f"{RISK_LABELS[g]}：{RISK_CRITERIA[g]}") for g in RiskGrade],
                required=True,
            ),
            FormField(
                "level",
                "受理调解组织",
                kind="select",
                options=[
                    (lv.value, MEDIATION_LEVEL_LABELS[lv])
                    for lv in (
                        MediationLevel.COMMUNITY,
                        MediationLevel.STREET,
                        MediationLevel.INDUSTRY,
                    )
                ],
                required=True,
            ),
            FormField("mediators", "调解员", data_type="list", hint="用顿号分隔"),
            FormField(
                "parties",
                "当事人（JSON：role 为 applicant 申请人 / respondent 被申请人；"
                "已登记居民用 person_id，其他填 name、id_number、phone）",
                kind="textarea",
                data_type="json",
                value=PARTIES_EXAMPLE,
                required=True,
            ),
        ],
        submit="登记",
        next="/disputes/{id}",
    )


def action_form(dispute_id: int, version: int, action: str, label: str) -> ApiForm:
    """One workflow action on a dispute, with the fields it takes."""
    fields = [FormField("version", "版本", data_type="integer", value=version, kind="hidden")]
    if action == "accept":
        fields.append(FormField("mediators", "调解员", data_type="list", hint="用顿号分隔"))
    if action == "session":
        fields += [
            FormField(
                "session_date",
                "调解日期",
                value=format_local(now())[:10],
                required=True,
                hint="YYYY-MM-DD",
            ),
            FormField(
                "participants", "参加人员", data_type="list", required=True, hint="用顿号分隔"
            ),
        ]
    if action in ("agree", "agree_partial"):
        fields.append(FormField("terms", "协议条款（每行一条）", kind="textarea", required=True))
    if action == "fail":
        fields.append(
            FormField(
                "referral",
                "引导渠道",
                kind="select",
                options=_options({k.value: v for k, v in REFERRAL_LABELS.items()}),
                required=True,
            )
        )
    if action == "perform":
        fields.append(
            FormField(
                "performance",
                "履行情况",
                kind="select",
                options=_options({k.value: v for k, v in PERFORMANCE_LABELS.items()}),
                required=True,
            )
        )
    if action == "regrade":
        fields.append(
            FormField(
                "risk_grade",
                "风险等级",
                kind="select",
                options=[(g.value, f"{RISK_LABELS[g]}：{RISK_CRITERIA[g]}") for g in RiskGrade],
                required=True,
            )
        )
    if action in ("session", "agree", "agree_partial", "perform", "follow_up"):
        # Uploaded one by one to /api/v1/media by form.js, then sent as media_ids.
        fields.append(
            FormField(
                "media_ids",
                "附件（笔录、协议扫描件、照片）",
                kind="file",
                hint="JPEG、PNG、WebP 照片或 MP4、MOV、WebM 视频，可多选",
            )
        )
    comment_labels = {
        "session": "调解笔录",
        "follow_up": "回访情况",
        "close": "结案意见",
        "fail": "调解不成的原因",
        "escalate": "提级理由",
        "reject": "不予受理理由",
    }
    fields.append(
        FormField(
            "comment",
            comment_labels.get(action, "说明"),
            kind="textarea",
            required=action in comment_labels or action in ("regrade", "agree_partial"),
        )
    )
    return ApiForm(
        label, f"/api/v1/disputes/{dispute_id}/actions/{action}", "POST", fields, submit=label
    )


@router.get("/disputes")
def disputes_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    status: Text = None,
    dispute_type: Text = None,
    risk_grade: Text = None,
    region_code: Text = None,
    overdue: Text = None,
    q: Text = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    if actor is None:
        return login_redirect(request)
    filters = services.dispute_filter(
        session,
        actor=actor,
        status=status,
        dispute_type=dispute_type,
        risk_grade=risk_grade,
        region_code=region_code,
        overdue=overdue == "true",
        query=q,
    )
    rows, total = services.search_disputes(
        session, filters, actor=actor, page=PageParams(page=page, page_size=PAGE_SIZE)
    )
    labels = services.state_labels(session)
    organisations = services.organisation_names(session, rows)
    moment = now()
    return render(
        request,
        "mediation_list.html",
        actor=actor,
        title="矛盾纠纷调处",
        intro="按管辖范围显示本辖区登记的矛盾纠纷。调解期限默认 30 日，"
        "超期自动提级到上一级调解组织（社区 → 镇街 → 区）。",
        columns=["编号", "标题", "类型", "风险", "状态", "调解组织", "登记时间", "调解期限"],
        rows=[
            [
                (d.code, f"/disputes/{d.id}"),
                (d.title, f"/disputes/{d.id}"),
                (DISPUTE_TYPE_LABELS[DisputeType(d.dispute_type)], None),
                (RISK_LABELS[RiskGrade(d.risk_grade)], None),
                (labels.get(d.status, d.status), None),
                (
                    organisations.get(
                        d.organisation_id or 0, MEDIATION_LEVEL_LABELS[MediationLevel(d.level)]
                    ),
                    None,
                ),
                (format_local(d.created_at), None),
                (
                    format_local(d.deadline_at)
                    + (" 超期" if services.is_overdue(d, moment) else ""),
                    None,
                ),
            ]
            for d in rows
        ],
        filters=[
            Filter("q", "标题、编号或地址", q),
            Filter("status", "状态", status, list(labels.items())),
            Filter(
                "dispute_type",
                "类型",
                dispute_type,
                [(t.value, DISPUTE_TYPE_LABELS[t]) for t in DisputeType],
            ),
            Filter(
                "risk_grade", "风险等级", risk_grade, [(g.value, RISK_LABELS[g]) for g in RiskGrade]
            ),
            Filter("region_code", "区域编码", region_code),
            Filter("overdue", "是否超期", overdue, [("true", "只看超期")]),
        ],
        pager=pager(request, page, total, cap=services.LIST_COUNT_CAP),
        empty="没有符合条件的矛盾纠纷。",
        forms=[register_form()] if actor.can(Perm.DISPUTES_REPORT) else [],
    )


@router.get("/disputes/alerts")
def alerts_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    status: Text = None,
    rule: Text = None,
    region_code: Text = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    if actor is None:
        return login_redirect(request)
    rows, total = services.list_alerts(
        session,
        actor=actor,
        status=status,
        rule=rule,
        region_code=region_code,
        page=PageParams(page=page, page_size=PAGE_SIZE),
    )
    disputes = services.alert_disputes(session, rows, actor=actor)
    alerts = [
        alert_out(a, disputes[a.dispute_id].code if a.dispute_id in disputes else "") for a in rows
    ]
    return render(
        request,
        "mediation_alerts.html",
        actor=actor,
        alerts=alerts,
        can_handle=actor.can(Perm.DISPUTES_ALERTS),
        filters=[
            Filter(
                "status", "状态", status, [(k.value, v) for k, v in ALERT_STATUS_LABELS.items()]
            ),
            Filter("rule", "预警规则", rule, [(k.value, v) for k, v in ALERT_RULE_LABELS.items()]),
            Filter("region_code", "区域编码", region_code),
        ],
        pager=pager(request, page, total, cap=services.LIST_COUNT_CAP),
    )


@router.get("/disputes/{dispute_id}")
def dispute_page(
    request: Request, dispute_id: int, session: SessionDep, actor: OptionalActorDep
) -> Response:
    if actor is None:
        return login_redirect(request)
    detail = dispute_detail(session, services.get_dispute(session, dispute_id, actor=actor), actor)
    return render(
        request,
        "mediation_dispute.html",
        actor=actor,
        dispute=detail,
        can_reveal=_can_reveal(actor),
        forms=[action_form(detail.id, detail.version, a.action, a.label) for a in detail.actions],
    )


def _can_reveal(actor: Actor) -> bool:
    return actor.can(Perm.PERSONS_REVEAL)

"""Pages for campaigns (专项排查): the list with progress, launching one, a campaign's progress
per community and grid with its statistics (bars drawn in HTML/CSS), the households to screen
with a fill-in panel, and the admin's form editor. Writes go through the JSON API (form.js,
campaign-form.js)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from gridgov.accounts.permissions import Perm
from gridgov.campaigns import catalog, services
from gridgov.campaigns.api import campaign_detail, form_detail, form_out, target_out
from gridgov.campaigns.models import PHASE_LABELS, Phase, TargetStatus
from gridgov.http import OptionalActorDep, SessionDep
from gridgov.kit.clock import now, to_local
from gridgov.kit.pagination import PageParams
from gridgov.web.forms import ApiForm, FormField
from gridgov.web.rendering import PAGE_SIZE, login_redirect, pager, render, render_error

router = APIRouter(include_in_schema=False)
Text = Annotated[str | None, Query(max_length=100)]


@router.get("/campaigns")
def campaigns_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    phase: Phase | None = None,
    q: Text = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    if actor is None:
        return login_redirect(request)
    if not actor.can(Perm.CAMPAIGNS_READ):
        return render_error(request, 403, "当前账号不能查看专项排查")
    views, total = services.list_campaigns(
        session,
        actor=actor,
        phase=phase,
        query=q,
        page=PageParams(page=page, page_size=PAGE_SIZE),
    )
    return render(
        request,
        "campaigns.html",
        actor=actor,
        rows=views,
        pager=pager(request, page, total),
        phase=phase.value if phase else "",
        phases=[(p.value, PHASE_LABELS[p]) for p in Phase],
        q=q or "",
    )


def launch_form(session: Any, actor: Any) -> ApiForm:
    forms = services.list_forms(session, actor=actor)
    today = to_local(now()).date()
    return ApiForm(
        "发起专项排查",
        "/api/v1/campaigns",
        "POST",
        [
            FormField("title", "排查名称", required=True),
            FormField("description", "排查说明", kind="textarea"),
            FormField(
                "form_id",
                "排查表",
                kind="select",
                data_type="integer",
                options=[(v.form.id, f"{v.form.title}（v{v.form.version}）") for v in forms],
                required=True,
            ),
            FormField(
                "region_codes",
                "排查范围",
                data_type="list",
                hint="街道、社区或基础网格编码，多个用顿号分隔",
            ),
            FormField(
                "household_ids",
                "或逐户指定",
                data_type="list",
                hint="户 ID，多个用顿号分隔（与排查范围二选一）",
            ),
            FormField("starts_on", "开始日期", value=today.isoformat(), required=True),
            FormField("ends_on", "结束日期", hint="YYYY-MM-DD", required=True),
            FormField("create_tasks", "同时向各网格下发任务", kind="checkbox", value=True),
        ],
        submit="发起",
        next="/campaigns/{id}",
    )


@router.get("/campaigns/new")
def new_campaign_page(request: Request, session: SessionDep, actor: OptionalActorDep) -> Response:
    if actor is None:
        return login_redirect(request)
    if not actor.can(Perm.CAMPAIGNS_WRITE):
        return render_error(request, 403, "当前账号不能发起专项排查")
    return render(request, "campaign_new.html", actor=actor, form=launch_form(session, actor))


def _bars(counts: dict[str, int]) -> list[tuple[str, int, float]]:
    top = max(counts.values(), default=0)
    return [(label, n, (n / top * 100) if top else 0.0) for label, n in counts.items()]


@router.get("/campaigns/{campaign_id}")
def campaign_page(
    request: Request,
    campaign_id: int,
    session: SessionDep,
    actor: OptionalActorDep,
    level: Annotated[str, Query(pattern="^(grid|community)$")] = "community",
    status: TargetStatus | None = None,
    grid: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    if actor is None:
        return login_redirect(request)
    detail = campaign_detail(session, campaign_id, actor)
    stats = services.statistics(session, campaign_id, actor=actor, level=level)
    targets, total = services.list_targets(
        session,
        campaign_id,
        actor=actor,
        region_code=grid or None,
        status=status,
        page=PageParams(page=page, page_size=PAGE_SIZE),
    )
    form = services.get_form(session, detail.form_id, actor=actor)
    campaign = services.get_campaign(session, campaign_id, actor=actor)
    epidemic = stats.total.epidemic
    return render(
        request,
        "campaign.html",
        actor=actor,
        c=detail,
        stats=stats,
        level=level,
        targets=[target_out(t) for t in targets],
        pager=pager(request, page, total),
        status=status.value if status else "",
        grid=grid or "",
        province_bars=_bars(epidemic.by_province) if epidemic else [],
        dose_bars=_bars({f"{k} 剂": v for k, v in epidemic.doses.items()}) if epidemic else [],
        field_bars=[(f, _bars({c.label: c.count for c in f.counts})) for f in stats.fields],
        can_fill=actor.can(Perm.CAMPAIGNS_FILL) and detail.phase == Phase.RUNNING,
        can_close=(
            actor.can(Perm.CAMPAIGNS_WRITE)
            and detail.phase != Phase.ENDED
            and actor.scope.covers_path(campaign.region_path)
        ),
        # Inside <script type="application/json">: no "</" may close the element early.
        definition_json=json.dumps(form.definition, ensure_ascii=False).replace("</", "<\\/"),
    )


@router.get("/admin/campaign-forms")
def forms_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    form_id: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    if actor is None:
        return login_redirect(request)
    if not actor.can(Perm.CAMPAIGN_FORMS_WRITE):
        return render_error(request, 403, "只有管理员可以定义排查表")
    views = services.list_forms(session, actor=actor)
    editing = (
        form_detail(session, services.get_form(session, form_id, actor=actor))
        if form_id is not None
        else None
    )
    draft = editing.definition if editing else catalog.EPIDEMIC_FORM
    installed = {v.form.code for v in views}
    return render(
        request,
        "campaign_forms.html",
        actor=actor,
        forms=[form_out(v) for v in views],
        editing=editing,
        missing_templates=[t for t in catalog.TEMPLATES if t[0] not in installed],
        definition_json=json.dumps(draft, ensure_ascii=False, indent=2),
    )

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, status
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.campaigns import export, services
from gridgov.campaigns.models import (
    TARGET_STATUS_LABELS,
    CampaignForm,
    CampaignResponse,
    Phase,
    TargetKind,
    TargetStatus,
)
from gridgov.campaigns.schemas import (
    CampaignDetail,
    CampaignIn,
    CampaignOut,
    FormDetail,
    FormIn,
    FormOut,
    FormVersionOut,
    InstallOut,
    ProgressOut,
    RegionRef,
    ResponseIn,
    ResponseOut,
    StatisticsOut,
    TargetOut,
)
from gridgov.config import get_settings
from gridgov.http import ActorDep, CipherDep, SessionDep
from gridgov.kit.clock import now
from gridgov.kit.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/api/v1", tags=["campaigns"])
PageDep = Annotated[PageParams, Depends(page_params)]
Code = Annotated[str | None, Query(max_length=40, description="区域编码（社区或网格）")]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def form_out(view: services.FormView) -> FormOut:
    form = view.form
    return FormOut(
        id=form.id,
        code=form.code,
        version=form.version,
        title=form.title,
        description=form.description,
        field_count=view.field_count,
        latest=view.latest,
        created_by=form.created_by,
        created_at=form.created_at,
    )


def form_detail(session: Session, form: CampaignForm) -> FormDetail:
    view, versions = services.form_view(session, form)
    return FormDetail(
        **form_out(view).model_dump(),
        definition=form.definition,
        versions=[
            FormVersionOut(
                id=v.id,
                version=v.version,
                title=v.title,
                created_by=v.created_by,
                created_at=v.created_at,
            )
            for v in versions
        ],
    )


def campaign_out(view: services.CampaignView, tasks_created: int | None = None) -> CampaignOut:
    c = view.campaign
    return CampaignOut(
        id=c.id,
        title=c.title,
        description=c.description,
        form_id=c.form_id,
        form_code=view.form.code,
        form_title=view.form.title,
        form_version=view.form.version,
        target_kind=TargetKind(c.target_kind),
        target_regions=[RegionRef(code=r.code, name=r.name, level=r.level) for r in view.regions],
        target_count=c.target_count,
        starts_on=c.starts_on,
        ends_on=c.ends_on,
        status=c.status,
        phase=view.phase,
        phase_label=view.phase_label,
        created_by=c.created_by,
        created_at=c.created_at,
        closed_at=c.closed_at,
        targeted=view.targeted,
        done=view.done,
        progress=view.progress,
        tasks_created=tasks_created,
    )


def progress_out(row: services.RegionProgress) -> ProgressOut:
    return ProgressOut(
        code=row.code,
        name=row.name,
        level=row.level,
        targeted=row.targeted,
        done=row.done,
        progress=row.progress,
    )


def campaign_detail(session: Session, campaign_id: int, actor: Actor) -> CampaignDetail:
    campaign = services.get_campaign(session, campaign_id, actor=actor)
    view = services.campaign_views(session, [campaign], actor=actor)[0]
    rows = services.progress_by(session, campaign, actor=actor, level="community")
    return CampaignDetail(
        **campaign_out(view).model_dump(), by_community=[progress_out(r) for r in rows]
    )


def response_out(response: CampaignResponse) -> ResponseOut:
    return ResponseOut(
        id=response.id,
        campaign_id=response.campaign_id,
        household_id=response.household_id,
        grid_code=services.grid_code(response.region_path),
        version=response.version,
        values=response.answers,
        filled_by=response.filled_by,
        filled_by_name=response.filled_by_name,
        filled_at=response.filled_at,
        client_id=response.client_id,
        replaced_by=response.replaced_by,
        created_at=response.created_at,
    )


def target_out(view: services.TargetView) -> TargetOut:
    t, h = view.target, view.household
    return TargetOut(
        household_id=t.household_id,
        household_code=h.code if h else "",
        address=h.address if h else "",
        members=h.members if h else 0,
        grid_code=services.grid_code(t.region_path),
        status=TargetStatus(t.status),
        status_label=TARGET_STATUS_LABELS[TargetStatus(t.status)],
        done_at=t.done_at,
        response_id=t.response_id,
        versions=t.responses,
    )


# -- forms --------------------------------------------------------------------------------------


@router.get("/campaign-forms", response_model=list[FormOut], summary="排查表（各表单的最新版本）")
def list_forms(
    session: SessionDep,
    actor: ActorDep,
    all_versions: Annotated[bool, Query(description="列出全部版本")] = False,
) -> list[FormOut]:
    views = services.list_forms(session, actor=actor, all_versions=all_versions)
    return [form_out(v) for v in views]


@router.post(
    "/campaign-forms",
    response_model=FormDetail,
    status_code=status.HTTP_201_CREATED,
    summary="保存排查表（同一编码保存为新版本；已发起的排查仍用原版本）",
)
def save_form(data: FormIn, session: SessionDep, actor: ActorDep) -> FormDetail:
    return form_detail(session, services.save_form(session, data, actor=actor))


class CheckIn(BaseModel):
    definition: dict[str, Any]


class CheckOut(BaseModel):
    ok: bool
    errors: list[str]


@router.post("/campaign-forms/check", response_model=CheckOut, summary="校验排查表定义（不保存）")
def check_form(data: CheckIn, actor: ActorDep) -> CheckOut:
    errors = services.check_form(data.definition, actor=actor)
    return CheckOut(ok=not errors, errors=errors)


@router.post(
    "/campaign-forms/install-templates",
    response_model=InstallOut,
    summary="安装内置模板（疫情防控入户排查等；已安装的跳过）",
)
def install_templates(session: SessionDep, actor: ActorDep) -> InstallOut:
    return InstallOut(installed=services.install_templates(session, actor=actor))


@router.get("/campaign-forms/{form_id}", response_model=FormDetail, summary="排查表定义与版本")
def get_form(form_id: int, session: SessionDep, actor: ActorDep) -> FormDetail:
    return form_detail(session, services.get_form(session, form_id, actor=actor))


# -- campaigns ----------------------------------------------------------------------------------


@router.post(
    "/campaigns",
    response_model=CampaignOut,
    status_code=status.HTTP_201_CREATED,
    summary="发起专项排查（按区域或逐户；可同时向各网格下发任务）",
)
def launch(data: CampaignIn, session: SessionDep, actor: ActorDep) -> CampaignOut:
    result = services.launch(session, data, actor=actor)
    view = services.campaign_views(session, [result.campaign], actor=actor)[0]
    return campaign_out(view, result.tasks_created)


@router.get("/campaigns", response_model=Page[CampaignOut], summary="专项排查列表（含进度）")
def list_campaigns(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    phase: Phase | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[CampaignOut]:
    views, total = services.list_campaigns(session, actor=actor, phase=phase, query=q, page=page)
    return Page.of([campaign_out(v) for v in views], total, page)


@router.get(
    "/campaigns/{campaign_id}", response_model=CampaignDetail, summary="专项排查详情与各社区进度"
)
def get_campaign(campaign_id: int, session: SessionDep, actor: ActorDep) -> CampaignDetail:
    return campaign_detail(session, campaign_id, actor)


@router.post("/campaigns/{campaign_id}/close", response_model=CampaignOut, summary="结束专项排查")
def close_campaign(campaign_id: int, session: SessionDep, actor: ActorDep) -> CampaignOut:
    campaign = services.close_campaign(session, campaign_id, actor=actor)
    return campaign_out(services.campaign_views(session, [campaign], actor=actor)[0])


@router.get(
    "/campaigns/{campaign_id}/households",
    response_model=Page[TargetOut],
    summary="待排查 / 已排查的户（地址脱敏）",
)
def list_households(
    campaign_id: int,
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    grid: Code = None,
    status: TargetStatus | None = None,
) -> Page[TargetOut]:
    rows, total = services.list_targets(
        session, campaign_id, actor=actor, region_code=grid, status=status, page=page
    )
    return Page.of([target_out(r) for r in rows], total, page)


@router.post(
    "/campaigns/{campaign_id}/responses",
    response_model=ResponseOut,
    status_code=status.HTTP_201_CREATED,
    summary="填报一户的排查表（同一 client_id 重发返回首次结果；再次填报同一户为更正）",
    responses={200: {"description": "同一 client_id 的重发：返回首次的结果"}},
)
def submit_response(
    campaign_id: int,
    data: Annotated[ResponseIn, Body()],
    response: Response,
    session: SessionDep,
    actor: ActorDep,
    cipher: CipherDep,
) -> ResponseOut:
    row, created = services.submit_response(session, campaign_id, data, actor=actor, cipher=cipher)
    if not created:
        response.status_code = status.HTTP_200_OK
    return response_out(row)


@router.get(
    "/campaigns/{campaign_id}/responses",
    response_model=Page[ResponseOut],
    summary="填报记录（默认每户当前版本）",
)
def list_responses(
    campaign_id: int,
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    household_id: int | None = None,
    grid: Code = None,
    all_versions: bool = False,
) -> Page[ResponseOut]:
    rows, total = services.list_responses(
        session,
        campaign_id,
        actor=actor,
        household_id=household_id,
        region_code=grid,
        all_versions=all_versions,
        page=page,
    )
    return Page.of([response_out(r) for r in rows], total, page)


@router.get(
    "/campaigns/{campaign_id}/statistics",
    response_model=StatisticsOut,
    summary="按网格或社区的排查统计（疫情防控模板另含外来人员统计）",
)
def statistics(
    campaign_id: int,
    session: SessionDep,
    actor: ActorDep,
    level: Literal["grid", "community"] = "grid",
) -> StatisticsOut:
    return services.statistics(session, campaign_id, actor=actor, level=level)


@router.get(
    "/campaigns/{campaign_id}/export",
    summary="导出填报结果（XLSX，个人信息脱敏）",
    response_class=Response,
    responses={200: {"content": {XLSX_TYPE: {}}}},
)
def export_responses(
    campaign_id: int,
    session: SessionDep,
    actor: ActorDep,
    format: Annotated[Literal["xlsx"], Query(description="文件格式")] = "xlsx",
) -> Response:
    data = services.export_responses(session, campaign_id, actor=actor)
    body = export.to_xlsx(data, get_settings().timezone)
    return Response(
        body,
        media_type=XLSX_TYPE,
        headers={
            "Content-Disposition": (
                f'attachment; filename="campaign-{campaign_id}-{now():%Y%m%d%H%M%S}.{format}"'
            ),
            "Cache-Control": "no-store",
        },
    )

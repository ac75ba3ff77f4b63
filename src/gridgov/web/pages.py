"""Pages: login, home, and browsing the territory, organisations, accounts and audit log.

Pages call the same services as the API; they hold no queries of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gridgov.accounts import services as accounts
from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import ROLE_LABELS, Perm, Role
from gridgov.audit import services as audit
from gridgov.http import (
    OptionalActorDep,
    SessionDep,
    SettingsDep,
    check_csrf,
    client_ip,
    csrf_token,
)
from gridgov.kit.geojson import as_dict
from gridgov.kit.pagination import PageParams
from gridgov.orgs import services as orgs
from gridgov.orgs.models import OrgKind
from gridgov.regions import services as regions
from gridgov.regions.models import RegionLevel
from gridgov.web.rendering import PAGE_SIZE, login_redirect, pager, render
from gridgov.web.svg import outline_svg

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Module:
    title: str
    url: str
    description: str
    permission: Perm | None
    # Area views (statistics over a region or department) mean nothing to accounts that see
    # only their own rows (citizens, social participants), though they may read cases.
    area_only: bool = False

    def offered_to(self, actor: Actor) -> bool:
        if self.permission is not None and not actor.can(self.permission):
            return False
        return not (self.area_only and actor.scope.owner_id is not None)


# The home page lists the modules that exist and that the account may open; features add theirs.
MODULES: list[Module] = [
    Module("区域网格", "/regions", "街道、社区、基础网格与专属网格的边界和编码", Perm.REGIONS_READ),
    Module("组织机构", "/organisations", "区直部门、镇街、社区与社会组织", Perm.ORGS_READ),
    Module("事件办理", "/events", "上报、受理、派遣、处置、核查、结案与评价", Perm.EVENTS_READ),
    Module("纠纷调处", "/disputes", "矛盾纠纷登记、调解、协议书、回访与预警", Perm.DISPUTES_READ),
    Module(
        "分析研判",
        "/analytics",
        "结案率、按期结案率、自办结率等指标与趋势、分类、区域、办结层级，数字可下钻到案件",
        Perm.EVENTS_READ,
        area_only=True,
    ),
    Module(
        "预警",
        "/alerts",
        "异常上升、同一地点或部件反复发生、超期风险、特殊人群走访逾期；签收与关闭",
        Perm.ALERTS_READ,
        area_only=True,
    ),
    Module(
        "绩效考核",
        "/assessment",
        "网格员、网格、社区、镇街和部门的月度考核：指标、权重、得分、排名与冻结的月度结果",
        Perm.ASSESSMENT_READ,
        area_only=True,
    ),
    Module(
        "指挥大屏",
        "/screens",
        "信息汇聚、事件管理、矛盾调解、分析预警、绩效考核五块大屏，地图居中，实时推送新事件",
        Perm.EVENTS_READ,
        area_only=True,
    ),
    Module("任务下发", "/tasks", "向网格员和社会力量下发任务，跟踪接收与完成进度", Perm.TASKS_READ),
    Module(
        "GIS一张图",
        "/map",
        "网格、楼栋、部件、监控、网格员与事件；框选查看资源与影响",
        Perm.REGIONS_READ,
    ),
    Module("多网融合", "/networks", "专业网格叠加、缺口与一格多员", Perm.NETWORKS_READ),
    Module(
        "网格员管理",
        "/workers",
        "花名册、在岗状态、实时位置、轨迹回放与工作日报",
        Perm.WORKERS_READ,
    ),
    Module("信息汇聚", "/registry", "各类城市资源的数量、更新、质量与增长", Perm.REGISTRY_READ),
    Module(
        "实有人口",
        "/persons",
        "人员、户与特殊人群（信息脱敏，查看完整信息留痕）",
        Perm.PERSONS_READ,
    ),
    Module("楼栋房屋", "/buildings", "楼栋、房屋与住户", Perm.REGISTRY_READ),
    Module("城市部件", "/components", "井盖、路灯、消防栓等部件及其权属", Perm.REGISTRY_READ),
    Module("视频监控", "/cameras", "监控点位与视频流", Perm.REGISTRY_READ),
    Module("企业商铺", "/places", "企业、商铺与兴趣点", Perm.REGISTRY_READ),
    Module("资源类别", "/resource-categories", "全部资源类别及通用记录", Perm.REGISTRY_READ),
    Module("账号管理", "/users", "账号、角色与管辖范围", Perm.USERS_READ),
    Module("审计日志", "/audit", "谁在何时做了什么", Perm.AUDIT_READ),
    Module(
        "自定义流程",
        "/admin/workflows",
        "流程图、步骤时限、升级规则、版本与类别绑定",
        Perm.WORKFLOWS_WRITE,
    ),
    Module(
        "智能分拨",
        "/admin/routing",
        "分拨规则、文本模型、自动转办效果与模拟回放",
        Perm.ROUTING_WRITE,
    ),
    Module(
        "专项排查",
        "/campaigns",
        "疫情防控入户排查等专项排查：排查表、逐户填报、按网格和社区的进度与统计",
        Perm.CAMPAIGNS_READ,
    ),
    Module("Open311 接口密钥", "/admin/open311", "外部系统交换案件的密钥与限流", Perm.OPEN311_KEYS),
    Module("群众上报", "/m/citizen/", "公众版：拍照上报、我的上报、评价", None),
    Module(
        "网格员助手",
        "/m/worker/",
        "手机版：巡查、上报、自办结、走访、任务（可离线）",
        Perm.PATROL_REPORT,
    ),
    Module("视频调度", "/calls", "与网格员视频通话：在线状态、呼叫与通话记录", Perm.CALLS_MAKE),
    Module("接口文档", "/docs", "OpenAPI 接口说明（/openapi.json）", None),
]


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an absolute URL here would make the login page an open redirect.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf: Annotated[str, Form(alias="csrf_token")] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    check_csrf(request, csrf)
    outcome = accounts.login(
        session, username, password, client_ip=client_ip(request), settings=settings
    )
    if outcome.user is None:
        message = outcome.error.message if outcome.error else "登录失败"
        status = outcome.error.status_code if outcome.error else 401
        return render(
            request, "login.html", status_code=status, next=_safe_next(next), error=message
        )
    # A fresh session on login: a token planted before login is worth nothing after it.
    request.session.clear()
    request.session["user_id"] = outcome.user.id
    csrf_token(request)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(alias="csrf_token")] = "") -> Response:
    check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, actor: OptionalActorDep) -> Response:
    if actor is None or actor.id is None:
        return login_redirect(request)
    user = accounts.user_for_token(session, actor.id)
    scope = accounts.describe_scope(user, actor.scope)
    scope_regions = (
        regions.regions_by_codes(session, scope.region_codes, actor=actor)
        if actor.can(Perm.REGIONS_READ)
        else []
    )
    modules = [m for m in MODULES if m.offered_to(actor)]
    return render(
        request,
        "home.html",
        actor=actor,
        user=user,
        scope=scope,
        scope_regions=scope_regions,
        modules=modules,
        role_label=ROLE_LABELS[Role(user.role)],
    )


@router.get("/regions", response_class=HTMLResponse)
def regions_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    level: RegionLevel | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    parent_code: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    if actor is None:
        return login_redirect(request)
    rows, total = regions.list_regions(
        session,
        actor=actor,
        level=level,
        parent_code=parent_code,
        query=q,
        page=PageParams(page=page, page_size=PAGE_SIZE),
    )
    return render(
        request,
        "regions.html",
        actor=actor,
        rows=rows,
        pager=pager(request, page, total),
        level=level.value if level else "",
        q=q or "",
        levels=list(RegionLevel),
    )


@router.get("/regions/{code}", response_class=HTMLResponse)
def region_page(
    request: Request, code: str, session: SessionDep, actor: OptionalActorDep
) -> Response:
    if actor is None:
        return login_redirect(request)
    region = regions.get_region(session, code, actor=actor)
    children, _ = regions.list_regions(
        session, actor=actor, parent_code=region.code, page=PageParams(page=1, page_size=500)
    )
    return render(
        request,
        "region.html",
        actor=actor,
        region=region,
        outline=outline_svg(
            as_dict(region.geometry),
            [(c.code, as_dict(c.geometry)) for c in children if c.level != "special_grid"],
        ),
        children=children,
        workers=accounts.grid_workers(session, region, actor=actor),
    )


@router.get("/organisations", response_class=HTMLResponse)
def organisations_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    kind: OrgKind | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    if actor is None:
        return login_redirect(request)
    rows, total = orgs.list_organisations(
        session, actor=actor, kind=kind, query=q, page=PageParams(page=page, page_size=PAGE_SIZE)
    )
    return render(
        request,
        "organisations.html",
        actor=actor,
        rows=rows,
        pager=pager(request, page, total),
        kind=kind.value if kind else "",
        q=q or "",
        kinds=list(OrgKind),
    )


@router.get("/users", response_class=HTMLResponse)
def users_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    role: Role | None = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    if actor is None:
        return login_redirect(request)
    rows, total = accounts.list_users(
        session, actor=actor, role=role, query=q, page=PageParams(page=page, page_size=PAGE_SIZE)
    )
    return render(
        request,
        "users.html",
        actor=actor,
        rows=rows,
        pager=pager(request, page, total),
        role=role.value if role else "",
        q=q or "",
        roles=list(Role),
    )


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    action: Annotated[str | None, Query(max_length=60)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    if actor is None:
        return login_redirect(request)
    rows, total = audit.list_entries(
        session,
        actor=actor,
        action=action,
        object_type=None,
        page=PageParams(page=page, page_size=PAGE_SIZE),
    )
    return render(
        request,
        "audit.html",
        actor=actor,
        rows=rows,
        pager=pager(request, page, total),
        action=action or "",
    )

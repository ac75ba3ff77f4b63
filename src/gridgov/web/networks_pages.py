"""Pages for multi-network fusion: the departmental networks with their overlay check, and
each basic grid's roster (一格多员). They call the same services as the API."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gridgov.accounts.permissions import Perm
from gridgov.config import get_settings
from gridgov.http import OptionalActorDep, SessionDep
from gridgov.networks import services
from gridgov.web.forms import ApiForm, FormField
from gridgov.web.rendering import login_redirect, pager, render

router = APIRouter(include_in_schema=False)
SLIVERS_SHOWN = 200


@router.get("/networks")
def networks_page(request: Request, session: SessionDep, actor: OptionalActorDep) -> Response:
    if actor is None:
        return login_redirect(request)
    sliver_share = get_settings().network_sliver_share
    rows = []
    for network, version in services.list_networks(session, actor=actor):
        report = services.report(session, network.code, actor=actor, sliver_share=sliver_share)
        rows.append(
            [
                (network.code, f"/networks/{network.code}"),
                (network.name, f"/networks/{network.code}"),
                (f"第 {version.version} 版" if version else "未导入", None),
                (str(version.unit_count if version else 0), None),
                (f"{report.covered_grids}/{report.grid_count}", None),
                (f"{len(report.gaps)} 处，{report.gap_area_m2 / 1e6:.3f} km²", None),
                (str(len(report.overlaps)), None),
                (str(len(report.slivers)), None),
            ]
        )
    return render(
        request,
        "list.html",
        actor=actor,
        title="专业网格（多网融合）",
        intro=(
            "各部门自有网格（警格、城管网格、消防网格、市场监管网格……）叠加到基础网格上："
            f"覆盖、空白区、重叠，以及占网格面积不足 {sliver_share:.0%} 的碎片。"
        ),
        columns=["编码", "名称", "当前版本", "单元数", "覆盖网格", "空白区", "重叠", "碎片"],
        rows=rows,
        empty="尚未导入专业网格（gridgov networks import）。",
        pager=pager(request, 1, len(rows)),
    )


@router.get("/networks/{network_code}")
def network_page(
    request: Request, network_code: str, session: SessionDep, actor: OptionalActorDep
) -> Response:
    if actor is None:
        return login_redirect(request)
    network = services.get_network(session, network_code, actor=actor)
    report = services.report(
        session, network_code, actor=actor, sliver_share=get_settings().network_sliver_share
    )
    return render(
        request,
        "network.html",
        actor=actor,
        network=network,
        versions=services.list_versions(session, network_code, actor=actor),
        report=report,
        slivers=report.slivers[:SLIVERS_SHOWN],
    )


def roster_form(grid_code: str, roles: list[tuple[str, str]]) -> ApiForm:
    return ApiForm(
        "指定责任人（覆盖自动推导）",
        f"/api/v1/grids/{grid_code}/roster",
        "POST",
        [
            FormField("role_code", "职责", kind="select", options=roles, required=True),
            FormField("person_name", "姓名", required=True),
            FormField("phone", "电话", hint="保存后脱敏显示"),
            FormField("note", "备注"),
        ],
        submit="添加",
        next=f"/grids/{grid_code}/roster",
    )


@router.get("/grids/{grid_code}/roster")
def roster_page(
    request: Request, grid_code: str, session: SessionDep, actor: OptionalActorDep
) -> Response:
    if actor is None:
        return login_redirect(request)
    roster = services.get_roster(session, grid_code, actor=actor)
    roles = services.list_roster_roles(session, actor=actor)
    forms = (
        [roster_form(roster.grid_code, [(r.code, r.name) for r in roles])]
        if actor.can(Perm.ROSTER_WRITE)
        else []
    )
    return render(
        request,
        "network_roster.html",
        actor=actor,
        roster=roster,
        missing=[r.name for r in roles if not any(ln.role_code == r.code for ln in roster.lines)],
        forms=forms,
    )

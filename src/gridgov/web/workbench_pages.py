"""The workbench (工作台): one page per role over the same case list — the center operator's
queue (accept, classify, dispatch, check, spot checks, with bulk actions), a department's cases
to receive, handle and feed back (and those it assists), and a street's or community's cases in
its area. A map preview shows where the listed cases are."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.events import services
from gridgov.events.models import Event
from gridgov.http import OptionalActorDep, SessionDep
from gridgov.kit.clock import now
from gridgov.kit.geojson import as_dict
from gridgov.kit.pagination import PageParams
from gridgov.orgs import services as orgs
from gridgov.orgs.models import OrgKind
from gridgov.regions import services as regions
from gridgov.web.rendering import PAGE_SIZE, login_redirect, pager, render
from gridgov.web.svg import outline_svg

router = APIRouter(include_in_schema=False)
Text = Annotated[str | None, Query(max_length=100)]


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    filters: dict[str, Any] = field(default_factory=dict)
    needs: Perm | None = None
    # Only for accounts that belong to departments (handlers).
    departments_only: bool = False
    # The bulk actions offered on this tab (to operators who may perform them).
    bulk: tuple[str, ...] = ()


TABS = (
    Tab("new", "待受理", {"status": "reported"}, Perm.EVENTS_DISPATCH, bulk=("accept", "void")),
    Tab("accepted", "待派遣", {"status": "accepted"}, Perm.EVENTS_DISPATCH, bulk=("dispatch",)),
    Tab("to_receive", "待签收", {"status": "dispatched"}, Perm.EVENTS_HANDLE, True, ("receive",)),
    Tab("handling", "处置中", {"status": "handling"}, Perm.EVENTS_HANDLE, True),
    Tab("assisting", "待协办反馈", {"assist_pending": True}, Perm.EVENTS_HANDLE, True),
    Tab("extension", "延期审批", {"status": "extension_requested"}, Perm.EVENTS_DISPATCH),
    Tab("to_check", "待核查", {"status": "feedback"}, Perm.EVENTS_CHECK, bulk=("approve",)),
    Tab("spot_check", "自办结抽查", {"spot_check": "pending"}, Perm.EVENTS_CHECK),
    Tab("overdue", "已超时", {"overdue": True}, Perm.EVENTS_READ),
    Tab("all", "全部", {}, Perm.EVENTS_READ),
)
BULK_LABELS = {
    "accept": "批量受理",
    "void": "批量作废",
    "dispatch": "批量派遣",
    "receive": "批量签收",
}
BULK_LABELS["approve"] = "批量核查通过"


def tabs_for(actor: Actor) -> list[Tab]:
    is_department = actor.scope.department_ids is not None
    return [
        t
        for t in TABS
        if (t.needs is None or actor.can(t.needs)) and (is_department or not t.departments_only)
    ]


def _map(session: SessionDep, actor: Actor, events: list[Event]) -> Any:
    roots = regions.scope_roots(session, actor=actor) if actor.can(Perm.REGIONS_READ) else []
    if not roots:
        return None
    root = roots[0]
    children, _ = regions.list_regions(
        session, actor=actor, parent_code=root.code, page=PageParams(page=1, page_size=500)
    )
    moment = now()
    return outline_svg(
        as_dict(root.geometry),
        [(c.code, as_dict(c.geometry)) for c in children if c.level != "special_grid"],
        width=420,
        height=320,
        points=[
            (e.lon, e.lat, f"/events/{e.id}", f"{e.code} {e.title}", services.sla_flag(e, moment))
            for e in events
        ],
    )


@router.get("/workbench")
def workbench_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    tab: Text = None,
    q: Text = None,
    category_code: Text = None,
    region_code: Text = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    if actor is None:
        return login_redirect(request)
    tabs = tabs_for(actor)
    current = next((t for t in tabs if t.key == tab), tabs[0] if tabs else None)
    if current is None:
        return render(request, "error.html", status_code=403, message="当前账号没有事件办理权限")
    filters = services.event_filter(
        session,
        actor=actor,
        query=q,
        category_code=category_code,
        region_code=region_code,
        **current.filters,
    )
    rows, total = services.search_events(
        session, filters, actor=actor, page=PageParams(page=page, page_size=PAGE_SIZE)
    )
    versions = services.versions(session, rows)
    names = {c.code: c.name for c in services.list_categories(session, actor=actor)}
    departments: list[tuple[int, str]] = []
    if "dispatch" in current.bulk and actor.can(Perm.ORGS_READ):
        listed, _ = orgs.list_organisations(
            session, actor=actor, kind=OrgKind.DEPARTMENT, page=PageParams(page=1, page_size=200)
        )
        departments = [(o.id, o.name) for o in listed]
    bulk = [(a, BULK_LABELS[a]) for a in current.bulk if _may_bulk(actor, a)]
    export_params = {
        k: v
        for k, v in {
            "q": q,
            "category_code": category_code,
            "region_code": region_code,
            **{k: str(v).lower() if isinstance(v, bool) else v for k, v in current.filters.items()},
        }.items()
        if v
    }
    return render(
        request,
        "workbench.html",
        actor=actor,
        tabs=tabs,
        current=current,
        rows=[(e, versions[e.id]) for e in rows],
        names=names,
        labels=services.state_labels(session),
        sla={e.id: services.sla_flag(e, now()) for e in rows},
        outline=_map(session, actor, rows),
        bulk=bulk,
        departments=departments,
        categories=sorted((c, n) for c, n in names.items() if len(c) > 2),
        q=q or "",
        category_code=category_code or "",
        region_code=region_code or "",
        export_query=urlencode(export_params),
        pager=pager(request, page, total, cap=services.LIST_COUNT_CAP),
    )


def _may_bulk(actor: Actor, action: str) -> bool:
    needs = {
        "accept": Perm.EVENTS_DISPATCH,
        "void": Perm.EVENTS_DISPATCH,
        "dispatch": Perm.EVENTS_DISPATCH,
        "receive": Perm.EVENTS_HANDLE,
        "approve": Perm.EVENTS_CHECK,
    }
    return actor.can(needs[action])

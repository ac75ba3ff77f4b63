"""Pages for cases: the list every role sees within its scope (the operator's queue, a
department's cases, a street's cases) and the case page with its timeline and the actions the
account may take."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.events import dispatching, services
from gridgov.events.api import event_detail
from gridgov.events.models import EVENT_LEVEL_LABELS, SOURCE_LABELS, URGENCY_LABELS, Source
from gridgov.events.schemas import EventDetail
from gridgov.http import OptionalActorDep, SessionDep
from gridgov.kit.clock import format_local, now
from gridgov.kit.errors import AppError
from gridgov.kit.geojson import as_dict
from gridgov.kit.pagination import PageParams
from gridgov.orgs import services as orgs
from gridgov.orgs.models import OrgKind
from gridgov.regions import services as regions
from gridgov.web.forms import event_action_form
from gridgov.web.registry_pages import Filter
from gridgov.web.rendering import PAGE_SIZE, login_redirect, pager, render, templates
from gridgov.web.svg import Outline, outline_svg

router = APIRouter(include_in_schema=False)
Text = Annotated[str | None, Query(max_length=100)]
templates.env.globals.update(
    SOURCE_LABELS={k.value: v for k, v in SOURCE_LABELS.items()},
    URGENCY_LABELS={k.value: v for k, v in URGENCY_LABELS.items()},
    EVENT_LEVEL_LABELS={k.value: v for k, v in EVENT_LEVEL_LABELS.items()},
)


@router.get("/events")
def events_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    status: Text = None,
    category_code: Text = None,
    source: Text = None,
    region_code: Text = None,
    overdue: Text = None,
    q: Text = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    if actor is None:
        return login_redirect(request)
    filters = services.event_filter(
        session,
        actor=actor,
        status=status,
        category_code=category_code,
        source=source,
        region_code=region_code,
        overdue=overdue == "true",
        query=q,
    )
    rows, total = services.search_events(
        session, filters, actor=actor, page=PageParams(page=page, page_size=PAGE_SIZE)
    )
    labels = services.state_labels(session)
    names = {c.code: c.name for c in services.list_categories(session, actor=actor)}
    moment = now()
    return render(
        request,
        "list.html",
        actor=actor,
        title="事件办理",
        intro="按管辖范围显示：坐席看到全区待受理与待派遣，部门看到派给本部门的案件，镇街和社区看到本辖区的案件。",
        columns=["编号", "标题", "类别", "来源", "状态", "网格", "上报时间", "办结时限"],
        rows=[
            [
                (e.code, f"/events/{e.id}"),
                (e.title, f"/events/{e.id}"),
                (names.get(e.category_code, e.category_code), None),
                (SOURCE_LABELS[Source(e.source)], None),
                (labels.get(e.status, e.status), None),
                (e.region_path.rstrip("/").split("/")[-1], None),
                (format_local(e.created_at), None),
                (
                    format_local(e.deadline_at)
                    + (
                        " 超时"
                        if e.closed_at is None and e.status != "voided" and e.deadline_at < moment
                        else ""
                    ),
                    None,
                ),
            ]
            for e in rows
        ],
        filters=[
            Filter("q", "标题、编号或地址", q),
            Filter("status", "状态", status, sorted(labels.items())),
            Filter("category_code", "类别", category_code, sorted(names.items())),
            Filter(
                "source", "来源", source, [(s.value, label) for s, label in SOURCE_LABELS.items()]
            ),
            Filter("region_code", "区域编码", region_code),
            Filter("overdue", "是否超时", overdue, [("true", "只看超时")]),
        ],
        pager=pager(request, page, total, cap=services.LIST_COUNT_CAP),
        empty="没有符合条件的事件。",
    )


@router.get("/events/{event_id}")
def event_page(
    request: Request, event_id: int, session: SessionDep, actor: OptionalActorDep
) -> Response:
    if actor is None:
        return login_redirect(request)
    event = services.get_event(session, event_id, actor=actor)
    detail = event_detail(session, event, actor)
    departments: list[tuple[int, str]] = []
    if any(a.action in ("dispatch", "reassign") for a in detail.actions) and actor.can(
        Perm.ORGS_READ
    ):
        listed, _ = orgs.list_organisations(
            session, actor=actor, kind=OrgKind.DEPARTMENT, page=PageParams(page=1, page_size=200)
        )
        departments = [(o.id, o.name) for o in listed]
    recommended: dict[int, str] = {}
    reason = ""
    if departments and actor.can(Perm.EVENTS_DISPATCH):
        found = dispatching.recommendation(session, event.id, actor=actor)
        reason = found.decision.reason
        if found.responsible_unit:
            reason += f"；网格责任单元：{found.responsible_unit}"
        for candidate in found.decision.candidates:
            department_id = found.department_ids.get(candidate.department_code)
            if department_id is not None:
                recommended[department_id] = (
                    f"推荐，置信度 {candidate.confidence:.0%}"
                    if candidate.confidence is not None
                    else "推荐"
                )
    department = None
    if event.department_id is not None:
        department = next(
            (
                s.data.get("department")
                for s in reversed(detail.timeline)
                if s.data.get("department")
            ),
            None,
        )
    return render(
        request,
        "event.html",
        actor=actor,
        event=detail,
        department=department,
        # 合并为根源案件 (alerts): the root case of a repeat, the repeats of a root case.
        root_case=(event.extra or {}).get("root_case"),
        root_of=(event.extra or {}).get("root_of", []),
        outline=_case_map(session, actor, detail),
        forms=[
            event_action_form(
                event.id,
                detail.version,
                a.action,
                a.label,
                a.required,
                departments,
                categories=[
                    (c.code, c.name)
                    for c in services.list_categories(session, actor=actor)
                    if c.parent_code
                ]
                if a.action == "classify"
                else [],
                duplicate_ids=[d.id for d in detail.duplicates],
                recommended=recommended,
                recommendation_reason=reason,
            )
            for a in detail.actions
        ],
    )


def _case_map(session: SessionDep, actor: Actor, detail: EventDetail) -> Outline | None:
    """The case's grid with the case (red when overdue) and its possible duplicates marked."""
    if not actor.can(Perm.REGIONS_READ):
        return None
    try:
        grid = regions.get_region(session, detail.grid_code, actor=actor)
    except AppError:
        return None
    points = [
        (d.lon, d.lat, f"/events/{d.id}", f"疑似重复 {d.code}", "duplicate")
        for d in detail.duplicates
    ]
    points.append((detail.lon, detail.lat, f"/events/{detail.id}", detail.code, detail.sla))
    return outline_svg(as_dict(grid.geometry), [], width=320, height=240, points=points)

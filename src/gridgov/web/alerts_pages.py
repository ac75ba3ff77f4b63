"""预警 pages: the alerts of the account's area (filters by kind, status, region) and one
alert with its explanation, the cases behind it and the acknowledge / close / 合并为根源案件
forms. They call the same services as the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from gridgov.accounts.permissions import Perm
from gridgov.alerts import services
from gridgov.alerts.api import alert_detail, alert_out
from gridgov.alerts.models import ALERT_KIND_LABELS, ALERT_STATUS_LABELS
from gridgov.http import OptionalActorDep, SessionDep
from gridgov.kit.pagination import PageParams
from gridgov.web.registry_pages import Filter
from gridgov.web.rendering import PAGE_SIZE, login_redirect, pager, render

router = APIRouter(include_in_schema=False)
Text = Annotated[str | None, Query(max_length=100)]


@router.get("/alerts")
def alerts_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    status: Text = "open",
    kind: Text = None,
    region_code: Text = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    if actor is None:
        return login_redirect(request)
    rows, total = services.list_alerts(
        session,
        actor=actor,
        page=PageParams(page=page, page_size=PAGE_SIZE),
        status=status or "all",
        kind=kind,
        region_code=region_code,
    )
    counts = services.alert_counts(session, actor=actor, region_code=region_code or None)
    return render(
        request,
        "alerts.html",
        actor=actor,
        alerts=[alert_out(a) for a in rows],
        counts=[(k.value, label, counts.get(k.value, 0)) for k, label in ALERT_KIND_LABELS.items()],
        filters=[
            Filter(
                "status",
                "状态（全部）",
                status or "",
                [(k.value, v) for k, v in ALERT_STATUS_LABELS.items()],
            ),
            Filter("kind", "预警类型", kind, [(k.value, v) for k, v in ALERT_KIND_LABELS.items()]),
            Filter("region_code", "区域编码", region_code),
        ],
        pager=pager(request, page, total, cap=services.LIST_COUNT_CAP),
        can_root=services.may_make_root_case(actor),
    )


@router.get("/alerts/{alert_id}")
def alert_page(
    request: Request, alert_id: int, session: SessionDep, actor: OptionalActorDep
) -> Response:
    if actor is None:
        return login_redirect(request)
    detail = alert_detail(session, services.get_alert(session, alert_id, actor=actor), actor)
    return render(
        request,
        "alert.html",
        actor=actor,
        alert=detail,
        can_handle=actor.can(Perm.ALERTS_HANDLE),
        can_root=services.may_make_root_case(actor),
    )

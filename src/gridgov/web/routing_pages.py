"""The routing admin page (智能分拨): figures (automatic share, return rate after automatic
dispatch, accuracy by month), rule set versions with an editor, model versions, and the what-if
replay of a draft rule set or model over past cases before it is activated."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from gridgov.accounts.permissions import Perm
from gridgov.events import dispatching
from gridgov.events.services import SUBJECT
from gridgov.http import OptionalActorDep, SessionDep
from gridgov.routing import services
from gridgov.routing.catalog import DEMO_RULES
from gridgov.routing.rules import RuleSetSpec
from gridgov.web.rendering import login_redirect, render, render_error

router = APIRouter(include_in_schema=False)

SOURCE_LABELS = {
    "citizen": "群众",
    "grid_worker": "网格员",
    "department": "部门",
    "street": "镇街",
    "community": "社区",
    "hotline": "12345热线",
    "sensor": "感知设备",
}


def conditions_text(rule: dict[str, Any]) -> str:
    when = rule.get("when", {})
    parts = []
    if when.get("categories"):
        parts.append("类别 " + "、".join(when["categories"]))
    if when.get("regions"):
        parts.append("区域 " + "、".join(when["regions"]))
    if when.get("sources"):
        parts.append("来源 " + "、".join(SOURCE_LABELS.get(s, s) for s in when["sources"]))
    if when.get("urgencies"):
        parts.append("紧急程度 " + "、".join(when["urgencies"]))
    if when.get("weekdays"):
        parts.append("星期 " + "、".join(str(d) for d in when["weekdays"]))
    if when.get("hours"):
        parts.append(f"{when['hours']['start']}–{when['hours']['end']} 时")
    if when.get("keywords"):
        parts.append("关键词 " + "、".join(when["keywords"]))
    return "；".join(parts) or "全部案件"


@router.get("/admin/routing")
def routing_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    months: Annotated[int, Query(ge=1, le=36)] = 12,
) -> Response:
    if actor is None:
        return login_redirect(request)
    if not actor.can(Perm.ROUTING_WRITE):
        return render_error(request, 403, "只有管理员可以配置智能分拨")
    rule_sets = services.list_rule_sets(session, actor=actor)
    shown = next(
        (r for r in rule_sets if r.status == "active"), rule_sets[0] if rule_sets else None
    )
    editing = rule_sets[0].document if rule_sets else DEMO_RULES
    return render(
        request,
        "routing.html",
        actor=actor,
        figures=services.metrics(session, SUBJECT, actor=actor, months=months),
        months=months,
        rule_sets=rule_sets,
        shown=shown,
        rules=(shown.document.get("rules", []) if shown else []),
        conditions_text=conditions_text,
        models=services.list_models(session, actor=actor),
        document_json=json.dumps(editing, ensure_ascii=False, indent=2),
    )


@router.get("/admin/routing/replay")
def replay_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    rule_set_version: Annotated[int | None, Query(ge=1)] = None,
    model_version: Annotated[int | None, Query(ge=1)] = None,
    months: Annotated[int, Query(ge=1, le=36)] = 6,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 20_000,
) -> Response:
    if actor is None:
        return login_redirect(request)
    if not actor.can(Perm.ROUTING_WRITE):
        return render_error(request, 403, "只有管理员可以配置智能分拨")
    draft = None
    if rule_set_version is not None:
        row = services.get_rule_set(session, rule_set_version, actor=actor)
        draft = (row.version, RuleSetSpec.model_validate(row.document))
    cases = dispatching.replay_cases(session, actor=actor, months=months, limit=limit)
    report = services.replay(
        session, cases, actor=actor, draft_rules=draft, draft_model_version=model_version
    )
    return render(
        request,
        "routing_replay.html",
        actor=actor,
        report=report,
        rule_set_version=rule_set_version,
        model_version=model_version,
        months=months,
    )

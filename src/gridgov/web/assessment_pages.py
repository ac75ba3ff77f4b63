"""绩效考核 pages: the monthly board (scheme, month and area selectors; ranking table;
per-target breakdown; the rows behind a part) and, for administrators and leaders, the scheme
editor (plain form rows) and freezing a month. They call the same services as the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from gridgov.accounts.permissions import Perm
from gridgov.assessment import services
from gridgov.assessment.indicators import BY_CODE, LIBRARY, RULE_LABELS, TARGET_LABELS
from gridgov.assessment.schemas import ItemIn, SchemeIn
from gridgov.http import OptionalActorDep, SessionDep
from gridgov.kit.errors import AppError
from gridgov.web.rendering import form_actor, login_redirect, render

router = APIRouter(include_in_schema=False)
EDITOR_ROWS = 8


def _months(count: int = 13) -> list[str]:
    month = services.this_month()
    found = []
    for _ in range(count):
        found.append(f"{month:%Y-%m}")
        month = services.previous_month(month)
    return found


@router.get("/assessment")
def board_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    scheme: Annotated[str | None, Query(max_length=40)] = None,
    target_type: Annotated[str | None, Query(max_length=20)] = None,
    month: Annotated[str | None, Query(max_length=7)] = None,
    region_code: Annotated[str | None, Query(max_length=40)] = None,
    target: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    if actor is None:
        return login_redirect(request)
    schemes = services.list_schemes(session, actor=actor)
    board = None
    error = None
    try:
        board = services.scores(
            session,
            actor=actor,
            scheme_code=scheme or None,
            target_type=target_type or None,
            month=services.parse_month(month),
            region_code=region_code or None,
        )
    except AppError as refused:
        if refused.status_code == 403:
            raise
        error = refused.message
    selected = None
    if board and target:
        selected = next((r for r in board.rows if r.target_key == target), None)
    frozen = {
        (s.scheme_code, f"{s.month:%Y-%m}") for s in services.list_snapshots(session, actor=actor)
    }
    query: dict[str, Any] = {
        "scheme": board.scheme_code if board else scheme,
        "month": f"{board.month:%Y-%m}" if board else month,
        "region_code": region_code,
    }
    base = "&".join(f"{k}={v}" for k, v in query.items() if v)
    return render(
        request,
        "assessment.html",
        actor=actor,
        schemes=schemes,
        board=board,
        error=error,
        selected=selected,
        months=_months(),
        frozen=frozen,
        base=base,
        region_code=region_code or "",
        indicators=BY_CODE,
        rules=RULE_LABELS,
        targets=TARGET_LABELS,
        can_write=actor.can(Perm.ASSESSMENT_WRITE),
        previous=f"{services.previous_month():%Y-%m}",
    )


@router.get("/assessment/rows")
def drill_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    target_key: Annotated[str, Query(max_length=40)],
    indicator: Annotated[str, Query(max_length=40)],
    scheme: Annotated[str | None, Query(max_length=40)] = None,
    month: Annotated[str | None, Query(max_length=7)] = None,
    part: Annotated[str, Query(max_length=20)] = "numerator",
    region_code: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    if actor is None:
        return login_redirect(request)
    found = services.drill(
        session,
        actor=actor,
        scheme_code=scheme or None,
        month=services.parse_month(month),
        target_key=target_key,
        indicator=indicator,
        part=part,
        region_code=region_code or None,
    )
    href = {"cases": "/events/{}", "patrols": "/api/v1/patrols/{}", "visits": "/api/v1/visits/{}"}
    rows = [[(str(i), href[found.kind].format(i))] for i in found.ids[:500]]
    return render(
        request,
        "list.html",
        actor=actor,
        title=f"{BY_CODE[indicator].name}：{found.label}（对象 {target_key}，{month or ''}）",
        intro=(
            f"共 {len(found.ids):,} 条（按当前数据读取；"
            "已冻结月份如其后案件有变动，可能与冻结时的数字不同）。" + (found.note or "")
        ),
        columns=[{"cases": "案件", "patrols": "巡查", "visits": "走访"}.get(found.kind, "记录")],
        rows=rows,
        empty=found.note or "没有记录。",
    )


def _editor(
    request: Request,
    actor: Any,
    scheme: Any,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    items = list(scheme.items) if scheme is not None else []
    items += [{}] * max(0, EDITOR_ROWS - len(items))
    return render(
        request,
        "assessment_scheme.html",
        status_code=status_code,
        actor=actor,
        scheme=scheme,
        items=items,
        library=LIBRARY,
        rules=RULE_LABELS,
        targets=TARGET_LABELS,
        error=error,
    )


@router.get("/assessment/schemes/new")
def new_scheme_page(request: Request, actor: OptionalActorDep) -> Response:
    if actor is None:
        return login_redirect(request)
    actor.require(Perm.ASSESSMENT_WRITE)
    return _editor(request, actor, None)


@router.get("/assessment/schemes/{scheme_code}")
def scheme_page(
    scheme_code: str, request: Request, session: SessionDep, actor: OptionalActorDep
) -> Response:
    if actor is None:
        return login_redirect(request)
    actor.require(Perm.ASSESSMENT_WRITE)
    return _editor(request, actor, services.get_scheme(session, scheme_code, actor=actor))


class _Posted:
    """What the editor form posted, shaped like a scheme for re-rendering after an error."""

    def __init__(self, data: SchemeIn) -> None:
        self.code = data.code
        self.name = data.name
        self.target_type = data.target_type
        self.description = data.description
        self.is_active = data.is_active
        self.version = None
        self.items = [i.model_dump() for i in data.items]


def _number(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return float("nan")


@router.post("/assessment/schemes")
def save_scheme(
    request: Request,
    session: SessionDep,
    code: Annotated[str, Form(max_length=40)],
    name: Annotated[str, Form(max_length=100)],
    target_type: Annotated[str, Form(max_length=20)],
    indicator: Annotated[list[str], Form()],
    weight: Annotated[list[str], Form()],
    rule: Annotated[list[str], Form()],
    floor: Annotated[list[str], Form()],
    target: Annotated[list[str], Form()],
    csrf_token: Annotated[str, Form()] = "",
    description: Annotated[str, Form(max_length=500)] = "",
    is_active: Annotated[bool, Form()] = False,
    existing: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    actor = form_actor(request, session, csrf_token)
    if actor is None:
        return login_redirect(request)
    actor.require(Perm.ASSESSMENT_WRITE)
    items = [
        ItemIn(
            indicator=ind,
            weight=_number(w) or 0.0,
            rule=r or "linear",
            floor=_number(f),
            target=_number(t),
        )
        for ind, w, r, f, t in zip(indicator, weight, rule, floor, target, strict=False)
        if ind.strip()
    ]
    try:
        data = SchemeIn(
            code=code.strip(),
            name=name,
            target_type=target_type,
            items=items,
            description=description,
            is_active=is_active,
        )
    except ValueError:
        return _editor(request, actor, None, "方案编码应为小写字母开头的字母、数字或下划线", 422)
    try:
        if existing:
            services.update_scheme(session, existing, data, actor=actor)
        else:
            services.create_scheme(session, data, actor=actor)
    except AppError as refused:
        return _editor(request, actor, _Posted(data), refused.message, refused.status_code)
    return RedirectResponse(f"/assessment?scheme={data.code}", status_code=303)


@router.post("/assessment/snapshots")
def freeze_page(
    request: Request,
    session: SessionDep,
    scheme: Annotated[str, Form(max_length=40)],
    month: Annotated[str, Form(max_length=7)],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    actor = form_actor(request, session, csrf_token)
    if actor is None:
        return login_redirect(request)
    services.freeze(session, scheme, services.parse_month(month), actor=actor)
    return RedirectResponse(f"/assessment?scheme={scheme}&month={month}", status_code=303)


@router.post("/assessment/defaults")
def defaults_page(
    request: Request, session: SessionDep, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    actor = form_actor(request, session, csrf_token)
    if actor is None:
        return login_redirect(request)
    services.install_defaults(session, actor=actor)
    return RedirectResponse("/assessment", status_code=303)

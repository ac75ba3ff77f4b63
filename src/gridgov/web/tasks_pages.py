"""Pages of tasks (任务下发): the list with progress bars, the form to send one, and the task
page with every recipient's status, result and photos, where a recipient accepts and
completes their part and the sender withdraws the task. Every write goes through the JSON API
(``static/js/form.js``)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from gridgov.accounts.permissions import Perm
from gridgov.http import OptionalActorDep, SessionDep
from gridgov.kit.clock import format_local, now
from gridgov.kit.errors import PermissionDenied
from gridgov.kit.pagination import PageParams
from gridgov.tasks import services
from gridgov.tasks.models import (
    ASSIGNMENT_STATUS_LABELS,
    TASK_KIND_LABELS,
    TASK_STATUS_LABELS,
    TaskKind,
)
from gridgov.tasks.schemas import TaskDetail
from gridgov.web.forms import ApiForm, FormField
from gridgov.web.registry_pages import Filter
from gridgov.web.rendering import PAGE_SIZE, login_redirect, pager, render

router = APIRouter(include_in_schema=False)
Text = Annotated[str | None, Query(max_length=100)]


@router.get("/tasks")
def tasks_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    status: Text = None,
    kind: Text = None,
    overdue: Text = None,
    mine: Text = None,
    q: Text = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    if actor is None:
        return login_redirect(request)
    items, total = services.list_tasks(
        session,
        actor=actor,
        status=status or None,
        kind=kind if kind in {k.value for k in TaskKind} else None,
        mine=mine == "true",
        overdue=overdue == "true",
        query=q,
        page=PageParams(page=page, page_size=PAGE_SIZE),
    )
    sender = actor.can(Perm.TASKS_WRITE)
    statuses = [(k.value, v) for k, v in TASK_STATUS_LABELS.items()]
    if actor.can(Perm.TASKS_WORK):
        statuses += [
            (k.value, f"我的：{v}") for k, v in ASSIGNMENT_STATUS_LABELS.items() if k != "cancelled"
        ]
    return render(
        request,
        "tasks_list.html",
        actor=actor,
        tasks=items,
        sender=sender,
        filters=[
            Filter("q", "标题或说明", q),
            Filter("status", "状态", status, statuses),
            Filter("kind", "类型", kind, [(k.value, v) for k, v in TASK_KIND_LABELS.items()]),
            Filter("overdue", "是否超期", overdue, [("true", "只看超期未完成")]),
            *([Filter("mine", "范围", mine, [("true", "只看发给我的")])] if sender else []),
        ],
        pager=pager(request, page, total, cap=services.LIST_COUNT_CAP),
    )


def send_form(grids: list[tuple[str, str]], accounts: list[tuple[int, str]]) -> ApiForm:
    default_deadline = format_local(now() + timedelta(days=3))
    return ApiForm(
        "下发任务",
        "/api/v1/tasks",
        "POST",
        [
            FormField("title", "任务标题", required=True),
            FormField(
                "kind",
                "任务类型",
                kind="select",
                options=[(k.value, TASK_KIND_LABELS[k]) for k in TaskKind],
                value=TaskKind.PATROL_AREA.value,
                required=True,
            ),
            FormField("description", "任务要求", kind="textarea"),
            FormField(
                "deadline_at",
                "截止时间",
                value=default_deadline.replace(" ", "T"),
                required=True,
                hint="YYYY-MM-DDTHH:MM（本地时间）",
            ),
            FormField(
                "grid_codes",
                "下发到网格（网格内全部网格员接收；可多选）",
                kind="multiselect",
                options=list(grids),
            ),
            FormField(
                "assignee_ids",
                "下发到社会组织、企业（可多选）",
                kind="multiselect",
                data_type="integer-list",
                options=list(accounts),
            ),
            FormField("component_id", "部件 ID（部件核查）", data_type="integer"),
            FormField("household_ids", "走访户 ID（入户走访，用顿号分隔）", data_type="list"),
            FormField("campaign_id", "专项排查 ID（专项排查）", data_type="integer"),
            FormField(
                "geometry",
                "巡查区域（GeoJSON Polygon，WGS-84，可不填）",
                kind="textarea",
                data_type="json",
            ),
        ],
        submit="下发",
        next="/tasks/{id}",
    )


@router.get("/tasks/new")
def new_task_page(request: Request, session: SessionDep, actor: OptionalActorDep) -> Response:
    if actor is None:
        return login_redirect(request)
    if not actor.can(Perm.TASKS_WRITE):
        raise PermissionDenied("当前账号不能下发任务", code="permission_denied")
    targets = services.send_targets(session, actor=actor)
    return render(
        request,
        "tasks_new.html",
        actor=actor,
        form=send_form(targets.grids, targets.accounts),
    )


def _work_forms(detail: TaskDetail) -> list[ApiForm]:
    mine = detail.my_assignment
    if mine is None or mine.status not in ("sent", "accepted") or detail.status != "open":
        return []
    forms = []
    if mine.status == "sent":
        forms.append(
            ApiForm("接收任务", f"/api/v1/tasks/{detail.id}/accept", "POST", [], submit="接收")
        )
    forms.append(
        ApiForm(
            "提交任务结果",
            f"/api/v1/tasks/{detail.id}/complete",
            "POST",
            [
                # One id per rendered form: pressing submit twice records one result.
                FormField("client_id", "", kind="hidden", value=f"page-{uuid.uuid4().hex}"),
                FormField("result", "完成情况", kind="textarea", required=True),
                FormField(
                    "media_ids",
                    "现场照片",
                    kind="file",
                    hint="JPEG、PNG、WebP 照片或视频，可多选",
                ),
            ],
            submit="提交",
        )
    )
    return forms


@router.get("/tasks/{task_id}")
def task_page(
    request: Request, task_id: int, session: SessionDep, actor: OptionalActorDep
) -> Response:
    if actor is None:
        return login_redirect(request)
    detail = services.task_detail(session, task_id, actor=actor)
    forms = _work_forms(detail)
    if detail.can_cancel:
        forms.append(
            ApiForm(
                "撤销任务",
                f"/api/v1/tasks/{detail.id}/cancel",
                "POST",
                [FormField("reason", "撤销原因", kind="textarea")],
                submit="撤销",
            )
        )
    return render(request, "tasks_detail.html", actor=actor, task=detail, forms=forms)

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import JSONResponse

from gridgov.http import ActorDep, SessionDep
from gridgov.kit.pagination import Page, PageParams, page_params
from gridgov.tasks import services
from gridgov.tasks.models import TaskKind
from gridgov.tasks.schemas import AcceptIn, CancelIn, CompleteIn, TaskCreate, TaskDetail, TaskOut

router = APIRouter(prefix="/api/v1", tags=["tasks"])


@router.post("/tasks", response_model=TaskDetail, status_code=201, summary="下发任务")
def create_task(data: TaskCreate, session: SessionDep, actor: ActorDep) -> TaskDetail:
    return services.create_task(session, data, actor=actor)


@router.get(
    "/tasks",
    response_model=Page[TaskOut],
    summary="任务列表（发出方看辖区内进度，接收方看自己的任务）",
)
def list_tasks(
    session: SessionDep,
    actor: ActorDep,
    page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[
        str | None,
        Query(
            pattern="^(open|done|cancelled|sent|accepted|completed)$",
            description="任务状态 open/done/cancelled，或本人任务状态 sent/accepted/completed",
        ),
    ] = None,
    kind: TaskKind | None = None,
    mine: Annotated[bool, Query(description="只看发给我的任务")] = False,
    overdue: Annotated[bool, Query(description="只看已超期未完成的任务")] = False,
    campaign_id: int | None = None,
    q: Annotated[str | None, Query(max_length=100, description="标题或说明")] = None,
) -> Page[TaskOut]:
    items, total = services.list_tasks(
        session,
        actor=actor,
        status=status,
        kind=kind.value if kind else None,
        mine=mine,
        overdue=overdue,
        campaign_id=campaign_id,
        query=q,
        page=page,
    )
    return Page.of(items, total, page, cap=services.LIST_COUNT_CAP)


@router.get("/tasks/{task_id}", response_model=TaskDetail, summary="任务详情与各接收人进度")
def get_task(task_id: int, session: SessionDep, actor: ActorDep) -> TaskDetail:
    return services.task_detail(session, task_id, actor=actor)


@router.post("/tasks/{task_id}/accept", response_model=TaskDetail, summary="接收任务（本人）")
def accept_task(
    task_id: int,
    session: SessionDep,
    actor: ActorDep,
    data: Annotated[AcceptIn | None, Body()] = None,
) -> TaskDetail:
    return services.accept_task(session, task_id, data or AcceptIn(), actor=actor)


@router.post(
    "/tasks/{task_id}/complete",
    response_model=TaskDetail,
    status_code=201,
    summary="提交任务结果（本人；client_id 相同的重复提交只记一次）",
    responses={
        200: {"description": "同一 client_id 的重复提交，返回首次提交的结果"},
        409: {"description": "已完成（already_completed）或已撤销（task_cancelled）"},
    },
)
def complete_task(
    task_id: int, data: CompleteIn, session: SessionDep, actor: ActorDep
) -> TaskDetail | JSONResponse:
    detail, created = services.complete_task(session, task_id, data, actor=actor)
    if not created:
        return JSONResponse(detail.model_dump(mode="json"), status_code=200)
    return detail


@router.post("/tasks/{task_id}/cancel", response_model=TaskDetail, summary="撤销任务（发出方）")
def cancel_task(
    task_id: int,
    session: SessionDep,
    actor: ActorDep,
    data: Annotated[CancelIn | None, Body()] = None,
) -> TaskDetail:
    return services.cancel_task(session, task_id, data or CancelIn(), actor=actor)

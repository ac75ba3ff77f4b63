"""Tasks (任务下发): the center, a street or a community sends work to grid workers (directly or
through their grids) and to social participants; recipients accept and complete their part
with a result and photos; senders follow the progress in their area.

Who sees what: a task is read through its assignments. Senders (``tasks.write``) see every
task with an assignment in their scope, and only those assignments; recipients see their own
(ownership scope). Accounts and grids are resolved through ``accounts`` and ``regions``
services with the sender's scope, so nobody can send outside their area."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shapely.geometry import mapping
from sqlalchemy.orm import Session

from gridgov.accounts import services as accounts
from gridgov.accounts.actor import Actor
from gridgov.accounts.models import User
from gridgov.accounts.permissions import Perm, Role
from gridgov.accounts.scope import Scope
from gridgov.audit import services as audit
from gridgov.config import get_settings
from gridgov.kit import geo
from gridgov.kit.clock import format_local, now
from gridgov.kit.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from gridgov.kit.geojson import parse_polygon
from gridgov.kit.pagination import PageParams
from gridgov.media import services as media
from gridgov.media.schemas import MediaOut
from gridgov.notifications import services as notifications
from gridgov.regions import services as regions
from gridgov.regions.models import RegionLevel
from gridgov.registry import services as registry
from gridgov.tasks import repository
from gridgov.tasks.models import (
    ASSIGNMENT_STATUS_LABELS,
    OPEN_ASSIGNMENT_STATES,
    TASK_KIND_LABELS,
    TASK_STATUS_LABELS,
    AssignmentStatus,
    Task,
    TaskAssignment,
    TaskKind,
    TaskStatus,
)
from gridgov.tasks.repository import LIST_COUNT_CAP, TaskFilter
from gridgov.tasks.schemas import (
    AcceptIn,
    AssignmentDetail,
    AssignmentOut,
    CancelIn,
    CompleteIn,
    Progress,
    TaskCreate,
    TaskDetail,
    TaskOut,
)

# Media attached to one recipient's completed assignment; readable by whoever may read it.
SUBJECT = "task_assignment"
# Who can receive a task: grid workers, and social participants (#12: volunteer patrols,
# fire-safety self-inspection of their own premises).
RECIPIENT_ROLES = frozenset({Role.GRID_WORKER, Role.SOCIAL_ORG, Role.ENTERPRISE})
GRID_LEVELS = frozenset({RegionLevel.GRID.value, RegionLevel.SPECIAL_GRID.value})
REMIND_WITHIN = timedelta(hours=24)
TASK_STATES = frozenset(s.value for s in TaskStatus)
ASSIGNMENT_STATES = frozenset(s.value for s in AssignmentStatus)

__all__ = ["LIST_COUNT_CAP", "SUBJECT", "TaskCreate"]


def _user_id(actor: Actor) -> int:
    if actor.id is None:
        raise NotAuthenticated("系统账号不能接收任务", code="no_account")
    return actor.id


def view_scope(actor: Actor, *, mine: bool = False) -> Scope:
    """What part of the assignments an actor reads: their area if they send tasks, otherwise
    (or when asking for their own) the assignments addressed to them."""
    if not mine and actor.can(Perm.TASKS_WRITE):
        return actor.scope
    if actor.id is None:
        return Scope.nothing()
    return Scope(owner_id=actor.id)


def kind_label(kind: str) -> str:
    known = {k.value: label for k, label in TASK_KIND_LABELS.items()}
    return known.get(kind, kind)


def grid_code_of(path: str) -> str:
    return registry.grid_code(path) if path else ""


def common_path(paths: Sequence[str]) -> str:
    """The deepest region path that is a prefix of every path ("370811/370811002/")."""
    split = [[p for p in path.split("/") if p] for path in paths]
    if not split:
        return ""
    common: list[str] = []
    for parts in zip(*split, strict=False):
        if any(part != parts[0] for part in parts):
            break
        common.append(parts[0])
    return "".join(f"{part}/" for part in common)


# ---------------------------------------------------------------- sending


@dataclass
class _Recipient:
    user: User
    region_path: str


def _recipients(
    session: Session, data: TaskCreate, actor: Actor
) -> tuple[dict[int, _Recipient], list[str]]:
    found: dict[int, _Recipient] = {}
    grid_paths: list[str] = []
    codes = list(dict.fromkeys(data.grid_codes))
    if codes:
        by_code = {r.code: r for r in regions.regions_by_codes(session, codes, actor=actor)}
        missing = [code for code in codes if code not in by_code]
        if missing:
            raise InvalidInput(
                f"网格 {'、'.join(missing[:5])} 不存在或不在您的管辖范围内",
                code="grid_not_found",
                grid_codes=missing[:20],
            )
        for code in codes:
            region = by_code[code]
            if region.level not in GRID_LEVELS:
                raise InvalidInput(f"{code} 不是网格", code="not_a_grid", grid_code=code)
            workers = [u for _a, u in accounts.grid_workers(session, region, actor=actor)]
            workers = [u for u in workers if u.is_active]
            if not workers:
                raise InvalidInput(
                    f"网格 {region.name} 没有在岗网格员",
                    code="grid_without_workers",
                    grid_code=code,
                )
            grid_paths.append(region.path)
            for user in workers:
                found.setdefault(user.id, _Recipient(user, region.path))
    for user_id in dict.fromkeys(data.assignee_ids):
        try:
            user = accounts.get_user(session, user_id, actor=actor)
        except NotFound as exc:
            raise InvalidInput(
                f"接收人 {user_id} 不存在或不在您的管辖范围内",
                code="assignee_not_found",
                user_id=user_id,
            ) from exc
        if Role(user.role) not in RECIPIENT_ROLES:
            raise InvalidInput(
                f"{user.display_name} 不能接收任务（只能发给网格员、社会组织和企业）",
                code="not_a_recipient",
                user_id=user_id,
            )
        if not user.is_active:
            raise InvalidInput(f"{user.display_name} 的账号已停用", code="assignee_inactive")
        if not actor.scope.covers_path(user.region_path):
            raise PermissionDenied("接收人不在您的管辖范围内", code="out_of_scope")
        found.setdefault(user.id, _Recipient(user, user.region_path))
    if not found:
        raise InvalidInput("请指定接收任务的网格或人员", code="no_recipients")
    return found, grid_paths


def _check_targets(session: Session, data: TaskCreate, actor: Actor) -> dict[str, Any] | None:
    if data.kind == TaskKind.INSPECT_COMPONENT and data.component_id is None:
        raise InvalidInput("部件核查任务须指明部件 component_id", code="component_required")
    if data.kind == TaskKind.VISIT_HOUSEHOLDS and not data.household_ids:
        raise InvalidInput("入户走访任务须列出走访的户 household_ids", code="households_required")
    if data.kind == TaskKind.CAMPAIGN_SCREENING and data.campaign_id is None:
        raise InvalidInput("专项排查任务须指明排查活动 campaign_id", code="campaign_required")
    if data.component_id is not None:
        try:
            registry.get_component(session, data.component_id, actor=actor)
        except NotFound as exc:
            raise InvalidInput(
                f"部件 {data.component_id} 不存在或不在您的管辖范围内",
                code="component_not_found",
            ) from exc
    for household_id in dict.fromkeys(data.household_ids):
        try:
            registry.get_household(session, household_id, actor=actor)
        except NotFound as exc:
            raise InvalidInput(
                f"户 {household_id} 不存在或不在您的管辖范围内", code="household_not_found"
            ) from exc
    if data.geometry is None:
        return None
    polygon = parse_polygon(geo.geometry_to_wgs84(data.geometry, geo.parse_crs(data.crs)))
    geometry: dict[str, Any] = dict(mapping(polygon))
    geometry["coordinates"] = [[list(xy) for xy in ring] for ring in geometry["coordinates"]]
    return geometry


def create_task(session: Session, data: TaskCreate, *, actor: Actor) -> TaskDetail:
    """Send a task: one assignment per recipient (a grid's workers, named accounts), each told
    through their inbox. The sender's scope must hold every grid and every recipient."""
    actor.require(Perm.TASKS_WRITE)
    moment = now()
    if data.deadline_at.tzinfo is None:  # a time typed on a page: the district's local time
        data = data.model_copy(
            update={"deadline_at": data.deadline_at.replace(tzinfo=ZoneInfo(_zone()))}
        )
    if data.deadline_at <= moment:
        raise InvalidInput("截止时间必须晚于当前时间", code="deadline_in_past")
    recipients, grid_paths = _recipients(session, data, actor)
    geometry = _check_targets(session, data, actor)
    task = Task(
        title=data.title,
        kind=data.kind.value,
        description=data.description,
        deadline_at=data.deadline_at,
        created_by=actor.id,
        created_by_name=actor.display_name or actor.username,
        region_path=common_path([r.region_path for r in recipients.values()]),
        target_grid_paths=grid_paths,
        component_id=data.component_id,
        household_ids=list(dict.fromkeys(data.household_ids)),
        campaign_id=data.campaign_id,
        geometry=geometry,
        status=TaskStatus.OPEN.value,
        created_at=moment,
        updated_at=moment,
    )
    assignments = [
        TaskAssignment(
            user_id=user_id,
            user_name=r.user.display_name,
            region_path=r.region_path,
            status=AssignmentStatus.SENT.value,
            created_at=moment,
        )
        for user_id, r in recipients.items()
    ]
    repository.add_task(session, task, assignments)
    audit.record(
        session,
        actor=actor,
        action="task.create",
        object_type="task",
        object_id=task.id,
        region_path=task.region_path,
        summary=f"下发任务「{task.title}」给 {len(assignments)} 人",
        details={
            "kind": task.kind,
            "recipients": sorted(recipients),
            "grid_codes": [grid_code_of(p) for p in grid_paths],
        },
    )
    notifications.notify(
        session,
        list(recipients),
        kind="task",
        title=f"新任务：{task.title}",
        body=f"{kind_label(task.kind)}，截止 {_local(task.deadline_at)}",
        link=f"/tasks/{task.id}",
    )
    return task_view(session, task, actor=actor)


def _zone() -> str:
    return get_settings().timezone


def _local(moment: datetime) -> str:
    return format_local(moment, _zone())


@dataclass(frozen=True)
class SendTargets:
    """What a sender may choose from on the page: grids and social accounts in their scope."""

    grids: list[tuple[str, str]]
    accounts: list[tuple[int, str]]


def send_targets(session: Session, *, actor: Actor) -> SendTargets:
    actor.require(Perm.TASKS_WRITE)
    grids: list[tuple[str, str]] = []
    for level in (RegionLevel.GRID, RegionLevel.SPECIAL_GRID):
        rows, _total = regions.list_regions(
            session, actor=actor, level=level.value, page=PageParams(page=1, page_size=500)
        )
        grids += [(r.code, f"{r.name}（{r.code}）") for r in rows]
    accounts_found: list[tuple[int, str]] = []
    for role in (Role.SOCIAL_ORG, Role.ENTERPRISE):
        users, _total = accounts.list_users(
            session, actor=actor, role=role, page=PageParams(page=1, page_size=200)
        )
        accounts_found += [(u.id, u.display_name) for u in users if u.is_active]
    return SendTargets(grids=grids, accounts=accounts_found)


# ---------------------------------------------------------------- reading


def get_task(session: Session, task_id: int, *, actor: Actor, mine: bool = False) -> Task:
    actor.require(Perm.TASKS_READ)
    task = repository.get_task(session, view_scope(actor, mine=mine), task_id)
    if task is None:
        raise NotFound(f"任务 {task_id} 不存在或不在您的管辖范围内", code="task_not_found")
    return task


def _overdue(task: Task, status: str, moment: datetime) -> bool:
    return (
        status in OPEN_ASSIGNMENT_STATES
        and task.status == TaskStatus.OPEN
        and (task.deadline_at < moment)
    )


def assignment_out(assignment: TaskAssignment, task: Task, moment: datetime) -> AssignmentOut:
    status = AssignmentStatus(assignment.status)
    return AssignmentOut(
        id=assignment.id,
        task_id=assignment.task_id,
        user_id=assignment.user_id,
        user_name=assignment.user_name,
        grid_code=grid_code_of(assignment.region_path),
        status=status,
        status_label=ASSIGNMENT_STATUS_LABELS[status],
        accepted_at=assignment.accepted_at,
        completed_at=assignment.completed_at,
        result=assignment.result,
        values=dict(assignment.values or {}),
        media_ids=list(assignment.media_ids or []),
        overdue=_overdue(task, assignment.status, moment),
    )


def _progress(task: Task, counts: dict[str, int], moment: datetime) -> Progress:
    open_count = sum(counts.get(s, 0) for s in OPEN_ASSIGNMENT_STATES)
    overdue = open_count if _overdue(task, AssignmentStatus.SENT.value, moment) else 0
    return Progress(
        total=sum(counts.values()),
        sent=counts.get(AssignmentStatus.SENT.value, 0),
        accepted=counts.get(AssignmentStatus.ACCEPTED.value, 0),
        completed=counts.get(AssignmentStatus.COMPLETED.value, 0),
        cancelled=counts.get(AssignmentStatus.CANCELLED.value, 0),
        overdue=overdue,
    )


def _task_out(
    task: Task,
    scope: Scope,
    counts: dict[str, int],
    mine: TaskAssignment | None,
    moment: datetime,
) -> TaskOut:
    kind = TaskKind(task.kind)
    status = TaskStatus(task.status)
    return TaskOut(
        id=task.id,
        title=task.title,
        kind=kind,
        kind_label=TASK_KIND_LABELS[kind],
        description=task.description,
        deadline_at=task.deadline_at,
        overdue=task.status == TaskStatus.OPEN and task.deadline_at < moment,
        status=status,
        status_label=TASK_STATUS_LABELS[status],
        created_by=task.created_by,
        created_by_name=task.created_by_name,
        created_at=task.created_at,
        region_code=grid_code_of(task.region_path),
        # Only the target grids the reader may see: a district-wide task read by one street
        # names that street's grids, not the others'.
        grid_codes=[grid_code_of(p) for p in task.target_grid_paths or [] if _covers(scope, p)],
        component_id=task.component_id,
        household_ids=list(task.household_ids or []),
        campaign_id=task.campaign_id,
        geometry=task.geometry,
        progress=_progress(task, counts, moment),
        my_assignment=assignment_out(mine, task, moment) if mine is not None else None,
    )


def _covers(scope: Scope, path: str) -> bool:
    if scope.owner_id is not None and scope.region_paths is None:
        return True  # a recipient reads the grids of a task addressed to them
    return scope.covers_path(path)


def _own_assignments(
    session: Session, task_ids: Sequence[int], actor: Actor
) -> dict[int, TaskAssignment]:
    if actor.id is None or not actor.can(Perm.TASKS_WORK):
        return {}
    rows = repository.assignments_of(session, Scope(owner_id=actor.id), task_ids)
    return {a.task_id: a for a in rows}


def list_tasks(
    session: Session,
    *,
    actor: Actor,
    status: str | None = None,
    kind: str | None = None,
    mine: bool = False,
    overdue: bool = False,
    campaign_id: int | None = None,
    query: str | None = None,
    page: PageParams,
) -> tuple[list[TaskOut], int]:
    """Tasks in the reader's view, newest first, each with its progress in that view.
    ``status`` is a task status (open, done, cancelled) or, for one's own tasks, an
    assignment status (sent, accepted, completed)."""
    actor.require(Perm.TASKS_READ)
    scope = view_scope(actor, mine=mine)
    moment = now()
    filters = TaskFilter(
        status=status if status in TASK_STATES else None,
        assignment_status=status if status in ASSIGNMENT_STATES else None,
        kind=kind,
        overdue_at=moment if overdue else None,
        campaign_id=campaign_id,
        query=query,
    )
    if status and filters.status is None and filters.assignment_status is None:
        raise InvalidInput(f"未知的状态 {status}", code="invalid_status")
    rows, total = repository.list_tasks(session, scope, filters, page)
    ids = [t.id for t in rows]
    counts = repository.status_counts(session, scope, ids)
    own = _own_assignments(session, ids, actor)
    return [_task_out(t, scope, counts.get(t.id, {}), own.get(t.id), moment) for t in rows], total


def task_view(session: Session, task: Task, *, actor: Actor, mine: bool = False) -> TaskDetail:
    scope = view_scope(actor, mine=mine)
    moment = now()
    rows = repository.assignments_of(session, scope, [task.id])
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    own = _own_assignments(session, [task.id], actor)
    base = _task_out(task, scope, counts, own.get(task.id), moment)
    details = []
    for row in rows:
        files = media.for_subject(session, SUBJECT, row.id, actor=actor) if row.media_ids else []
        details.append(
            AssignmentDetail(
                **assignment_out(row, task, moment).model_dump(),
                media=[MediaOut.of(m) for m in files],
            )
        )
    return TaskDetail(
        **base.model_dump(),
        assignments=details,
        can_cancel=_may_cancel(task, actor) and task.status == TaskStatus.OPEN,
    )


def task_detail(session: Session, task_id: int, *, actor: Actor, mine: bool = False) -> TaskDetail:
    return task_view(session, get_task(session, task_id, actor=actor, mine=mine), actor=actor)


def get_assignment(session: Session, assignment_id: int, *, actor: Actor) -> TaskAssignment:
    """One assignment the actor may read (for the photos attached to it)."""
    actor.require(Perm.TASKS_READ)
    found = repository.get_assignment(session, view_scope(actor), assignment_id)
    if found is None:
        raise NotFound("任务回执不存在或不在您的管辖范围内", code="assignment_not_found")
    return found


# ---------------------------------------------------------------- recipients' work


def _own(session: Session, task_id: int, actor: Actor) -> tuple[Task, TaskAssignment]:
    actor.require(Perm.TASKS_WORK)
    user_id = _user_id(actor)
    task = repository.get_task(session, Scope(owner_id=user_id), task_id)
    assignment = repository.own_assignment(session, task_id, user_id)
    if task is None or assignment is None:
        raise NotFound(f"任务 {task_id} 不存在或不是发给您的", code="task_not_found")
    return task, assignment


def accept_task(session: Session, task_id: int, data: AcceptIn, *, actor: Actor) -> TaskDetail:
    """Accept one's own assignment. Accepting again (or after completing) changes nothing."""
    task, assignment = _own(session, task_id, actor)
    if assignment.status == AssignmentStatus.CANCELLED or task.status == TaskStatus.CANCELLED:
        raise Conflict("任务已撤销", code="task_cancelled")
    if assignment.status == AssignmentStatus.SENT and repository.update_accept(
        session, assignment.id, now()
    ):
        session.refresh(assignment)
        audit.record(
            session,
            actor=actor,
            action="task.accept",
            object_type="task",
            object_id=task.id,
            region_path=assignment.region_path,
            summary=f"接收任务「{task.title}」",
            details={"assignment_id": assignment.id, "client_id": data.client_id},
        )
    return task_view(session, task, actor=actor, mine=True)


def complete_task(
    session: Session, task_id: int, data: CompleteIn, *, actor: Actor
) -> tuple[TaskDetail, bool]:
    """Complete one's own assignment with a result (and photos). A repeat with the same client
    id returns the first completion and ``False``; completing twice otherwise is 409."""
    task, assignment = _own(session, task_id, actor)
    if assignment.client_id == data.client_id:
        return task_view(session, task, actor=actor, mine=True), False
    earlier = repository.by_client_id(session, assignment.user_id, data.client_id)
    if earlier is not None:
        raise Conflict("该 client_id 已用于另一项任务", code="client_id_reused")
    if assignment.status == AssignmentStatus.COMPLETED:
        raise Conflict("任务已完成，不能重复提交", code="already_completed")
    if assignment.status == AssignmentStatus.CANCELLED or task.status == TaskStatus.CANCELLED:
        raise Conflict("任务已撤销", code="task_cancelled")
    moment = now()
    # Conditional on the state read above: of two completions at once, one wins, the other is
    # told so.
    changed = repository.update_complete(
        session,
        assignment.id,
        accepted_at=assignment.accepted_at or moment,
        completed_at=moment,
        result=data.result,
        values=dict(data.values),
        media_ids=list(data.media_ids),
        client_id=data.client_id,
    )
    if not changed:
        raise Conflict("任务刚被提交过，请刷新", code="already_completed")
    session.refresh(assignment)
    if data.media_ids:
        media.attach(
            session,
            data.media_ids,
            subject_type=SUBJECT,
            subject_id=assignment.id,
            region_path=assignment.region_path,
            role="result",
            actor=actor,
        )
    audit.record(
        session,
        actor=actor,
        action="task.complete",
        object_type="task",
        object_id=task.id,
        region_path=assignment.region_path,
        summary=f"完成任务「{task.title}」",
        details={
            "assignment_id": assignment.id,
            "client_id": data.client_id,
            "media_ids": list(data.media_ids),
        },
    )
    if repository.open_count(session, task.id) == 0:
        task.status = TaskStatus.DONE.value
        task.updated_at = moment
        if task.created_by is not None:
            notifications.notify(
                session,
                [task.created_by],
                kind="task_done",
                title=f"任务已全部完成：{task.title}",
                link=f"/tasks/{task.id}",
            )
    return task_view(session, task, actor=actor, mine=True), True


# ---------------------------------------------------------------- senders' work


def _may_cancel(task: Task, actor: Actor) -> bool:
    if not actor.can(Perm.TASKS_WRITE):
        return False
    return (actor.id is not None and task.created_by == actor.id) or actor.scope.covers_path(
        task.region_path
    )


def cancel_task(session: Session, task_id: int, data: CancelIn, *, actor: Actor) -> TaskDetail:
    """Withdraw a task: the sender, or anyone whose area holds all of it. Completed
    assignments stay as they are; the others are cancelled and their recipients told."""
    actor.require(Perm.TASKS_WRITE)
    task = get_task(session, task_id, actor=actor)
    if not _may_cancel(task, actor):
        raise PermissionDenied("只有发出任务的单位才能撤销任务", code="not_task_sender")
    if task.status != TaskStatus.OPEN:
        raise Conflict("任务已完成或已撤销", code="task_not_open")
    moment = now()
    waiting = [
        a.user_id
        for a in repository.assignments_of(session, actor.scope, [task.id])
        if a.status in OPEN_ASSIGNMENT_STATES
    ]
    task.status = TaskStatus.CANCELLED.value
    task.cancelled_at = moment
    task.updated_at = moment
    cancelled = repository.update_cancel_open(session, task.id)
    audit.record(
        session,
        actor=actor,
        action="task.cancel",
        object_type="task",
        object_id=task.id,
        region_path=task.region_path,
        summary=f"撤销任务「{task.title}」（{cancelled} 人未完成）",
        details={"reason": data.reason},
    )
    notifications.notify(
        session,
        waiting,
        kind="task_cancelled",
        title=f"任务已撤销：{task.title}",
        body=data.reason,
        link=f"/tasks/{task.id}",
    )
    return task_view(session, task, actor=actor)


# ---------------------------------------------------------------- for other features and jobs


def count_done_by_user_day(
    session: Session,
    user_ids: Sequence[int],
    start: datetime,
    end: datetime,
    *,
    actor: Actor,
) -> dict[int, int]:
    """Assignments completed per account with ``start <= completed_at < end`` (the daily
    report), counted in the actor's scope; accounts with none are left out."""
    return repository.count_completed_by_user(session, actor.scope, user_ids, start, end)


def remind_due(session: Session, *, within: timedelta = REMIND_WITHIN, limit: int = 2000) -> int:
    """Tell each recipient once when their task is due within ``within``; returns how many
    were told. For the platform's job (no actor: it addresses people by their duty)."""
    moment = now()
    rows = repository.due_for_reminder(session, moment, moment + within, limit)
    by_task: dict[int, tuple[Task, list[int]]] = {}
    for assignment, task in rows:
        by_task.setdefault(task.id, (task, []))[1].append(assignment.user_id)
    for task, user_ids in by_task.values():
        notifications.notify(
            session,
            user_ids,
            kind="task_due",
            title=f"任务即将到期：{task.title}",
            body=f"截止 {_local(task.deadline_at)}",
            link=f"/tasks/{task.id}",
        )
    repository.update_reminded(session, [a.id for a, _t in rows], moment)
    return len(rows)

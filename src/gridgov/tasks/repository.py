"""Every query on tasks and their assignments.

A task is visible to a scope when one of its assignments is: senders see the tasks that reached
their area (each with only the assignments in it), recipients their own (ownership scope)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from gridgov.accounts.scope import Scope, apply_scope, unscoped
from gridgov.kit.pagination import PageParams, fetch_page
from gridgov.tasks.models import (
    OPEN_ASSIGNMENT_STATES,
    AssignmentStatus,
    Task,
    TaskAssignment,
    TaskStatus,
)

LIST_COUNT_CAP = 10_000


def _assignments(scope: Scope) -> Select[TaskAssignment]:
    return apply_scope(
        select(TaskAssignment),
        scope,
        region_path=TaskAssignment.region_path,
        owner_id=TaskAssignment.user_id,
    )


def _visible_ids(scope: Scope, *conditions: Any) -> Select[Any]:
    return _assignments(scope).with_only_columns(TaskAssignment.task_id).where(*conditions)


def get_task(session: Session, scope: Scope, task_id: int) -> Task | None:
    stmt = select(Task).where(Task.id == task_id, Task.id.in_(_visible_ids(scope)))
    return session.scalars(stmt).first()


@dataclass(frozen=True)
class TaskFilter:
    status: str | None = None
    assignment_status: str | None = None
    kind: str | None = None
    overdue_at: datetime | None = None
    campaign_id: int | None = None
    query: str | None = None


def list_tasks(
    session: Session, scope: Scope, filters: TaskFilter, page: PageParams
) -> tuple[list[Task], int]:
    inner: list[Any] = []
    if filters.assignment_status:
        inner.append(TaskAssignment.status == filters.assignment_status)
    conditions: list[Any] = [Task.id.in_(_visible_ids(scope, *inner))]
    if filters.status:
        conditions.append(Task.status == filters.status)
    if filters.kind:
        conditions.append(Task.kind == filters.kind)
    if filters.campaign_id is not None:
        conditions.append(Task.campaign_id == filters.campaign_id)
    if filters.overdue_at is not None:
        conditions += [Task.status == TaskStatus.OPEN.value, Task.deadline_at < filters.overdue_at]
    if filters.query:
        conditions.append(
            or_(
                Task.title.contains(filters.query, autoescape=True),
                Task.description.contains(filters.query, autoescape=True),
            )
        )
    stmt = select(Task).where(*conditions)
    return fetch_page(session, stmt, page, Task.id.desc(), cap=LIST_COUNT_CAP)


def assignments_of(session: Session, scope: Scope, task_ids: Sequence[int]) -> list[TaskAssignment]:
    if not task_ids:
        return []
    stmt = _assignments(scope).where(TaskAssignment.task_id.in_(set(task_ids)))
    return list(session.scalars(stmt.order_by(TaskAssignment.task_id, TaskAssignment.id)))


def status_counts(
    session: Session, scope: Scope, task_ids: Sequence[int]
) -> dict[int, dict[str, int]]:
    """Per task, its assignments in scope counted by status."""
    if not task_ids:
        return {}
    stmt = (
        _assignments(scope)
        .with_only_columns(TaskAssignment.task_id, TaskAssignment.status, func.count())
        .where(TaskAssignment.task_id.in_(set(task_ids)))
        .group_by(TaskAssignment.task_id, TaskAssignment.status)
    )
    counts: dict[int, dict[str, int]] = {}
    for task_id, status, count in session.execute(stmt):
        counts.setdefault(task_id, {})[status] = count
    return counts


def get_assignment(session: Session, scope: Scope, assignment_id: int) -> TaskAssignment | None:
    return session.scalars(_assignments(scope).where(TaskAssignment.id == assignment_id)).first()


@unscoped("an account's own assignment: ownership is the authority, whatever its grids are now")
def own_assignment(session: Session, task_id: int, user_id: int) -> TaskAssignment | None:
    stmt = select(TaskAssignment).where(
        TaskAssignment.task_id == task_id, TaskAssignment.user_id == user_id
    )
    return session.scalars(stmt).first()


@unscoped("a client id belongs to the account that sent it, who may always see what they sent")
def by_client_id(session: Session, user_id: int, client_id: str) -> TaskAssignment | None:
    stmt = select(TaskAssignment).where(
        TaskAssignment.user_id == user_id, TaskAssignment.client_id == client_id
    )
    return session.scalars(stmt).first()


@unscoped("whether a task is finished counts every recipient; only a number comes back")
def open_count(session: Session, task_id: int) -> int:
    stmt = select(func.count()).where(
        TaskAssignment.task_id == task_id, TaskAssignment.status.in_(OPEN_ASSIGNMENT_STATES)
    )
    return session.scalar(stmt) or 0


def count_completed_by_user(
    session: Session, scope: Scope, user_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, int]:
    if not user_ids:
        return {}
    stmt = (
        _assignments(scope)
        .with_only_columns(TaskAssignment.user_id, func.count())
        .where(
            TaskAssignment.user_id.in_(set(user_ids)),
            TaskAssignment.status == AssignmentStatus.COMPLETED.value,
            TaskAssignment.completed_at >= start,
            TaskAssignment.completed_at < end,
        )
        .group_by(TaskAssignment.user_id)
    )
    return {user_id: count for user_id, count in session.execute(stmt)}


@unscoped("the platform's reminder job addresses every recipient whose deadline is near")
def due_for_reminder(
    session: Session, start: datetime, end: datetime, limit: int
) -> list[tuple[TaskAssignment, Task]]:
    stmt = (
        select(TaskAssignment, Task)
        .join(Task, Task.id == TaskAssignment.task_id)
        .where(
            Task.status == TaskStatus.OPEN.value,
            Task.deadline_at >= start,
            Task.deadline_at < end,
            TaskAssignment.status.in_(OPEN_ASSIGNMENT_STATES),
            TaskAssignment.reminded_at.is_(None),
        )
        .order_by(TaskAssignment.id)
        .limit(limit)
    )
    return [(a, t) for a, t in session.execute(stmt)]


def add_task(session: Session, task: Task, assignments: list[TaskAssignment]) -> None:
    session.add(task)
    session.flush()
    for assignment in assignments:
        assignment.task_id = task.id
    session.add_all(assignments)
    session.flush()


def update_cancel_open(session: Session, task_id: int) -> int:
    """Cancel the task's assignments not completed yet; returns how many."""
    result = session.execute(
        update(TaskAssignment)
        .where(
            TaskAssignment.task_id == task_id,
            TaskAssignment.status.in_(OPEN_ASSIGNMENT_STATES),
        )
        .values(status=AssignmentStatus.CANCELLED.value, completed_at=None)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def update_accept(session: Session, assignment_id: int, at: datetime) -> bool:
    result = session.execute(
        update(TaskAssignment)
        .where(
            TaskAssignment.id == assignment_id,
            TaskAssignment.status == AssignmentStatus.SENT.value,
        )
        .values(status=AssignmentStatus.ACCEPTED.value, accepted_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def update_complete(
    session: Session,
    assignment_id: int,
    *,
    accepted_at: datetime,
    completed_at: datetime,
    result: str,
    values: dict[str, Any],
    media_ids: list[int],
    client_id: str,
) -> bool:
    """Complete an assignment still open; False when someone completed or cancelled it first."""
    outcome = session.execute(
        update(TaskAssignment)
        .where(
            TaskAssignment.id == assignment_id,
            TaskAssignment.status.in_(OPEN_ASSIGNMENT_STATES),
        )
        .values(
            status=AssignmentStatus.COMPLETED.value,
            accepted_at=accepted_at,
            completed_at=completed_at,
            result=result,
            values=values,
            media_ids=media_ids,
            client_id=client_id,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(outcome, "rowcount", 0))


def update_reminded(session: Session, assignment_ids: Sequence[int], at: datetime) -> None:
    if assignment_ids:
        session.execute(
            update(TaskAssignment)
            .where(TaskAssignment.id.in_(list(assignment_ids)))
            .values(reminded_at=at)
            .execution_options(synchronize_session=False)
        )

"""Tasks (任务下发) and their assignments: one row per worker or social account that received
the task, which they accept and complete with a result and photos."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime
from gridgov.kit.clock import now


class TaskKind(StrEnum):
    PATROL_AREA = "patrol_area"
    INSPECT_COMPONENT = "inspect_component"
    VISIT_HOUSEHOLDS = "visit_households"
    CAMPAIGN_SCREENING = "campaign_screening"
    OTHER = "other"


TASK_KIND_LABELS = {
    TaskKind.PATROL_AREA: "区域巡查",
    TaskKind.INSPECT_COMPONENT: "部件核查",
    TaskKind.VISIT_HOUSEHOLDS: "入户走访",
    TaskKind.CAMPAIGN_SCREENING: "专项排查",
    TaskKind.OTHER: "其他任务",
}


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


TASK_STATUS_LABELS = {
    TaskStatus.OPEN: "进行中",
    TaskStatus.DONE: "已完成",
    TaskStatus.CANCELLED: "已撤销",
}


class AssignmentStatus(StrEnum):
    SENT = "sent"
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


ASSIGNMENT_STATUS_LABELS = {
    AssignmentStatus.SENT: "待接收",
    AssignmentStatus.ACCEPTED: "已接收",
    AssignmentStatus.COMPLETED: "已完成",
    AssignmentStatus.CANCELLED: "已撤销",
}
OPEN_ASSIGNMENT_STATES = (AssignmentStatus.SENT.value, AssignmentStatus.ACCEPTED.value)


class Task(Base):
    """What was asked, of whom (through its assignments), by when. ``region_path`` is the
    deepest region holding every assignment (the common ancestor of the targets);
    ``target_grid_paths`` the grids it was sent to, if it was sent by grid."""

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_status_deadline", "status", "deadline_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(24), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_by_name: Mapped[str] = mapped_column(String(64), default="")
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    target_grid_paths: Mapped[list[str]] = mapped_column(JSON, default=list)
    component_id: Mapped[int | None] = mapped_column(Integer)
    household_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # A campaign's id (专项排查); no foreign key, campaigns are a feature above this one.
    campaign_id: Mapped[int | None] = mapped_column(Integer, index=True)
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default=TaskStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TaskAssignment(Base):
    """One recipient's part of a task. ``region_path`` is where the recipient works (the grid
    the task reached them through, a worker's own grid, or a social account's organisation
    region), so senders see progress in their scope and recipients see their own rows."""

    __tablename__ = "task_assignments"
    __table_args__ = (
        UniqueConstraint("task_id", "user_id"),
        # An offline retry of the same completion is applied once per (account, client id).
        UniqueConstraint("user_id", "client_id"),
        Index("ix_task_assignments_user_completed", "user_id", "completed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    user_name: Mapped[str] = mapped_column(String(64), default="")
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(12), default=AssignmentStatus.SENT.value)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str] = mapped_column(Text, default="")
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    media_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    client_id: Mapped[str | None] = mapped_column(String(64))
    # When the deadline reminder went out (once).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from gridgov.media.schemas import MediaOut
from gridgov.tasks.models import AssignmentStatus, TaskKind, TaskStatus

MAX_TARGETS = 500
ClientId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="chosen by the client; a retry with the same id is applied once",
    ),
]


class TaskCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    kind: TaskKind = TaskKind.OTHER
    description: str = Field(default="", max_length=4000)
    deadline_at: datetime
    assignee_ids: list[int] = Field(
        default_factory=list,
        max_length=MAX_TARGETS,
        description="grid workers or social participants (社会组织、企业) by user id",
    )
    grid_codes: list[str] = Field(
        default_factory=list,
        max_length=MAX_TARGETS,
        description="basic or special grids: every worker assigned to them receives the task",
    )
    component_id: int | None = Field(default=None, description="the component to inspect")
    household_ids: list[int] = Field(default_factory=list, max_length=MAX_TARGETS)
    campaign_id: int | None = Field(default=None, description="the campaign (专项排查) served")
    geometry: dict[str, Any] | None = Field(
        default=None, description="GeoJSON Polygon: the area to patrol"
    )
    crs: str = Field(default="wgs84", pattern="^(wgs84|gcj02|bd09)$")


class AcceptIn(BaseModel):
    client_id: str | None = Field(default=None, max_length=64)


class CompleteIn(BaseModel):
    client_id: ClientId
    result: str = Field(min_length=1, max_length=4000, description="what was done and found")
    media_ids: list[int] = Field(default_factory=list, max_length=9)
    values: dict[str, Any] = Field(default_factory=dict, description="structured results")


class CancelIn(BaseModel):
    reason: str = Field(default="", max_length=500)


class Progress(BaseModel):
    total: int = 0
    sent: int = 0
    accepted: int = 0
    completed: int = 0
    cancelled: int = 0
    overdue: int = Field(default=0, description="not completed and past the deadline")


class AssignmentOut(BaseModel):
    id: int
    task_id: int
    user_id: int
    user_name: str
    grid_code: str
    status: AssignmentStatus
    status_label: str
    accepted_at: datetime | None
    completed_at: datetime | None
    result: str
    values: dict[str, Any]
    media_ids: list[int]
    overdue: bool


class AssignmentDetail(AssignmentOut):
    media: list[MediaOut]


class TaskOut(BaseModel):
    id: int
    title: str
    kind: TaskKind
    kind_label: str
    description: str
    deadline_at: datetime
    overdue: bool
    status: TaskStatus
    status_label: str
    created_by: int | None
    created_by_name: str
    created_at: datetime
    region_code: str
    grid_codes: list[str] = Field(description="the target grids the reader may see")
    component_id: int | None
    household_ids: list[int]
    campaign_id: int | None
    geometry: dict[str, Any] | None
    progress: Progress = Field(description="over the assignments the reader may see")
    my_assignment: AssignmentOut | None = None


class TaskDetail(TaskOut):
    assignments: list[AssignmentDetail]
    can_cancel: bool

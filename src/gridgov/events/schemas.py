from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from gridgov.events.models import Source, Urgency
from gridgov.media.schemas import MediaOut
from gridgov.workflow.schemas import ActionOut, StepOut


class Location(BaseModel):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"


class EventIn(BaseModel):
    title: str = Field(min_length=2, max_length=200)
    description: str = Field(default="", max_length=5000)
    category_code: str | None = Field(default=None, max_length=20)
    location: Location | None = None
    address: str | None = Field(default=None, max_length=200)
    source: Source
    urgency: Urgency = Urgency.NORMAL
    media_ids: list[int] = Field(
        default_factory=list,
        max_length=9,
        description="photos/videos uploaded first with POST /api/v1/media (by the reporter)",
    )

    @model_validator(mode="after")
    def located(self) -> EventIn:
        if self.location is None and not self.address:
            raise ValueError("location 和 address 至少提供一项")
        return self


class EventOut(BaseModel):
    id: int
    code: str
    title: str
    description: str
    category_code: str
    category_name: str
    source: Source
    urgency: Urgency
    status: str
    status_label: str
    level: str
    grid_code: str
    community_code: str | None
    street_code: str | None
    special_grids: list[str]
    lon: float
    lat: float
    address: str
    department_id: int | None
    deadline_at: datetime
    overdue: bool
    created_at: datetime
    closed_at: datetime | None
    version: int = Field(description="send it back with an action; a stale one gets 409")
    classified_by: str
    sla: Literal["green", "yellow", "red", "done"] = Field(
        description="red: overdue; yellow: most of the time used; done: closed or voided"
    )


class AssistOut(BaseModel):
    department_id: int
    department: str
    status: Literal["assigned", "fed_back"]
    feedback: str
    fed_back_at: datetime | None


class DuplicateOut(BaseModel):
    id: int
    code: str
    title: str
    status: str
    distance_m: float
    lon: float
    lat: float
    created_at: datetime


class EventDetail(EventOut):
    timeline: list[StepOut]
    actions: list[ActionOut]
    assists: list[AssistOut] = Field(description="assisting departments (协办) and their feedback")
    duplicates: list[DuplicateOut] = Field(
        description="open cases of the same category close by in place and time (merge candidates)"
    )
    spot_check: Literal["pending", "passed", "failed"] | None = Field(
        description="自办结 cases drawn for a check, and the result"
    )
    media: list[MediaOut] = Field(
        description="photos and videos, each with the timeline step and role it came with"
    )


class ActionIn(BaseModel):
    version: int = Field(ge=1, description="the version the caller saw")
    comment: str = Field(default="", max_length=2000)
    department_id: int | None = Field(default=None, description="dispatch: the department")
    satisfaction: int | None = Field(default=None, ge=1, le=5, description="rate: 1–5")
    hours: float | None = Field(
        default=None, gt=0, le=720, description="request_extension: working hours asked for"
    )
    card: Literal["yellow", "red"] | None = Field(default=None, description="supervise: 黄牌/红牌")
    target_id: int | None = Field(default=None, description="merge: the event this duplicates")
    assisting_department_ids: list[int] = Field(
        default_factory=list,
        max_length=5,
        description="dispatch/reassign: assisting departments (协办), each feeding back",
    )
    category_code: str | None = Field(
        default=None, max_length=20, description="classify: the corrected category"
    )
    media_ids: list[int] = Field(
        default_factory=list,
        max_length=9,
        description="photos/videos uploaded first by the actor (self_settle: the after photo)",
    )


class CategoryOut(BaseModel):
    code: str
    name: str
    parent_code: str | None
    time_limit_hours: float
    default_department_code: str | None
    workflow_code: str


class BulkItem(BaseModel):
    id: int
    version: int = Field(ge=1)


class BulkActionIn(ActionIn):
    """One action applied to many cases; each case succeeds or fails on its own."""

    version: int = Field(default=1, ge=1, description="unused: each item carries its version")
    action: str = Field(max_length=40)
    items: list[BulkItem] = Field(min_length=1, max_length=200)


class BulkResult(BaseModel):
    id: int
    ok: bool
    status: str | None = None
    version: int | None = None
    error_code: str | None = None
    message: str | None = None


class BulkOut(BaseModel):
    action: str
    succeeded: int
    failed: int
    results: list[BulkResult]

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from gridgov.media.schemas import MediaOut
from gridgov.visits.models import VisitKind

ClientId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="chosen by the client; a retry with the same id is applied once",
    ),
]


class VisitIn(BaseModel):
    client_id: ClientId
    household_id: int | None = Field(default=None, description="the household visited")
    member_id: int | None = Field(default=None, description="a special-group member (特殊人群)")
    visited_at: datetime | None = Field(default=None, description="when; default now")
    kind: VisitKind = VisitKind.ROUTINE
    summary: str = Field(min_length=1, max_length=2000)
    findings: str = Field(default="", max_length=4000)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    crs: str = Field(default="wgs84", pattern="^(wgs84|gcj02|bd09)$")
    media_ids: list[int] = Field(default_factory=list, max_length=9)


class VisitOut(BaseModel):
    id: int
    client_id: str
    user_id: int
    user_name: str
    household_id: int | None
    member_id: int | None
    kind: VisitKind
    kind_label: str
    visited_at: datetime
    summary: str
    findings: str
    lon: float | None
    lat: float | None
    grid_code: str
    media_ids: list[int]
    created_at: datetime


class VisitDetail(VisitOut):
    media: list[MediaOut]


class DueMemberOut(BaseModel):
    """A special-group member due for a visit; the name is masked."""

    member_id: int
    person_id: int
    household_id: int | None
    name: str = Field(description="masked: the surname and asterisks")
    group_type: str
    risk_level: str
    visit_every_days: int
    last_visit_at: datetime | None
    due_at: datetime | None = Field(description="null: never visited")
    overdue_days: int
    grid_code: str
    responsible_user_id: int | None

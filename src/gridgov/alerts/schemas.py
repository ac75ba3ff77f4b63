"""Request and response models of early warning."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class AlertOut(BaseModel):
    id: int
    kind: str = Field(description="abnormal_rise, recurrence, sla_risk or visit_overdue")
    kind_label: str
    status: str = Field(description="open, acknowledged or closed")
    status_label: str
    title: str
    explanation: str = Field(description="why the alert was raised, with the numbers")
    region_path: str
    region_code: str
    category_code: str | None
    department_id: int | None
    lon: float | None
    lat: float | None
    score: float = Field(
        description="strength: z-score (abnormal_rise), reports (recurrence), probability "
        "(sla_risk), members (visit_overdue)"
    )
    window_start: date | None
    event_ids: list[int]
    details: dict[str, Any]
    detected_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    closed_at: datetime | None
    closed_by: str | None
    note: str
    root_event_id: int | None = Field(
        description="recurrence merged into one root-cause case (合并为根源案件): that case"
    )
    root_event_code: str | None


class AlertCaseOut(BaseModel):
    id: int
    code: str
    title: str
    status: str
    category_code: str
    created_at: datetime
    address: str


class AlertDetail(AlertOut):
    cases: list[AlertCaseOut] = Field(description="the cases behind the alert that you may see")


class AlertNoteIn(BaseModel):
    note: str = Field(default="", max_length=1_000)


class RootCaseIn(BaseModel):
    title: str | None = Field(
        default=None,
        min_length=2,
        max_length=200,
        description="default 根源问题：<类别>（<地点或部件>反复发生N次）",
    )
    description: str | None = Field(
        default=None, max_length=5000, description="default: the alert's explanation and codes"
    )
    note: str = Field(default="", max_length=1_000, description="kept as the alert's note")


class RootCaseOut(BaseModel):
    alert: AlertOut
    root_event_id: int
    root_event_code: str
    merged: list[str] = Field(description="open repeats merged into the root case (now voided)")
    linked: list[str] = Field(
        description="repeats linked to it: closed ones, and open ones past the merge (in handling)"
    )
    skipped: int = Field(description="repeats outside your area, left as they are")


class RiskCaseOut(BaseModel):
    event_id: int
    code: str
    title: str
    category_code: str
    deadline_at: datetime
    probability: float = Field(ge=0, le=1)
    reasons: list[str]
    alert_id: int | None


class AlertCountsOut(BaseModel):
    counts: dict[str, int] = Field(description="open alerts per kind")

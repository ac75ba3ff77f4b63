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

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from gridgov.media.schemas import MediaOut
from gridgov.mediation.models import (
    DisputeSource,
    DisputeType,
    PartyRole,
    Performance,
    Referral,
    RiskGrade,
)
from gridgov.workflow.schemas import ActionOut, StepOut

ShortText = Field(min_length=1, max_length=50)


class PartyIn(BaseModel):
    """A resident of the registry (``person_id``) or a free entry (name, and where known the ID
    number and phone, which are stored encrypted)."""

    role: PartyRole = PartyRole.APPLICANT
    person_id: int | None = None
    name: str | None = Field(default=None, min_length=1, max_length=50)
    id_number: str | None = Field(default=None, min_length=4, max_length=30)
    phone: str | None = Field(default=None, min_length=5, max_length=20)

    @model_validator(mode="after")
    def _named(self) -> PartyIn:
        if self.person_id is None and not self.name:
            raise ValueError("当事人须关联实有人口（person_id）或填写姓名")
        return self


class DisputeIn(BaseModel):
    dispute_type: DisputeType
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5_000)
    source: DisputeSource = DisputeSource.GRID_WORKER
    event_id: int | None = Field(default=None, description="事件转为纠纷时的事件 ID")
    grid_code: str | None = Field(
        default=None,
        max_length=40,
        description="纠纷发生地所在网格；不填时取关联事件或第一位关联居民的网格",
    )
    address: str = Field(default="", max_length=200)
    risk_grade: RiskGrade = RiskGrade.GENERAL
    level: Literal["community", "street", "industry"] = Field(
        default="community", description="受理的调解组织层级"
    )
    mediators: list[str] = Field(default_factory=list, max_length=10)
    parties: list[PartyIn] = Field(min_length=1, max_length=50)


class DisputeActionIn(BaseModel):
    """One workflow action; ``version`` is the one the caller saw (409 when stale)."""

    version: int
    comment: str = Field(default="", max_length=5_000)
    mediators: list[str] | None = Field(default=None, max_length=10)
    session_date: date | None = None
    participants: list[str] | None = Field(default=None, max_length=30)
    terms: str | None = Field(default=None, max_length=10_000)
    referral: Referral | None = None
    performance: Performance | None = None
    risk_grade: RiskGrade | None = None
    media_ids: list[int] = Field(
        default_factory=list,
        max_length=9,
        description="attachments uploaded first to /api/v1/media (the session's photos, scans)",
    )


class PartyOut(BaseModel):
    id: int
    role: PartyRole
    role_label: str
    name: str
    person_id: int | None
    id_number: str | None = Field(description="脱敏")
    phone: str | None = Field(description="脱敏")


class DisputeOut(BaseModel):
    id: int
    code: str
    dispute_type: DisputeType
    type_label: str
    title: str
    description: str
    address: str
    grid_code: str
    community_code: str | None
    street_code: str | None
    source: DisputeSource
    source_event_id: int | None
    risk_grade: RiskGrade
    risk_label: str
    level: str
    level_label: str
    organisation_id: int | None
    organisation: str
    mediators: list[str]
    status: str
    status_label: str
    outcome: str | None
    referral: str | None
    performance: str | None
    agreement_terms: str
    deadline_at: datetime
    overdue: bool
    created_at: datetime
    outcome_at: datetime | None
    closed_at: datetime | None
    version: int


class AlertOut(BaseModel):
    id: int
    dispute_id: int
    dispute_code: str
    rule: str
    rule_label: str
    reason: str
    status: str
    status_label: str
    notified: int
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    closed_at: datetime | None
    closed_by: str | None
    note: str


class DisputeDetail(DisputeOut):
    parties: list[PartyOut]
    timeline: list[StepOut]
    actions: list[ActionOut]
    alerts: list[AlertOut]
    agreement_available: bool
    media: list[MediaOut] = Field(default_factory=list, description="attachments, by step")


class AlertNoteIn(BaseModel):
    note: str = Field(default="", max_length=1_000)


class RevealIn(BaseModel):
    party_id: int
    reason: str = Field(min_length=2, max_length=200)


class PartyRevealOut(BaseModel):
    name: str
    id_number: str | None
    phone: str | None


class Option(BaseModel):
    value: str
    label: str
    criteria: str = ""


class MetaOut(BaseModel):
    types: list[Option]
    sources: list[Option]
    risk_grades: list[Option]
    levels: list[Option]
    outcomes: list[Option]
    referrals: list[Option]
    performances: list[Option]
    statuses: list[Option]
    alert_rules: list[Option]
    time_limit_days: int
    warning_days: int


class Count(BaseModel):
    key: str
    label: str
    count: int


class StatisticsOut(BaseModel):
    region_code: str | None
    since: datetime | None
    until: datetime | None
    total: int
    by_type: list[Count]
    by_region: list[Count]
    by_status: list[Count]
    by_outcome: list[Count]
    by_risk: list[Count]
    success_rate: float | None = Field(description="达成（含部分达成）/ 已有结果")
    average_days: float | None = Field(description="登记到得出调解结果的平均天数")
    pending: int
    overdue: int
    open_alerts: int

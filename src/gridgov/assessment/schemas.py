from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class ItemIn(BaseModel):
    indicator: str = Field(max_length=40, description="指标编码，见 /assessment/indicators")
    weight: float = Field(description="权重；各项之和为 100")
    rule: str = Field("linear", max_length=10, description="linear（线性）或 rank（按名次）")
    floor: float | None = Field(None, description="线性计分的保底值（0 分）")
    target: float | None = Field(None, description="线性计分的目标值（100 分）")


class SchemeIn(BaseModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$", description="方案编码（小写字母开头）")
    name: str = Field(max_length=100)
    target_type: str = Field(
        max_length=20, description="worker、grid、community、street 或 department"
    )
    items: list[ItemIn] = Field(max_length=30)
    description: str = Field("", max_length=500)
    is_active: bool = True


class ItemOut(BaseModel):
    indicator: str
    indicator_name: str
    unit: str
    weight: float
    rule: str
    floor: float | None
    target: float | None
    higher_is_better: bool


class SchemeOut(BaseModel):
    code: str
    version: int
    name: str
    target_type: str
    target_label: str
    items: list[ItemOut]
    description: str
    is_active: bool
    is_current: bool
    updated_at: datetime
    updated_by: str


class IndicatorOut(BaseModel):
    code: str
    name: str
    formula: str
    numerator: str
    numerator_label: str
    denominator: str | None
    denominator_label: str | None
    unit: str
    higher_is_better: bool
    targets: list[str]
    source: str = Field(description="case（案件指标）或 work（工作量指标）")
    description: str


class PartOut(BaseModel):
    indicator: str
    value: float | None = Field(description="null when there is nothing to divide by")
    numerator: float | None
    denominator: float | None
    weight: float
    points: float | None = Field(description="0–100; null: not scored (no value)")
    weighted: float | None = Field(description="weight × points ÷ 100")


class ScoreRowOut(BaseModel):
    rank: int
    target_key: str
    target_label: str
    score: float
    parts: list[PartOut]


class ScoreBoardOut(BaseModel):
    scheme: str
    scheme_name: str
    scheme_version: int
    target_type: str
    month: str
    start: date
    end: date
    frozen: bool
    frozen_at: datetime | None
    area: str
    items: list[ItemOut]
    rows: list[ScoreRowOut]


class FreezeIn(BaseModel):
    scheme: str = Field(max_length=40)
    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM, a finished month")


class SnapshotOut(BaseModel):
    id: int
    scheme: str
    month: str
    target_type: str
    rows: int
    frozen_at: datetime
    frozen_by: str
    created: bool | None = None


class DrillOut(BaseModel):
    kind: str = Field(description="cases, patrols, visits or none")
    counter: str
    label: str
    total: int
    ids: list[int]
    note: str
    link: str | None

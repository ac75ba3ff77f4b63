from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class AreaOut(BaseModel):
    region_code: str | None = Field(description="the region asked for; null for several roots")
    name: str
    region_codes: list[str]


class PeriodOut(BaseModel):
    start: date
    end: date = Field(description="inclusive, local days")


class IndicatorOut(BaseModel):
    code: str
    name: str
    kind: str
    unit: str
    formula: str
    description: str
    numerator: str
    numerator_label: str
    numerator_definition: str
    denominator: str | None
    denominator_label: str | None
    denominator_definition: str | None
    higher_is_better: bool


class ValueOut(BaseModel):
    code: str
    name: str
    unit: str
    value: float | None = Field(description="null when the denominator is zero")
    numerator: int
    denominator: int | None
    numerator_cases: str = Field(description="API path of the cases behind the numerator")
    denominator_cases: str | None


class ShareOut(BaseModel):
    key: str
    label: str
    count: int
    share: float | None = Field(description="percent of the total, null when it is zero")


class SummaryOut(BaseModel):
    area: AreaOut
    period: PeriodOut
    counters: dict[str, int]
    indicators: list[ValueOut]
    ladder: list[ShareOut]
    statuses: list[ShareOut]
    as_of: datetime | None = Field(description="when the rollups last read the cases")


class TrendPointOut(BaseModel):
    key: str
    start: date
    counters: dict[str, int]
    closure_rate: float | None
    on_time_rate: float | None


class TrendOut(BaseModel):
    area: AreaOut
    period: PeriodOut
    granularity: str
    points: list[TrendPointOut]


class BreakdownRowOut(BaseModel):
    key: str
    label: str
    region_code: str | None = None
    counters: dict[str, int]
    indicators: dict[str, float | None]


class BreakdownOut(BaseModel):
    area: AreaOut
    period: PeriodOut
    by: str
    rows: list[BreakdownRowOut]


class LadderOut(BaseModel):
    area: AreaOut
    period: PeriodOut
    levels: list[ShareOut]
    grid_settle_rate: ValueOut


class RankedOut(BaseModel):
    rank: int
    key: str
    label: str
    value: float | None
    numerator: int
    denominator: int | None


class RankingOut(BaseModel):
    indicator: IndicatorOut
    target: str
    area: AreaOut
    period: PeriodOut
    items: list[RankedOut]


class CounterOut(BaseModel):
    name: str
    label: str
    anchor: str
    definition: str


class CaseOut(BaseModel):
    id: int
    code: str
    title: str
    category_code: str
    source: str
    status: str
    level: str
    grid_code: str
    department_id: int | None
    created_at: datetime
    deadline_at: datetime
    closed_at: datetime | None

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from gridgov.analytics.schemas import AreaOut, PeriodOut


class HotspotOut(BaseModel):
    cell: str = Field(description="H3 cell index")
    lon: float = Field(description="cell centre, WGS-84")
    lat: float
    count: int = Field(description="cases reported in the cell in the period")
    baseline: float = Field(description="mean cases per baseline period in the cell")
    expected: float = Field(description="what the test expected: smoothed, scaled by the area")
    z: float = Field(description="(count - expected) / sqrt(expected)")
    p_value: float = Field(description="Poisson upper tail P(X >= count | expected)")
    event_ids: list[int] = Field(description="a sample of the cases, newest first")
    boundary: list[tuple[float, float]] | None = Field(
        default=None, description="the cell's (lon, lat) ring when boundary=true"
    )


class HotspotsOut(BaseModel):
    area: AreaOut
    period: PeriodOut
    resolution: int
    baseline_periods: int
    baseline_start: date = Field(description="first day of the earliest baseline period")
    tested_cells: int = Field(description="cells with at least min_count cases, tested")
    total: int = Field(description="cases in the period in the area")
    baseline_total: float = Field(description="mean cases per baseline period in the area")
    scale: float = Field(description="area-wide rise the expectation was scaled by (>= 1)")
    items: list[HotspotOut]


class FrequentPersonOut(BaseModel):
    key: str = Field(description="opaque; stable for the same person")
    label: str = Field(description="masked: never a plain phone, ID number or full name")
    kind: str = Field(description="reporter or involved")
    channel: str = Field(description="citizen, anonymous, hotline or dispute")
    count: int
    last_at: datetime
    categories: list[str] = Field(description="category codes or dispute types, most first")
    case_type: str = Field(description="what case_ids name: event or dispute")
    case_ids: list[int] = Field(description="the cases counted, newest first (at most 100)")


class FrequentPersonsOut(BaseModel):
    area: AreaOut
    period: PeriodOut
    kind: str
    items: list[FrequentPersonOut]


class HistoryPointOut(BaseModel):
    day: date
    value: int


class ForecastPointOut(BaseModel):
    day: date
    value: float
    lower: float
    upper: float


class ForecastOut(BaseModel):
    area: AreaOut
    horizon: int
    level: float = Field(description="interval level: 0.8 or 0.95")
    method: str = Field(description="weekday_profile, or recent_mean for a short history")
    mape_backtest: float | None = Field(
        description="percent error of the model's own rolling forecasts over the history"
    )
    as_of: datetime | None = Field(description="when the rollups last read the cases")
    note: str
    history: list[HistoryPointOut]
    points: list[ForecastPointOut]

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class ViewIn(BaseModel):
    """A saved view: the 分析研判 filters under a name. Either a period preset or fixed dates."""

    name: str = Field(min_length=1, max_length=60)
    description: str = Field(default="", max_length=500)
    shared: bool = False
    region_code: str | None = Field(default=None, max_length=40)
    preset: str | None = Field(
        default=None,
        max_length=16,
        description="month, last_month, last_week, 30d, quarter, year or 12m",
    )
    start: date | None = None
    end: date | None = None
    category_code: str | None = Field(default=None, max_length=20)
    source: str | None = Field(default=None, max_length=20)
    department_id: int | None = Field(default=None, ge=0)
    panels: list[str] = Field(default_factory=list, max_length=20)
    indicators: list[str] = Field(default_factory=list, max_length=20)


class ViewPatch(BaseModel):
    """Only the fields sent change; to switch between a preset and fixed dates send both."""

    name: str | None = Field(default=None, min_length=1, max_length=60)
    description: str | None = Field(default=None, max_length=500)
    shared: bool | None = None
    region_code: str | None = Field(default=None, max_length=40)
    preset: str | None = Field(default=None, max_length=16)
    start: date | None = None
    end: date | None = None
    category_code: str | None = Field(default=None, max_length=20)
    source: str | None = Field(default=None, max_length=20)
    department_id: int | None = Field(default=None, ge=0)
    panels: list[str] | None = Field(default=None, max_length=20)
    indicators: list[str] | None = Field(default=None, max_length=20)


class ViewOut(BaseModel):
    id: int
    name: str
    description: str
    shared: bool
    owner_id: int
    owner_name: str
    mine: bool = Field(description="the reader owns the view (and may change it)")
    region_code: str | None
    region_name: str
    preset: str | None
    preset_label: str | None
    start: date | None
    end: date | None
    period_start: date = Field(description="the period the view covers today")
    period_end: date
    category_code: str | None
    source: str | None
    department_id: int | None
    panels: list[str]
    indicators: list[str]
    page_url: str = Field(description="the 分析研判 page with the view's filters")
    report_pdf: str
    report_xlsx: str
    created_at: datetime
    updated_at: datetime

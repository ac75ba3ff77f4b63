"""Worker management responses."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class GridOut(BaseModel):
    code: str
    name: str
    level: str = Field(description="grid: 基础网格; special_grid: 专属网格")
    kind: str | None = None
    duty: str = Field(description="专职网格员 / 兼职网格员")


class FixOut(BaseModel):
    lon: float
    lat: float
    at: datetime
    accuracy_m: float | None


class DailyReport(BaseModel):
    date: date
    distance_m: float
    patrol_seconds: int
    moving_s: int
    patrols: int
    stops: int
    coverage: float | None = Field(description="share (0..1) of the grid near the day's tracks")
    events_reported: int
    settled_on_spot: int
    visits: int
    tasks_done: int


class WorkerOut(BaseModel):
    user_id: int
    name: str
    username: str
    grids: list[GridOut]
    on_duty: bool
    checked_in: bool
    open_patrol_id: int | None
    last_fix: FixOut | None
    last_seen_at: datetime | None
    today: DailyReport


class WorkerDetail(WorkerOut):
    history: list[DailyReport] = Field(description="the last 30 days, newest first")


class NearbyWorker(BaseModel):
    user_id: int
    name: str
    username: str
    grid_codes: list[str]
    on_duty: bool
    lon: float
    lat: float
    fix_at: datetime | None
    distance_m: float

"""Patrol requests and responses."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, FiniteFloat

MAX_BATCH = 2000


class PatrolStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(
        min_length=1, max_length=64, description="Made by the device; a retry returns the same"
    )
    started_at: AwareDatetime | None = Field(
        default=None, description="When the worker started (offline starts); default now"
    )


class PatrolStopIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ended_at: AwareDatetime | None = Field(
        default=None, description="When the worker stopped; default the latest fix"
    )


class PointIn(BaseModel):
    t: AwareDatetime
    lon: FiniteFloat
    lat: FiniteFloat
    accuracy_m: FiniteFloat | None = Field(default=None, ge=0)
    speed_mps: FiniteFloat | None = Field(default=None, ge=0)


class PointsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    points: list[PointIn] = Field(min_length=1, max_length=MAX_BATCH)
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"


class PointsResult(BaseModel):
    received: int
    stored: int = Field(description="new fixes stored")
    duplicates: int = Field(description="fixes already stored (same patrol and time)")
    dropped: int = Field(
        description="fixes refused: outside the territory's bounds, in the future, before the "
        "patrol's start or after its stop, or older than the retention period"
    )


class StopOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    lon: float
    lat: float
    from_: datetime = Field(alias="from")
    to: datetime
    seconds: int


class PatrolOut(BaseModel):
    id: int
    client_id: str
    user_id: int
    worker_name: str
    grid_code: str
    started_at: datetime
    ended_at: datetime | None
    status: Literal["open", "closed"]
    closed_by: str | None
    distance_m: float
    duration_s: int
    moving_s: int
    stops: list[StopOut]
    coverage: float | None = Field(description="share (0..1) of the grid near the track")
    point_count: int
    kept_count: int
    dropped_count: int
    live: bool = Field(
        default=False, description="true: figures computed now from the fixes of an open patrol"
    )


class DutyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on_duty: bool


class DutyOut(BaseModel):
    user_id: int
    on_duty: bool
    checked_in: bool
    open_patrol_id: int | None
    last_seen_at: datetime | None

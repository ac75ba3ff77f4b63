from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gridgov.regions.models import RegionLevel, SpecialGridKind

CODE_PATTERN = r"^[0-9A-Za-z_-]{2,32}$"


class RegionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    level: RegionLevel
    level_label: str
    kind: str | None
    parent_code: str | None
    path: str
    centroid: tuple[float, float] = Field(description="[lon, lat], WGS-84")
    bbox: tuple[float, float, float, float]
    area_km2: float
    household_count: int
    population_count: int
    updated_at: datetime


class WorkerRef(BaseModel):
    id: int
    username: str
    display_name: str
    duty: str


class RegionDetail(RegionOut):
    geometry: dict[str, Any] = Field(description="GeoJSON Polygon, WGS-84 lon/lat")
    children: dict[str, int] = Field(description="number of child regions per level")
    workers: list[WorkerRef]


class RegionCreate(BaseModel):
    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=100)
    level: Literal["street", "community", "grid", "special_grid"]
    kind: SpecialGridKind | None = None
    parent_code: str = Field(pattern=CODE_PATTERN)
    geometry: dict[str, Any] = Field(description="GeoJSON Polygon, WGS-84 lon/lat")


class RegionUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    kind: SpecialGridKind | None = None
    geometry: dict[str, Any] | None = None


class LocateRequest(BaseModel):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"


class RegionBrief(BaseModel):
    code: str
    name: str


class LocateResult(BaseModel):
    lon: float = Field(description="WGS-84 longitude after conversion")
    lat: float
    district: RegionBrief | None
    street: RegionBrief | None
    community: RegionBrief | None
    grid: RegionBrief
    special_grids: list[RegionBrief]


class BaseLayerOut(BaseModel):
    kind: str
    name: str
    geometry: dict[str, Any]

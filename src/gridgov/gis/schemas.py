"""Request and response shapes of the map API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from gridgov.kit.geo import Crs

MAX_RADIUS_M = 5000.0


class AreaRequest(BaseModel):
    """Either a drawn polygon, or a radius around a case."""

    geometry: dict[str, Any] | None = Field(
        default=None, description="GeoJSON Polygon (lon, lat) in `crs`"
    )
    crs: Crs | Literal["cgcs2000"] = Field(
        default="wgs84", description="coordinate system of `geometry`; CGCS2000 is read as WGS-84"
    )
    event_id: int | None = Field(default=None, description="centre the area on this case")
    radius_m: float = Field(default=1000.0, gt=0, le=MAX_RADIUS_M, description="radius in metres")

    @model_validator(mode="after")
    def _one_shape(self) -> AreaRequest:
        if (self.geometry is None) == (self.event_id is None):
            raise ValueError("geometry 与 event_id 须且只能给出一个")
        return self


class WorkerNearby(BaseModel):
    user_id: int
    name: str
    grid_code: str
    grid_name: str
    duty: str
    on_duty: bool | None = Field(description="None: unknown (the reader may not see duty)")
    on_duty_label: str
    position_source: Literal["gps", "event", "grid"]
    position_label: str
    lon: float
    lat: float
    distance_m: float


class ComponentNearby(BaseModel):
    id: int
    code: str
    class_name: str
    status: str
    department: str | None
    distance_m: float


class CameraNearby(BaseModel):
    id: int
    code: str
    name: str
    status: str
    distance_m: float


class CountBy(BaseModel):
    key: str
    label: str
    count: int


class DepartmentUnit(BaseModel):
    id: int
    name: str
    kind: str
    reason: str


class BuildingInside(BaseModel):
    id: int
    name: str
    address: str
    floors: int
    households: int
    residents: int


class RegionInside(BaseModel):
    code: str
    name: str
    level: str
    kind: str | None
    kind_label: str | None
    population: int


class AreaResources(BaseModel):
    workers: list[WorkerNearby]
    components: list[ComponentNearby]
    component_count: int
    components_by_class: list[CountBy]
    cameras: list[CameraNearby]
    camera_count: int
    departments: list[DepartmentUnit]


class AreaImpact(BaseModel):
    buildings: list[BuildingInside]
    building_count: int
    household_count: int
    resident_count: int
    communities: list[RegionInside]
    special_grids: list[RegionInside]
    schools: list[RegionInside]
    hospitals: list[RegionInside]
    past_events_days: int
    past_event_count: int
    past_events_by_category: list[CountBy]


class AreaSummary(BaseModel):
    area: dict[str, Any] = Field(description="the area examined, GeoJSON Polygon in WGS-84")
    center: tuple[float, float]
    radius_m: float | None
    event_id: int | None
    list_limit: int = Field(description="lists stop at this many entries; counts are complete")
    resources: AreaResources
    impact: AreaImpact


class SearchHit(BaseModel):
    kind: Literal["address", "region", "component"]
    label: str
    lon: float
    lat: float
    zoom: float
    bbox: tuple[float, float, float, float] | None = None


class ComponentPopup(BaseModel):
    id: int
    code: str
    class_name: str
    major_name: str
    status: str
    status_label: str
    department: str | None
    address: str
    photo_url: str | None
    lon: float
    lat: float


class BuildingPopup(BaseModel):
    id: int
    code: str
    name: str
    address: str
    kind: str
    use: str
    floors: int
    houses: int
    households: int
    residents: int
    resident_names: list[str] | None = Field(description="only with persons.read; None otherwise")
    lon: float
    lat: float


class CameraPopup(BaseModel):
    id: int
    code: str
    name: str
    status: str
    status_label: str
    direction_deg: int
    stream_url: str
    lon: float
    lat: float


class WorkerPopup(BaseModel):
    user_id: int
    name: str
    username: str
    grids: list[str]
    duty: str
    on_duty: bool | None
    on_duty_label: str
    position_source: Literal["gps", "event", "grid"]
    position_label: str
    last_seen_at: datetime | None
    lon: float
    lat: float


class EventPopup(BaseModel):
    id: int
    code: str
    title: str
    summary: str
    category: str
    status: str
    status_label: str
    address: str
    created_at: datetime
    url: str
    lon: float
    lat: float

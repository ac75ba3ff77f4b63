from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

CODE_PATTERN = r"^[a-z][a-z0-9_-]{1,39}$"
MAX_FEATURES = 5000


class NetworkCreate(BaseModel):
    code: str = Field(pattern=CODE_PATTERN, description="e.g. police, urban")
    name: str = Field(min_length=2, max_length=100)
    department_id: int | None = Field(default=None, description="the department that owns it")
    roster_role: str | None = Field(
        default=None,
        max_length=40,
        description="the roster role its officers fill on the grids it covers",
    )
    category_prefixes: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="event category codes (or prefixes) this network answers for",
    )


class NetworkOut(BaseModel):
    code: str
    name: str
    department_id: int | None
    roster_role: str | None
    category_prefixes: list[str]
    current_version: int | None
    unit_count: int
    overlay_at: datetime | None


class NetworkImport(BaseModel):
    """A GeoJSON FeatureCollection. Each feature's ``properties`` hold ``unit_code``, ``name``
    and optionally ``officer_name`` and ``officer_phone``; other properties are kept."""

    type: Literal["FeatureCollection"]
    features: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_FEATURES)
    note: str = Field(default="", max_length=200)


class VersionOut(BaseModel):
    version: int
    unit_count: int
    note: str
    imported_by: str
    created_at: datetime
    is_current: bool
    overlay_at: datetime | None


class FeatureError(BaseModel):
    index: int
    unit_code: str | None
    code: str
    message: str


class UnitOut(BaseModel):
    unit_code: str
    name: str
    officer_name: str
    officer_phone: str | None = Field(description="masked")
    properties: dict[str, Any]
    area_m2: float
    geometry: dict[str, Any] | None = None


class OverlayOut(BaseModel):
    grid_code: str
    unit_code: str
    unit_name: str
    share: float
    area_m2: float


class GapOut(BaseModel):
    geometry: dict[str, Any]
    area_m2: float
    grid_codes: list[str]


class OverlapOut(BaseModel):
    unit_codes: list[str]
    area_m2: float
    geometry: dict[str, Any]


class SliverOut(BaseModel):
    grid_code: str
    unit_code: str
    share: float
    area_m2: float


class ReportOut(BaseModel):
    network_code: str
    version: int | None
    sliver_share: float
    grid_count: int
    covered_grids: int
    fully_covered_grids: int
    gap_area_m2: float
    gaps: list[GapOut]
    overlaps: list[OverlapOut]
    slivers: list[SliverOut]


class RecomputeOut(BaseModel):
    network_code: str
    version: int
    rows: int


class RosterRoleIn(BaseModel):
    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=2, max_length=50)
    sort_order: int = Field(default=100, ge=0, le=10_000)


class RosterRoleOut(BaseModel):
    code: str
    name: str
    sort_order: int
    is_builtin: bool


class RosterEntryIn(BaseModel):
    role_code: str = Field(max_length=40)
    person_name: str = Field(min_length=1, max_length=64)
    phone: str | None = Field(default=None, pattern=r"^[0-9+\- ]{5,20}$")
    user_id: int | None = None
    note: str = Field(default="", max_length=200)


class RosterLine(BaseModel):
    role_code: str
    role_name: str
    source: Literal["manual", "overlay", "assignment"]
    person_name: str
    phone: str | None = Field(default=None, description="masked")
    entry_id: int | None = None
    user_id: int | None = None
    network_code: str | None = None
    unit_code: str | None = None
    unit_name: str | None = None
    share: float | None = None


class RosterOut(BaseModel):
    grid_code: str
    grid_name: str
    lines: list[RosterLine]

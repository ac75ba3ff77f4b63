from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from gridgov.registry.models import (
    CameraStatus,
    ComponentStatus,
    HouseUse,
    IdType,
    PlaceKind,
    ResidenceType,
    RiskLevel,
    SpecialGroupType,
)


class GroupBrief(BaseModel):
    group_type: SpecialGroupType
    risk_level: RiskLevel


class PersonOut(BaseModel):
    """A resident as every list shows them: ID number, phone and room number masked."""

    id: int
    name: str
    gender: str
    birth_date: date
    age: int
    id_type: IdType
    id_number: str = Field(description="masked, e.g. 370811********1234")
    phone: str | None = Field(description="masked, e.g. 138****5678")
    residence_type: ResidenceType
    household_id: int | None
    relation_to_head: str
    house_id: int | None
    address: str | None = Field(description="building and unit; the room is masked")
    grid_code: str
    tags: list[str]
    special_groups: list[GroupBrief]
    updated_at: datetime


class HouseBrief(BaseModel):
    id: int
    code: str
    building_id: int
    unit: int
    floor: int
    number: str
    area_m2: float
    use: HouseUse


class PersonDetail(PersonOut):
    household_members: list[PersonOut]
    house: HouseBrief | None


class PersonCreate(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    id_type: IdType = IdType.RESIDENT_CARD
    id_number: str = Field(min_length=5, max_length=30)
    gender: str | None = Field(default=None, pattern="^[男女]$")
    birth_date: date | None = None
    phone: str | None = Field(default=None, pattern=r"^[0-9+\-]{7,20}$")
    residence_type: ResidenceType
    house_id: int | None = Field(default=None, description="where the person lives")
    grid_code: str | None = Field(default=None, description="required when there is no house")
    household_id: int | None = None
    relation_to_head: str = Field(default="户主", max_length=10)
    tags: list[str] = Field(default_factory=list, max_length=20)


class PersonUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=50)
    phone: str | None = Field(default=None, pattern=r"^[0-9+\-]{7,20}$")
    residence_type: ResidenceType | None = None
    house_id: int | None = None
    household_id: int | None = None
    relation_to_head: str | None = Field(default=None, max_length=10)
    tags: list[str] | None = Field(default=None, max_length=20)


class RevealRequest(BaseModel):
    reason: str = Field(min_length=4, max_length=200, description="why the full value is needed")


class RevealOut(BaseModel):
    id_number: str
    phone: str | None
    address: str | None


class HouseholdOut(BaseModel):
    id: int
    code: str
    house_id: int | None
    grid_code: str
    head_name: str | None
    members: list[PersonOut]


class SpecialGroupOut(BaseModel):
    id: int
    person_id: int
    person_name: str
    group_type: SpecialGroupType
    risk_level: RiskLevel
    responsible_user_id: int | None
    visit_every_days: int
    last_visit_at: datetime | None
    visit_due: bool
    grid_code: str


class BuildingOut(BaseModel):
    id: int
    code: str
    name: str
    address: str
    kind: str
    use: str
    floors: int
    height_m: float
    units: int
    lon: float
    lat: float
    grid_code: str
    house_count: int
    resident_count: int
    updated_at: datetime


class HouseOut(HouseBrief):
    grid_code: str
    resident_count: int


class BuildingDetail(BuildingOut):
    footprint: dict[str, Any]
    houses: list[HouseOut]


class HouseDetail(HouseOut):
    building_name: str
    residents: list[PersonOut]


class BuildingCreate(BaseModel):
    code: str = Field(pattern=r"^[0-9A-Za-z_-]{2,40}$")
    name: str = Field(min_length=1, max_length=100)
    address: str = Field(min_length=1, max_length=200)
    kind: str = Field(pattern="^(楼栋|平房)$")
    use: str = Field(min_length=1, max_length=10)
    floors: int = Field(ge=1, le=200)
    height_m: float | None = Field(default=None, gt=0, le=700)
    units: int = Field(default=1, ge=1, le=50)
    footprint: dict[str, Any] = Field(description="GeoJSON Polygon, WGS-84")


class BuildingUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    address: str | None = Field(default=None, min_length=1, max_length=200)
    use: str | None = Field(default=None, min_length=1, max_length=10)
    floors: int | None = Field(default=None, ge=1, le=200)
    units: int | None = Field(default=None, ge=1, le=50)


class ComponentOut(BaseModel):
    id: int
    code: str
    major_code: str
    major_name: str
    minor_code: str
    minor_name: str
    lon: float
    lat: float
    address: str
    status: ComponentStatus
    owner_department_id: int | None
    maintainer_department_id: int | None
    photo_url: str | None
    grid_code: str
    updated_at: datetime


class ComponentUpdate(BaseModel):
    status: ComponentStatus | None = None
    address: str | None = Field(default=None, min_length=1, max_length=200)
    maintainer_department_id: int | None = None


class CameraOut(BaseModel):
    id: int
    code: str
    name: str
    lon: float
    lat: float
    direction_deg: int
    stream_url: str
    status: CameraStatus
    grid_code: str


class PlaceOut(BaseModel):
    id: int
    code: str
    kind: PlaceKind
    name: str
    credit_code: str | None
    industry: str
    address: str
    lon: float
    lat: float
    employees: int
    grid_code: str


class CategoryOut(BaseModel):
    code: str
    name: str
    group_name: str
    geometry_type: str
    attribute_schema: dict[str, Any]
    typed_table: str | None
    description: str
    version: int


class CategoryCreate(BaseModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    name: str = Field(min_length=1, max_length=50)
    group_name: str = Field(min_length=1, max_length=20)
    geometry_type: str = Field(pattern="^(point|polygon|line|none)$")
    attribute_schema: dict[str, Any] = Field(description="JSON Schema of the attributes")
    description: str = Field(default="", max_length=2000)


class CategoryUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=50)
    group_name: str | None = Field(default=None, min_length=1, max_length=20)
    attribute_schema: dict[str, Any] | None = None
    description: str | None = Field(default=None, max_length=2000)


class RecordOut(BaseModel):
    id: int
    category_code: str
    code: str
    name: str
    lon: float | None
    lat: float | None
    geometry: dict[str, Any] | None
    attributes: dict[str, Any]
    grid_code: str
    updated_at: datetime
    updated_by: str


class Location(BaseModel):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"


class RecordCreate(BaseModel):
    code: str = Field(min_length=1, max_length=60)
    name: str = Field(min_length=1, max_length=100)
    location: Location | None = None
    geometry: dict[str, Any] | None = Field(default=None, description="GeoJSON, WGS-84")
    attributes: dict[str, Any] = Field(default_factory=dict)


class RecordUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    location: Location | None = None
    attributes: dict[str, Any] | None = None


class CategoryStats(BaseModel):
    code: str
    name: str
    group_name: str
    total: int
    added_today: int
    updated_today: int
    added_this_week: int
    updated_this_week: int
    last_updated: datetime | None


class ChildStats(BaseModel):
    code: str
    name: str
    level: str
    counts: dict[str, int] = Field(description="category code → records inside this region")
    total: int


class QualityIssue(BaseModel):
    code: str
    label: str
    count: int


class MonthGrowth(BaseModel):
    month: str = Field(description="YYYY-MM, Asia/Shanghai")
    added: int


class AggregationOut(BaseModel):
    region_code: str
    region_name: str
    level: str
    total_records: int
    categories: list[CategoryStats]
    children: list[ChildStats]
    quality: list[QualityIssue]
    growth: list[MonthGrowth]


class RowErrorOut(BaseModel):
    row: int = Field(description="spreadsheet row number; row 1 is the header")
    column: str
    code: str
    message: str


class ImportReportOut(BaseModel):
    target: str
    dry_run: bool
    mode: str
    total_rows: int
    valid_rows: int
    inserted: int
    updated: int
    errors: list[RowErrorOut]
    seconds: float


class CameraUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    status: CameraStatus | None = None
    direction_deg: int | None = Field(default=None, ge=0, le=359)
    stream_url: str | None = Field(default=None, min_length=1, max_length=300)


class PlaceUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    industry: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=200)
    credit_code: str | None = Field(default=None, max_length=18)
    employees: int | None = Field(default=None, ge=0)


class HouseUpdate(BaseModel):
    use: HouseUse | None = None
    area_m2: float | None = Field(default=None, gt=0, le=100_000)


class SpecialGroupUpdate(BaseModel):
    risk_level: RiskLevel | None = None
    visit_every_days: int | None = Field(default=None, ge=1, le=365)
    responsible_user_id: int | None = None
    note: str | None = Field(default=None, max_length=2000)
    visited_now: bool = Field(default=False, description="record a visit made just now")
    visited_at: datetime | None = Field(
        default=None,
        description="record a visit made at this moment (a later visit already recorded wins)",
    )

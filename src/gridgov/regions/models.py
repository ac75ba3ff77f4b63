from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime
from gridgov.kit.clock import now


class RegionLevel(StrEnum):
    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"
    SPECIAL_GRID = "special_grid"


LEVEL_LABELS: dict[RegionLevel, str] = {
    RegionLevel.CITY: "市",
    RegionLevel.DISTRICT: "区",
    RegionLevel.STREET: "街道/镇",
    RegionLevel.COMMUNITY: "社区/村",
    RegionLevel.GRID: "基础网格",
    RegionLevel.SPECIAL_GRID: "专属网格",
}

# Which level may sit under which: special grids hang under a street (or community) and overlap
# the basic grids there.
ALLOWED_PARENT_LEVELS: dict[RegionLevel, frozenset[RegionLevel]] = {
    RegionLevel.CITY: frozenset(),
    RegionLevel.DISTRICT: frozenset({RegionLevel.CITY}),
    RegionLevel.STREET: frozenset({RegionLevel.DISTRICT}),
    RegionLevel.COMMUNITY: frozenset({RegionLevel.STREET}),
    RegionLevel.GRID: frozenset({RegionLevel.COMMUNITY}),
    RegionLevel.SPECIAL_GRID: frozenset({RegionLevel.STREET, RegionLevel.COMMUNITY}),
}


class SpecialGridKind(StrEnum):
    SCHOOL = "school"
    HOSPITAL = "hospital"
    MARKET = "market"
    INDUSTRIAL_PARK = "industrial_park"
    CONSTRUCTION_SITE = "construction_site"
    SCENIC_AREA = "scenic_area"
    TRANSPORT_HUB = "transport_hub"
    GOVERNMENT = "government"
    RESIDENTIAL_COMPOUND = "residential_compound"
    ELDERLY_CARE = "elderly_care"


SPECIAL_GRID_KIND_LABELS: dict[SpecialGridKind, str] = {
    SpecialGridKind.SCHOOL: "学校",
    SpecialGridKind.HOSPITAL: "医院",
    SpecialGridKind.MARKET: "商贸市场",
    SpecialGridKind.INDUSTRIAL_PARK: "产业园区",
    SpecialGridKind.CONSTRUCTION_SITE: "建筑工地",
    SpecialGridKind.SCENIC_AREA: "景区",
    SpecialGridKind.TRANSPORT_HUB: "交通枢纽",
    SpecialGridKind.GOVERNMENT: "机关单位",
    SpecialGridKind.RESIDENTIAL_COMPOUND: "封闭小区",
    SpecialGridKind.ELDERLY_CARE: "养老机构",
}


class Region(Base):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[str | None] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    # Materialised path of codes ("370811/370811002/"): scope filters are one indexed prefix match.
    path: Mapped[str] = mapped_column(String(255), index=True)
    geometry: Mapped[str] = mapped_column(Text, comment="GeoJSON Polygon, WGS-84 lon/lat")
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    centroid_lon: Mapped[float] = mapped_column(Float)
    centroid_lat: Mapped[float] = mapped_column(Float)
    area_km2: Mapped[float] = mapped_column(Float)
    household_count: Mapped[int] = mapped_column(Integer, default=0)
    population_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)


class BaseLayer(Base):
    """The district's own base map (lake, rivers, roads): no public tiles are assumed."""

    __tablename__ = "base_layers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(100))
    geometry: Mapped[str] = mapped_column(Text, comment="GeoJSON geometry, WGS-84 lon/lat")


class TerritoryRevision(Base):
    """A counter bumped in the same transaction as any polygon change.

    Each process keeps its point locator in memory; comparing this one number tells it when to
    rebuild, so several app processes stay in step without messaging.
    """

    __tablename__ = "territory_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)

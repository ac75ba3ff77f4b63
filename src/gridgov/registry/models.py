"""Base data tables. Every row carries the materialised path of the basic grid it lies in
(``region_path``), so scope is one prefix match like everywhere else.

Personal data (ID numbers, phones) is never stored in the clear: ``*_cipher`` holds AES-GCM
ciphertext, ``*_hash`` a keyed hash for exact search, ``*_masked`` what every list shows.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime
from gridgov.kit.clock import now


class ResidenceType(StrEnum):
    REGISTERED = "户籍"
    FLOATING = "流动"
    FOREIGN = "境外"


class IdType(StrEnum):
    RESIDENT_CARD = "居民身份证"
    PASSPORT = "护照"
    HMT_PERMIT = "港澳台居民居住证"


class HouseUse(StrEnum):
    OWNER_OCCUPIED = "自住"
    RENTED = "出租"
    VACANT = "空置"
    COMMERCIAL = "商用"


class ComponentStatus(StrEnum):
    INTACT = "完好"
    DAMAGED = "损坏"
    LOST = "丢失"
    OCCUPIED = "占用"


class CameraStatus(StrEnum):
    ONLINE = "在线"
    OFFLINE = "离线"
    FAULT = "故障"


class PlaceKind(StrEnum):
    ENTERPRISE = "enterprise"
    SHOP = "shop"
    POI = "poi"


class SpecialGroupType(StrEnum):
    COMMUNITY_CORRECTION = "社区矫正"
    RELEASED_PRISONER = "刑满释放"
    DRUG_REHABILITATION = "戒毒康复"
    SEVERE_MENTAL_DISORDER = "严重精神障碍"
    ELDERLY_ALONE = "独居老人"
    LEFT_BEHIND_CHILD = "留守儿童"
    KEY_YOUTH = "重点青少年"
    KEY_PETITIONER = "重点信访"
    SUBSISTENCE_ALLOWANCE = "低保"
    DISABLED = "残疾"


class RiskLevel(StrEnum):
    HIGH = "高"
    MEDIUM = "中"
    LOW = "低"


class _Tracked:
    """Columns every registry table has: where it is, when and by whom it last changed."""

    region_path: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now, index=True)
    updated_by: Mapped[str] = mapped_column(String(64), default="system")


class Building(_Tracked, Base):
    __tablename__ = "buildings"
    __table_args__ = (Index("ix_buildings_lon_lat", "lon", "lat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8), comment="楼栋 or 平房")
    use: Mapped[str] = mapped_column(String(10))
    floors: Mapped[int] = mapped_column(Integer)
    height_m: Mapped[float] = mapped_column(Float)
    units: Mapped[int] = mapped_column(Integer)
    footprint: Mapped[str] = mapped_column(Text, comment="GeoJSON Polygon, WGS-84")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)


class House(_Tracked, Base):
    __tablename__ = "houses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    unit: Mapped[int] = mapped_column(Integer)
    floor: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(12))
    area_m2: Mapped[float] = mapped_column(Float)
    use: Mapped[str] = mapped_column(String(4), index=True)
    # No foreign key: persons point at houses and houses at their owner, and a cycle of
    # constraints would make every bulk load order-dependent. The service keeps it consistent.
    owner_person_id: Mapped[int | None] = mapped_column(Integer, index=True)


class Household(_Tracked, Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    house_id: Mapped[int | None] = mapped_column(ForeignKey("houses.id"), index=True)


class Person(_Tracked, Base):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    gender: Mapped[str] = mapped_column(String(2))
    birth_date: Mapped[date] = mapped_column(Date)
    id_type: Mapped[str] = mapped_column(String(12), default=IdType.RESIDENT_CARD.value)
    id_number_cipher: Mapped[str] = mapped_column(Text)
    id_number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str] = mapped_column(String(40))
    phone_cipher: Mapped[str | None] = mapped_column(Text)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(20))
    residence_type: Mapped[str] = mapped_column(String(4), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    relation_to_head: Mapped[str] = mapped_column(String(10), default="户主")
    house_id: Mapped[int | None] = mapped_column(ForeignKey("houses.id"), index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)


class SpecialGroupMember(_Tracked, Base):
    __tablename__ = "special_group_members"
    __table_args__ = (UniqueConstraint("person_id", "group_type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    group_type: Mapped[str] = mapped_column(String(12), index=True)
    risk_level: Mapped[str] = mapped_column(String(2))
    responsible_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    visit_every_days: Mapped[int] = mapped_column(Integer)
    last_visit_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")


class Component(_Tracked, Base):
    """城市部件, classified in the style of GB/T 30428 (major class 2 digits, minor 2 more)."""

    __tablename__ = "components"
    __table_args__ = (Index("ix_components_lon_lat", "lon", "lat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    major_code: Mapped[str] = mapped_column(String(2), index=True)
    major_name: Mapped[str] = mapped_column(String(20))
    minor_code: Mapped[str] = mapped_column(String(4), index=True)
    minor_name: Mapped[str] = mapped_column(String(30))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(4), index=True)
    owner_department_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    maintainer_department_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    photo_url: Mapped[str | None] = mapped_column(String(300))


class Camera(_Tracked, Base):
    __tablename__ = "cameras"
    __table_args__ = (Index("ix_cameras_lon_lat", "lon", "lat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    direction_deg: Mapped[int] = mapped_column(Integer)
    stream_url: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(4), index=True)


class Place(_Tracked, Base):
    """Enterprises, shops and points of interest."""

    __tablename__ = "places"
    __table_args__ = (Index("ix_places_lon_lat", "lon", "lat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(12), index=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), comment="统一社会信用代码")
    industry: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(200))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    employees: Mapped[int] = mapped_column(Integer, default=0)


class ResourceCategory(Base):
    """One of the district's resource categories (the "76 categories of city resources").

    Core categories are backed by a typed table above (``typed_table``); the others keep their
    records in ``resource_records`` with attributes validated against ``attribute_schema``.
    """

    __tablename__ = "resource_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    group_name: Mapped[str] = mapped_column(String(20))
    geometry_type: Mapped[str] = mapped_column(String(10), comment="point, polygon, line, none")
    attribute_schema: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    typed_table: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)


class ResourceRecord(_Tracked, Base):
    __tablename__ = "resource_records"
    __table_args__ = (
        UniqueConstraint("category_id", "code"),
        Index("ix_resource_records_lon_lat", "lon", "lat"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("resource_categories.id"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(100))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    geometry: Mapped[str | None] = mapped_column(Text, comment="GeoJSON, WGS-84")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

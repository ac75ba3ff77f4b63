"""Departmental networks, their versions and units, the overlay on the basic grids, and the
roster of each grid."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime
from gridgov.kit.clock import now


class Network(Base):
    """One department's own map (警格, 城管网格, …). Its units live in versions; one is current."""

    __tablename__ = "networks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    # The roster role this network's officers fill on every grid it covers (police, …).
    roster_role: Mapped[str | None] = mapped_column(String(40))
    # Event category prefixes this network answers for (routing: "traffic" → the traffic unit).
    category_prefixes: Mapped[list[str]] = mapped_column(JSON, default=list)
    current_version_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class NetworkVersion(Base):
    __tablename__ = "network_versions"
    __table_args__ = (UniqueConstraint("network_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    unit_count: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(String(200), default="")
    imported_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    overlay_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NetworkUnit(Base):
    """One unit of a departmental network (a police beat, an urban-management grid…)."""

    __tablename__ = "network_units"
    __table_args__ = (UniqueConstraint("version_id", "unit_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("network_versions.id"), index=True)
    unit_code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    officer_name: Mapped[str] = mapped_column(String(64), default="")
    # The officer's phone is personal data: encrypted, and only the masked form is shown.
    officer_phone_cipher: Mapped[str | None] = mapped_column(Text)
    officer_phone_masked: Mapped[str | None] = mapped_column(String(20))
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    geometry: Mapped[str] = mapped_column(Text, comment="GeoJSON Polygon, WGS-84 lon/lat")
    area_m2: Mapped[float] = mapped_column(Float)


class NetworkOverlay(Base):
    """Which unit covers which share of a basic grid's area, for one network version."""

    __tablename__ = "network_overlay"
    __table_args__ = (
        UniqueConstraint("version_id", "grid_code", "unit_id"),
        Index("ix_network_overlay_grid", "grid_code", "version_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("network_versions.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("network_units.id"), index=True)
    grid_code: Mapped[str] = mapped_column(String(32))
    # The grid's path, so overlay rows are scoped like every other region-located row.
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    share: Mapped[float] = mapped_column(Float)
    area_m2: Mapped[float] = mapped_column(Float)


class RosterRole(Base):
    """A duty on a grid's roster (网格长, 网格警, …): built-in ones and any an admin adds."""

    __tablename__ = "roster_roles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    sort_order: Mapped[int] = mapped_column(Integer, default=100)
    is_builtin: Mapped[bool] = mapped_column(default=False)


class RosterEntry(Base):
    """A person entered by hand for a duty on a grid; overrides what the overlay derives."""

    __tablename__ = "roster_entries"
    __table_args__ = (Index("ix_roster_entries_grid_role", "grid_code", "role_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(32))
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    role_code: Mapped[str] = mapped_column(String(40))
    person_name: Mapped[str] = mapped_column(String(64))
    phone_cipher: Mapped[str | None] = mapped_column(Text)
    phone_masked: Mapped[str | None] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(200), default="")
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

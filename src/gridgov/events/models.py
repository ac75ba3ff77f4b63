from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime
from gridgov.events import search
from gridgov.kit.clock import now


class Source(StrEnum):
    CITIZEN = "citizen"
    GRID_WORKER = "grid_worker"
    DEPARTMENT = "department"
    STREET = "street"
    COMMUNITY = "community"
    HOTLINE = "hotline"
    SENSOR = "sensor"


SOURCE_LABELS = {
    Source.CITIZEN: "群众上报",
    Source.GRID_WORKER: "网格员巡查",
    Source.DEPARTMENT: "部门上报",
    Source.STREET: "镇街上报",
    Source.COMMUNITY: "社区上报",
    Source.HOTLINE: "12345热线",
    Source.SENSOR: "物联感知",
}


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"
    CRITICAL = "critical"


URGENCY_LABELS = {Urgency.NORMAL: "一般", Urgency.URGENT: "紧急", Urgency.CRITICAL: "特急"}


class Level(StrEnum):
    GRID = "grid"
    COMMUNITY = "community"
    STREET = "street"
    DISTRICT = "district"


EVENT_LEVEL_LABELS = {
    Level.GRID: "网格",
    Level.COMMUNITY: "社区",
    Level.STREET: "镇街",
    Level.DISTRICT: "区级",
}


class EventCategory(Base):
    """Two-level category tree (大类/小类) with the defaults a new case takes."""

    __tablename__ = "event_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    parent_code: Mapped[str | None] = mapped_column(String(20), index=True)
    time_limit_hours: Mapped[float] = mapped_column(Float, default=40.0)
    default_department_code: Mapped[str | None] = mapped_column(String(40))
    workflow_code: Mapped[str] = mapped_column(String(40), default="event_default")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(default=True)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("reporter_key", "idempotency_key"),
        Index("ix_events_lon_lat", "lon", "lat"),
        Index("ix_events_status_deadline", "status", "deadline_at"),
        # Each list filter's index carries the region path too, so a street's or a grid's
        # count is answered from the index alone.
        Index("ix_events_status_category", "status", "category_code", "region_path"),
        Index("ix_events_created_region", "created_at", "region_path"),
        # Duplicate suggestions: the same category in a recent window.
        Index("ix_events_category_created", "category_code", "created_at"),
        # Workbench tabs of a street, community or grid: a state within an area, by deadline.
        Index("ix_events_status_region_deadline", "status", "region_path", "deadline_at"),
        # The assessment's live worker board: each worker's reported cases in a month by the
        # figure's anchor (reported, due, closed). Without them SQLite walks every case the
        # workers ever reported (migration 0024_alert_root_case has the figures).
        Index("ix_events_reporter_created", "reporter_id", "created_at"),
        Index("ix_events_reporter_deadline", "reporter_id", "deadline_at"),
        Index("ix_events_reporter_closed", "reporter_id", "closed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category_code: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20), index=True)
    urgency: Mapped[str] = mapped_column(String(10), default="normal")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(200), default="")
    # The basic grid's path: community and street codes are its ancestors.
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    special_grids: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(40), index=True)
    level: Mapped[str] = mapped_column(String(12), default="grid")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # Who the idempotency key belongs to: an account id, or the channel for anonymous intake.
    reporter_key: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # When the case turns yellow; kept beside the deadline so the SLA scan is one indexed range.
    warn_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # How far the SLA scan has gone with this case: 0 nothing, 1 warned, 2 overdue handled.
    sla_stage: Mapped[int] = mapped_column(Integer, default=0)
    workflow_instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    classified_by: Mapped[str] = mapped_column(String(40), default="reporter")
    # 自办结 cases drawn for a check: pending until checked, then passed or failed.
    spot_check: Mapped[str | None] = mapped_column(String(10), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The title's and address's character bigrams, for the free-text list filter (see
    # events/search.py); kept by an insert default and the before_update hook below.
    search_text: Mapped[str] = mapped_column(Text, default=search.column_default, server_default="")


@event.listens_for(Event, "before_update")
def _reindex_changed_text(mapper: Any, connection: Any, target: Event) -> None:
    state = inspect(target)
    if state.attrs.title.history.has_changes() or state.attrs.address.history.has_changes():
        target.search_text = search.document(target.title, target.address)


class AssistStatus(StrEnum):
    ASSIGNED = "assigned"
    FED_BACK = "fed_back"


class EventAssist(Base):
    """An assisting department (协办单位) of a case: it feeds back on its part; the primary
    department (主办) feeds back for the case once every assisting one has, and the case closes
    on the primary's feedback."""

    __tablename__ = "event_assists"
    __table_args__ = (UniqueConstraint("event_id", "department_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=AssistStatus.ASSIGNED.value)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    feedback: Mapped[str] = mapped_column(Text, default="")
    fed_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fed_back_by: Mapped[str | None] = mapped_column(String(64))

"""A visit to a household or a special-group member, recorded by the worker who made it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime
from gridgov.kit.clock import now


class VisitKind(StrEnum):
    ROUTINE = "routine"
    SPECIAL_GROUP = "special_group"
    CAMPAIGN = "campaign"
    TASK = "task"


VISIT_KIND_LABELS = {
    VisitKind.ROUTINE: "日常走访",
    VisitKind.SPECIAL_GROUP: "特殊人群走访",
    VisitKind.CAMPAIGN: "专项排查走访",
    VisitKind.TASK: "任务走访",
}


class Visit(Base):
    """One visit. ``household_id`` and ``member_id`` are registry ids (read through the
    registry's services, never joined here); ``region_path`` is the basic grid of the household
    or member visited, so visits are scoped like the people they are about. The worker's name is
    kept beside their id, as the record of who went."""

    __tablename__ = "visits"
    __table_args__ = (
        # An offline retry of the same visit is applied once per (worker, client id).
        UniqueConstraint("user_id", "client_id"),
        # Daily reports count a worker's visits per day.
        Index("ix_visits_user_visited", "user_id", "visited_at"),
        Index("ix_visits_visited_region", "visited_at", "region_path"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    user_name: Mapped[str] = mapped_column(String(64), default="")
    client_id: Mapped[str] = mapped_column(String(64))
    household_id: Mapped[int | None] = mapped_column(Integer, index=True)
    member_id: Mapped[int | None] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    summary: Mapped[str] = mapped_column(Text)
    findings: Mapped[str] = mapped_column(Text, default="")
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    media_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

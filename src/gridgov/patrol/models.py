"""Patrols, their raw GPS fixes and each worker's live status."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime
from gridgov.kit.clock import now


class PatrolStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ClosedBy(StrEnum):
    STOPPED = "stopped"  # the worker stopped it
    SUPERSEDED = "superseded"  # the worker started another one
    STALE = "stale"  # no fix for a long time: closed by the housekeeping job


class Patrol(Base):
    """One patrol of a worker: from start to stop, with the statistics of its kept fixes and a
    simplified path that stays after the raw fixes are pruned."""

    __tablename__ = "patrols"
    __table_args__ = (
        UniqueConstraint("user_id", "client_id"),
        Index("ix_patrols_user_started", "user_id", "started_at"),
        # The housekeeping job: open patrols by their last fix; old ones to prune.
        Index("ix_patrols_status_last_point", "status", "last_point_at"),
        Index("ix_patrols_started_pruned", "started_at", "points_pruned"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Made by the device, so a start retried offline is applied once.
    client_id: Mapped[str] = mapped_column(String(64))
    # The worker's (first) grid: scope, and the grid whose coverage is measured.
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    grid_code: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_point_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default=PatrolStatus.OPEN.value)
    closed_by: Mapped[str | None] = mapped_column(String(12))
    # Statistics of the stored fixes, computed at the stop (and again for late fixes).
    distance_m: Mapped[float] = mapped_column(Float, default=0.0)
    duration_s: Mapped[int] = mapped_column(Integer, default=0)
    moving_s: Mapped[int] = mapped_column(Integer, default=0)
    point_count: Mapped[int] = mapped_column(Integer, default=0)
    kept_count: Mapped[int] = mapped_column(Integer, default=0)
    dropped_count: Mapped[int] = mapped_column(Integer, default=0)
    coverage: Mapped[float | None] = mapped_column(Float)
    # [{"lon", "lat", "from", "to", "seconds"}], times as ISO-8601 UTC.
    stops: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # GeoJSON LineString of the simplified track (or Point), and each vertex's seconds from
    # started_at: what replay draws once the raw fixes are pruned.
    path: Mapped[str | None] = mapped_column(Text)
    path_t: Mapped[list[int]] = mapped_column(JSON, default=list)
    stats_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    points_pruned: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class TrackPoint(Base):
    """A raw GPS fix. The big table (10,000 workers every 10 s): kept narrow, keyed by
    (patrol, time) so a fix sent twice is stored once, pruned after the retention period."""

    __tablename__ = "track_points"

    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrols.id"), primary_key=True)
    t: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    speed_mps: Mapped[float | None] = mapped_column(Float)
    # Why the statistics dropped this fix (accuracy, jump, duplicate), or NULL when kept.
    noise: Mapped[str | None] = mapped_column(String(10))


class WorkerStatus(Base):
    """One row per worker: duty, the latest fix and the open patrol, upserted on ingest."""

    __tablename__ = "worker_status"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    # Checked in (or patrolling). Effective duty also needs a sign of life within the
    # timeout: see services.is_on_duty.
    on_duty: Mapped[bool] = mapped_column(default=False)
    open_patrol_id: Mapped[int | None] = mapped_column(Integer)
    last_lon: Mapped[float | None] = mapped_column(Float)
    last_lat: Mapped[float | None] = mapped_column(Float)
    last_fix_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_accuracy_m: Mapped[float | None] = mapped_column(Float)
    # The latest sign of life: a fix, a check-in or a patrol start.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    duty_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

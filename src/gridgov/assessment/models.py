"""Assessment (绩效考核): schemes (versioned, district-wide configuration) and the frozen
monthly snapshots of their scores.

- ``assessment_schemes``: one row per *version* of a scheme. A scheme is named by its ``code``;
  the row with ``is_current`` is the version that editing changes and that live scores use.
  Editing a version that frozen snapshots refer to makes a new version (the old row stays, so
  the snapshots keep the weights and rules they were computed with).
- ``assessment_snapshots``: one frozen month of one scheme version (unique per scheme code and
  month: freezing twice returns the first).
- ``assessment_scores``: the frozen rows of a snapshot, one per target, with every part
  (indicator value, numerator, denominator, points) as JSON. ``region_path`` (the target's
  region, a worker's grid, the district for a department) and ``department_id`` are what the
  reader's scope filters on.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime
from gridgov.kit.clock import now


class Scheme(Base):
    __tablename__ = "assessment_schemes"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    name: Mapped[str] = mapped_column(String(100))
    target_type: Mapped[str] = mapped_column(String(20))
    # [{"indicator": code, "weight": float, "rule": "linear"|"rank", "floor": float|None,
    #   "target": float|None}]
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(String(500), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    is_current: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_by: Mapped[str] = mapped_column(String(64), default="")


class Snapshot(Base):
    __tablename__ = "assessment_snapshots"
    __table_args__ = (UniqueConstraint("scheme_code", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("assessment_schemes.id"), index=True)
    scheme_code: Mapped[str] = mapped_column(String(40))
    month: Mapped[date] = mapped_column(Date)
    target_type: Mapped[str] = mapped_column(String(20))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    frozen_by: Mapped[str] = mapped_column(String(64), default="")


class Score(Base):
    __tablename__ = "assessment_scores"
    __table_args__ = (
        UniqueConstraint("snapshot_id", "target_key"),
        Index("ix_assessment_scores_snapshot_rank", "snapshot_id", "rank"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("assessment_snapshots.id"))
    target_key: Mapped[str] = mapped_column(String(40))
    target_label: Mapped[str] = mapped_column(String(100))
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    department_id: Mapped[int | None] = mapped_column(Integer)
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    # [{"indicator", "value", "numerator", "denominator", "weight", "points"}]
    parts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

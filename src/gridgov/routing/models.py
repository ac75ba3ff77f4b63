from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime
from gridgov.kit.clock import now


class RoutingStatus:
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


class RoutingRuleSet(Base):
    """One version of the routing rules and confidence thresholds. At most one is active;
    a saved version never changes, so every decision can name the rules that made it."""

    __tablename__ = "routing_rule_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(String(10), index=True, default=RoutingStatus.DRAFT)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    created_by: Mapped[str] = mapped_column(String(64))
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    activated_by: Mapped[str | None] = mapped_column(String(64))


class RoutingModel(Base):
    """One trained version of the text model: a department classifier and a category
    classifier, stored as bytes with what they were trained on and how well they did."""

    __tablename__ = "routing_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(String(10), index=True, default=RoutingStatus.DRAFT)
    department_model: Mapped[bytes] = mapped_column(LargeBinary)
    category_model: Mapped[bytes | None] = mapped_column(LargeBinary)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Counts of training rows by origin (closed cases, corrections, public data) and the
    # held-out figures measured when it was trained.
    trained_on: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    created_by: Mapped[str] = mapped_column(String(64))
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RoutingDecision(Base):
    """What routing proposed for a case, how it was decided, and what became of it: the
    department that finally took the case, whether an operator overrode the proposal, and
    whether the proposed department sent it back as not theirs. Corrections feed training."""

    __tablename__ = "routing_decisions"
    __table_args__ = (UniqueConstraint("subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    mode: Mapped[str] = mapped_column(String(10), index=True)  # auto / recommend / manual
    decided_by: Mapped[str] = mapped_column(String(20))  # rule / model / category / none
    rule_set_version: Mapped[int | None] = mapped_column(Integer)
    rule_id: Mapped[str | None] = mapped_column(String(40))
    model_version: Mapped[int | None] = mapped_column(Integer)
    confidence: Mapped[float | None] = mapped_column(Float)
    department_code: Mapped[str | None] = mapped_column(String(40))
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    final_department_code: Mapped[str | None] = mapped_column(String(40))
    overridden: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    returned: Mapped[bool] = mapped_column(Boolean, default=False)
    returned_comment: Mapped[str | None] = mapped_column(Text)

"""Campaign forms (versioned, immutable), campaigns, their target households and the responses
filled in for them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
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


class CampaignForm(Base):
    """One version of a form. Saving under the same code makes the next version; a version is
    never changed, so a campaign keeps the form it started with."""

    __tablename__ = "campaign_forms"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class CampaignStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class Phase(StrEnum):
    """What a campaign is doing today: from its dates and status."""

    UPCOMING = "upcoming"
    RUNNING = "running"
    ENDED = "ended"


PHASE_LABELS = {Phase.UPCOMING: "未开始", Phase.RUNNING: "进行中", Phase.ENDED: "已结束"}


class TargetKind(StrEnum):
    REGIONS = "regions"
    HOUSEHOLDS = "households"


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    form_id: Mapped[int] = mapped_column(ForeignKey("campaign_forms.id"), index=True)
    # The smallest region holding every target (the street for a street's campaign): where
    # the campaign lives. Who may read it is decided by its targets (see the repository).
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    target_kind: Mapped[str] = mapped_column(String(12))
    target_region_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    target_household_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    target_count: Mapped[int] = mapped_column(Integer, default=0)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(10), default=CampaignStatus.ACTIVE.value)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))


class TargetStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"


TARGET_STATUS_LABELS = {TargetStatus.PENDING: "待排查", TargetStatus.DONE: "已排查"}


class CampaignTarget(Base):
    """A household a campaign screens. It carries the household's grid path, so progress per
    grid is one GROUP BY, and the current response."""

    __tablename__ = "campaign_targets"
    __table_args__ = (
        UniqueConstraint("campaign_id", "household_id"),
        Index("ix_campaign_targets_campaign_region", "campaign_id", "region_path", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(10), default=TargetStatus.PENDING.value)
    response_id: Mapped[int | None] = mapped_column(Integer)
    # How many responses were recorded (corrections included): the optimistic lock of a fill.
    responses: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CampaignResponse(Base):
    """One filled form for one household. A correction is a new row (``version`` + 1); the
    one it replaces keeps its values and points at its successor (``replaced_by``)."""

    __tablename__ = "campaign_responses"
    __table_args__ = (
        # An offline retry carries the same client id: applied once per account.
        UniqueConstraint("filled_by_id", "client_id"),
        Index("ix_campaign_responses_campaign_region", "campaign_id", "region_path"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    target_id: Mapped[int] = mapped_column(ForeignKey("campaign_targets.id"), index=True)
    household_id: Mapped[int] = mapped_column(Integer, index=True)
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("campaign_forms.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The values as checked against the form, personal data (phone fields) masked.
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The personal data of the values, by path, encrypted as one JSON document.
    sealed: Mapped[str | None] = mapped_column(Text)
    replaced_by: Mapped[int | None] = mapped_column(Integer)
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    filled_by_id: Mapped[int | None] = mapped_column(Integer)
    filled_by: Mapped[str] = mapped_column(String(64))
    filled_by_name: Mapped[str] = mapped_column(String(64), default="")
    filled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    client_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

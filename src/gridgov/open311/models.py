"""Open311 API keys and the service requests that came in through them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime
from gridgov.kit.clock import now


class Open311Key(Base):
    """A system allowed to post service requests. The key is shown once when made; only its
    SHA-256 is stored (it is 32 random bytes, so a plain hash cannot be guessed back)."""

    __tablename__ = "open311_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    contact: Mapped[str] = mapped_column(String(200), default="")
    key_prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    requests_per_minute: Mapped[int] = mapped_column(Integer, default=60)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Open311Request(Base):
    """A case posted through Open311: which key sent it, the token handed back, and what the
    case itself has no column for (attributes, a media URL)."""

    __tablename__ = "open311_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), unique=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("open311_keys.id"), index=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    service_code: Mapped[str] = mapped_column(String(20))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    media_url: Mapped[str | None] = mapped_column(String(500))
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

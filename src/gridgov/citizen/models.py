"""Citizens of the public app: phones they verified, devices reporting without a phone,
verification codes sent, and the reports made through the app (for rate limits and the
public view)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime
from gridgov.kit.clock import now


class CitizenPhone(Base):
    """The phone a citizen account verified: stored like registry phones (cipher, search
    hash, mask), never in plain."""

    __tablename__ = "citizen_phones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    phone_cipher: Mapped[str] = mapped_column(String(255))
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    phone_masked: Mapped[str] = mapped_column(String(20))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class CitizenDevice(Base):
    """A browser reporting without a phone: an anonymous citizen account whose credential is a
    random device token kept on that device (only its hash is stored)."""

    __tablename__ = "citizen_devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    ip_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class PhoneVerification(Base):
    """A code sent to a phone: only hashes are kept; a code expires, allows a few tries and is
    used once."""

    __tablename__ = "phone_verifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    ip_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CitizenReport(Base):
    """A case reported through the public app, with who and where from (hashed), so limits per
    account, device and address are counted from rows every process shares."""

    __tablename__ = "citizen_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    device_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    ip_hash: Mapped[str] = mapped_column(String(64), index=True)
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    # Answers to the category's extra questions (also written into the description).
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)

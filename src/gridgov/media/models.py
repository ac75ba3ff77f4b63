"""Uploaded photos and videos. A file is named by a random key; the row says what it is (decided
by its content), who uploaded it, and what it is attached to once it is."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime
from gridgov.kit.clock import now


class MediaKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"


class Media(Base):
    __tablename__ = "media"
    __table_args__ = (Index("ix_media_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The file's name on disk: random, so nothing about it comes from the client.
    key: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # Images only: as displayed, after the EXIF orientation.
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    has_thumbnail: Mapped[bool] = mapped_column(default=False)
    uploaded_by: Mapped[int | None] = mapped_column(Integer, index=True)
    uploader: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # What the file belongs to once attached (a case), in which role (report, after, feedback…)
    # and with which step of the subject's timeline; empty while it is the uploader's alone.
    subject_type: Mapped[str | None] = mapped_column(String(20))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    role: Mapped[str | None] = mapped_column(String(20))
    step_seq: Mapped[int | None] = mapped_column(Integer)
    region_path: Mapped[str] = mapped_column(String(255), default="", index=True)
    attached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

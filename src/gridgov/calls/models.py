from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime
from gridgov.kit.clock import now


class CallStatus(StrEnum):
    RINGING = "ringing"
    ANSWERED = "answered"
    REJECTED = "rejected"
    MISSED = "missed"
    ENDED = "ended"


STATUS_LABELS = {
    CallStatus.RINGING: "呼叫中",
    CallStatus.ANSWERED: "通话中",
    CallStatus.REJECTED: "已拒接",
    CallStatus.MISSED: "未接通",
    CallStatus.ENDED: "已结束",
}
FINAL_STATUSES = frozenset({CallStatus.REJECTED, CallStatus.MISSED, CallStatus.ENDED})


class CallKind(StrEnum):
    # Staff (center, street, community) calls a worker.
    TO_WORKER = "to_worker"
    # A worker calls "the center": every online staff member over their grid rings.
    TO_CENTER = "to_center"


KIND_LABELS = {CallKind.TO_WORKER: "呼叫网格员", CallKind.TO_CENTER: "网格员呼叫中心"}


class EndReason(StrEnum):
    HANGUP = "hangup"  # a party hung up an answered call
    CANCELLED = "cancelled"  # the caller gave up while it rang
    REJECTED = "rejected"  # the callee refused
    NO_ANSWER = "no_answer"  # rang GRIDGOV_CALL_RING_SECONDS
    OFFLINE = "offline"  # nobody to ring
    DISCONNECTED = "disconnected"  # a party's connection dropped
    LOST = "lost"  # the server that held the call went away (found by the sweep job)


END_REASON_LABELS = {
    EndReason.HANGUP: "挂断",
    EndReason.CANCELLED: "主叫取消",
    EndReason.REJECTED: "被叫拒接",
    EndReason.NO_ANSWER: "无人接听",
    EndReason.OFFLINE: "对方不在线",
    EndReason.DISCONNECTED: "连接中断",
    EndReason.LOST: "通话丢失",
}


class Call(Base):
    """One video call. ``region_path`` is the worker's grid, so the call is scoped like the
    worker's other work; names are copied at call time (staff and worker display names, no
    resident data)."""

    __tablename__ = "calls"
    __table_args__ = (Index("ix_calls_status_started_at", "status", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The signalling id, chosen by the calling browser (letters, digits, - and _).
    call_key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    caller_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    caller_name: Mapped[str] = mapped_column(String(64))
    # NULL while a call to the center rings: whoever accepts first becomes the callee.
    callee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    callee_name: Mapped[str] = mapped_column(String(64), default="")
    # Who was rung (user ids), so the others can be told when one accepts.
    rung_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(20))
    ended_by: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

"""The early-warning alerts (预警) found by the scan: one row per finding, kept up to date by
later scans while it is open, acknowledged and closed by the people of its area."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime
from gridgov.kit.clock import now


class AlertKind(StrEnum):
    ABNORMAL_RISE = "abnormal_rise"
    RECURRENCE = "recurrence"
    SLA_RISK = "sla_risk"
    VISIT_OVERDUE = "visit_overdue"


ALERT_KIND_LABELS = {
    AlertKind.ABNORMAL_RISE: "异常上升",
    AlertKind.RECURRENCE: "反复发生",
    AlertKind.SLA_RISK: "超期风险",
    AlertKind.VISIT_OVERDUE: "走访逾期",
}


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


ALERT_STATUS_LABELS = {
    AlertStatus.OPEN: "待处理",
    AlertStatus.ACKNOWLEDGED: "已签收",
    AlertStatus.CLOSED: "已关闭",
}


class Alert(Base):
    """One early warning with the numbers that raised it (``explanation`` in words,
    ``details`` as data) and the cases behind it (``event_ids``)."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_status_region", "status", "region_path"),
        Index("ix_alerts_kind_key", "kind", "dedupe_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(14), default=AlertStatus.OPEN.value)
    # What makes two findings the same alert (kind, category, region or spot, window type);
    # a scan updates the alert of the same key instead of adding one.
    dedupe_key: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    explanation: Mapped[str] = mapped_column(Text)
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    category_code: Mapped[str | None] = mapped_column(String(20))
    # The department a case at risk is with (department accounts read those only).
    department_id: Mapped[int | None] = mapped_column(Integer)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    window_start: Mapped[date | None] = mapped_column(Date)
    event_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    # A recurrence merged into one root-cause case (合并为根源案件): the case made for it. Set
    # once (a second attempt is refused); later repeats are merged into it while it is open.
    root_event_id: Mapped[int | None] = mapped_column(Integer)
    root_event_code: Mapped[str | None] = mapped_column(String(24))

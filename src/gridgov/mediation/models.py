from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime
from gridgov.kit.clock import now


class DisputeType(StrEnum):
    FAMILY = "family"
    NEIGHBOUR = "neighbour"
    PROPERTY_MGMT = "property_mgmt"
    LABOUR = "labour"
    LAND_HOUSING = "land_housing"
    DEBT = "debt"
    TRAFFIC = "traffic"
    MEDICAL = "medical"
    OTHER = "other"


DISPUTE_TYPE_LABELS = {
    DisputeType.FAMILY: "婚姻家庭",
    DisputeType.NEIGHBOUR: "邻里纠纷",
    DisputeType.PROPERTY_MGMT: "物业纠纷",
    DisputeType.LABOUR: "劳动争议",
    DisputeType.LAND_HOUSING: "土地/房屋",
    DisputeType.DEBT: "债权债务",
    DisputeType.TRAFFIC: "交通事故",
    DisputeType.MEDICAL: "医疗纠纷",
    DisputeType.OTHER: "其他",
}


class DisputeSource(StrEnum):
    GRID_WORKER = "grid_worker"
    CITIZEN = "citizen"
    HOTLINE = "hotline"
    EVENT = "event"


SOURCE_LABELS = {
    DisputeSource.GRID_WORKER: "网格员排查发现",
    DisputeSource.CITIZEN: "群众来访申请",
    DisputeSource.HOTLINE: "热线转来",
    DisputeSource.EVENT: "事件转为纠纷",
}


class RiskGrade(StrEnum):
    GENERAL = "general"
    MAJOR = "major"
    SERIOUS = "serious"


RISK_LABELS = {RiskGrade.GENERAL: "一般", RiskGrade.MAJOR: "较大", RiskGrade.SERIOUS: "重大"}
RISK_ORDER = [RiskGrade.GENERAL, RiskGrade.MAJOR, RiskGrade.SERIOUS]
# What each grade means, shown wherever a grade is chosen.
RISK_CRITERIA = {
    RiskGrade.GENERAL: "当事人 2–4 人，涉及金额 5 万元以下，情绪基本平稳，无激化迹象。",
    RiskGrade.MAJOR: "当事人 5–29 人或涉及金额 5 万–50 万元，或多次调解未果、有上访苗头，"
    "或当事人情绪激动、有过激言语。",
    RiskGrade.SERIOUS: "当事人 30 人以上或涉及金额 50 万元以上，或有暴力、持械、自伤自杀、"
    "扬言报复等极端苗头，或可能引发群体性事件。",
}


class MediationLevel(StrEnum):
    """Which mediation organisation holds the dispute. Escalation goes community → street →
    district; industry (行业性专业性) committees escalate to the district."""

    COMMUNITY = "community"
    STREET = "street"
    DISTRICT = "district"
    INDUSTRY = "industry"


MEDIATION_LEVEL_LABELS = {
    MediationLevel.COMMUNITY: "社区（村）人民调解委员会",
    MediationLevel.STREET: "镇街人民调解委员会",
    MediationLevel.DISTRICT: "区人民调解委员会",
    MediationLevel.INDUSTRY: "行业性专业性调解委员会",
}


class Outcome(StrEnum):
    AGREED = "agreed"
    PARTIAL = "partial"
    FAILED = "failed"


OUTCOME_LABELS = {Outcome.AGREED: "达成协议", Outcome.PARTIAL: "部分达成", Outcome.FAILED: "未达成"}


class Referral(StrEnum):
    LITIGATION = "litigation"
    ARBITRATION = "arbitration"
    PETITION = "petition"


REFERRAL_LABELS = {
    Referral.LITIGATION: "引导诉讼",
    Referral.ARBITRATION: "引导仲裁",
    Referral.PETITION: "转信访渠道",
}


class Performance(StrEnum):
    FULFILLED = "fulfilled"
    PARTIAL = "partial"
    UNFULFILLED = "unfulfilled"


PERFORMANCE_LABELS = {
    Performance.FULFILLED: "已履行",
    Performance.PARTIAL: "部分履行",
    Performance.UNFULFILLED: "未履行",
}


class Dispute(Base):
    __tablename__ = "disputes"
    __table_args__ = (
        Index("ix_disputes_status_deadline", "status", "deadline_at"),
        Index("ix_disputes_created_region", "created_at", "region_path"),
        # Early warning: earlier disputes at the same address.
        Index("ix_disputes_address_created", "address_key", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    dispute_type: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    # The address without spaces and punctuation: "same address" is an exact match on it.
    address_key: Mapped[str] = mapped_column(String(200), default="")
    # The basic grid where the dispute arose: community and street are its ancestors.
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    source: Mapped[str] = mapped_column(String(20))
    source_event_id: Mapped[int | None] = mapped_column(Integer, index=True)
    risk_grade: Mapped[str] = mapped_column(String(10), default=RiskGrade.GENERAL.value)
    level: Mapped[str] = mapped_column(String(12), default=MediationLevel.COMMUNITY.value)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    mediators: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), index=True)
    outcome: Mapped[str | None] = mapped_column(String(10), index=True)
    referral: Mapped[str | None] = mapped_column(String(12))
    agreement_terms: Mapped[str] = mapped_column(Text, default="")
    performance: Mapped[str | None] = mapped_column(String(12))
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # When the mediators are warned; beside the deadline so the scan is one indexed range.
    warn_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # How far the time-limit scan has gone: 0 nothing, 1 warned, 2 overdue handled.
    sla_stage: Mapped[int] = mapped_column(Integer, default=0)
    workflow_instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    reporter_id: Mapped[int | None] = mapped_column(Integer)
    reporter_username: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PartyRole(StrEnum):
    APPLICANT = "applicant"
    RESPONDENT = "respondent"


PARTY_ROLE_LABELS = {PartyRole.APPLICANT: "申请人", PartyRole.RESPONDENT: "被申请人"}


class DisputeParty(Base):
    """A party of a dispute: a resident of the registry (``person_id``; the registry keeps the
    personal data) or a free entry whose ID number and phone are stored encrypted, with a
    keyed search hash and a masked form, as the registry does."""

    __tablename__ = "dispute_parties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    role: Mapped[str] = mapped_column(String(12))
    person_id: Mapped[int | None] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(100))
    id_number_cipher: Mapped[str | None] = mapped_column(Text)
    id_number_hash: Mapped[str | None] = mapped_column(String(64))
    id_number_masked: Mapped[str | None] = mapped_column(String(40))
    phone_cipher: Mapped[str | None] = mapped_column(Text)
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    phone_masked: Mapped[str | None] = mapped_column(String(20))
    # Who this party is across disputes ("p:<person id>", "h:<id number hash>", or the name
    # with the phone hash): the early-warning rules count disputes per key.
    party_key: Mapped[str | None] = mapped_column(String(80), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class AlertRule(StrEnum):
    REPEAT_PARTY = "repeat_party"
    REPEAT_ADDRESS = "repeat_address"
    FREQUENT = "frequent"
    GRADE_RAISED = "grade_raised"
    VIOLENCE = "violence"


ALERT_RULE_LABELS = {
    AlertRule.REPEAT_PARTY: "同一当事人反复纠纷",
    AlertRule.REPEAT_ADDRESS: "同一地址反复纠纷",
    AlertRule.FREQUENT: "90 日内纠纷频发",
    AlertRule.GRADE_RAISED: "风险等级上调",
    AlertRule.VIOLENCE: "出现暴力或极端言行苗头",
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


class DisputeAlert(Base):
    """An early warning (预警) raised on a dispute, with the reason, sent to the community and
    the police station; acknowledged and closed by the people it was sent to."""

    __tablename__ = "dispute_alerts"
    __table_args__ = (Index("ix_dispute_alerts_status_region", "status", "region_path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    rule: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(14), default=AlertStatus.OPEN.value)
    notified: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")

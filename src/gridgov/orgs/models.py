from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime
from gridgov.kit.clock import now


class OrgKind(StrEnum):
    COMMAND_CENTER = "command_center"
    DEPARTMENT = "department"
    STREET_OFFICE = "street_office"
    COMMUNITY_COMMITTEE = "community_committee"
    SOCIAL_ORGANISATION = "social_organisation"
    ENTERPRISE = "enterprise"


ORG_KIND_LABELS: dict[OrgKind, str] = {
    OrgKind.COMMAND_CENTER: "社会治理中心",
    OrgKind.DEPARTMENT: "区直部门",
    OrgKind.STREET_OFFICE: "街道/镇办事处",
    OrgKind.COMMUNITY_COMMITTEE: "社区/村委会",
    OrgKind.SOCIAL_ORGANISATION: "社会组织",
    OrgKind.ENTERPRISE: "企业",
}


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(100))
    short_name: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(30), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    # Copied from the region so that scope is one prefix match, like every other scoped table.
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    phone: Mapped[str | None] = mapped_column(String(40))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

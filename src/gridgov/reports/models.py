"""A saved analysis view (专题): the filters of the 分析研判 page under a name, private to its
owner or shared with everyone whose area contains its region."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime
from gridgov.kit.clock import now

# Period presets a view may keep instead of fixed dates; resolved against today when opened.
PERIOD_PRESETS = {
    "month": "本月",
    "last_month": "上月",
    "last_week": "上周",
    "30d": "近30天",
    "quarter": "本季度",
    "year": "本年",
    "12m": "近12个月",
}
# The parts of the page (and of the report) a view shows.
PANELS = {
    "kpis": "核心指标",
    "trend": "趋势",
    "ladder": "办结层级",
    "region": "分区域",
    "category": "分类别",
    "source": "分来源",
    "ranking": "下级排名",
}


class SavedView(Base):
    """``region_path`` is the path of the view's region (of the owner's area when the view
    names none), so shared views are scoped like the data they show."""

    __tablename__ = "analytics_saved_views"
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    owner_name: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    region_code: Mapped[str | None] = mapped_column(String(40))
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    preset: Mapped[str | None] = mapped_column(String(16))
    start: Mapped[date | None] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    category_code: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(Integer)
    panels: Mapped[list[str]] = mapped_column(JSON, default=list)
    indicators: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

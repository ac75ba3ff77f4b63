"""The rollup tables of analytics: derived data only, rebuilt from the cases at any time.

Three layers, each a pure function of the one below it:

- ``analytics_case_facts``: one row per case with what the counters need to know about it
  (its grid and ancestors, category, source, primary department, the local day it was
  reported, fell due and closed, and yes/no facts such as settled on the spot or reworked).
  It is also the memory of where each case was counted last time, so that an incremental run
  knows which rollup keys a changed case leaves as well as the ones it joins.
- ``analytics_daily``: additive counters per (local day, basic grid, category, source,
  department). Each counter belongs to one *anchor* day of the case: the day it was reported,
  the day its deadline fell, or the day it closed (see ``indicators.COUNTERS``).
- ``analytics_monthly``: the same counters per (month, region node, category, source,
  department) for every node of the tree (district, street, community, grid), so a district's
  year is a dozen months of one node rather than every grid's every day.
- ``analytics_node_daily``: the daily counters of every node above the grids, by category
  and source (no department), built level by level from the grid rows.
- ``analytics_totals``: the counters per node of every level and day or month with no other
  dimension — what the dashboards, region breakdowns and rankings read when no category,
  source or department is asked.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime
from gridgov.events.models import Event

# The incremental job reads the cases changed since its watermark through this index.
EVENTS_BY_UPDATE = Index("ix_events_updated_at", Event.updated_at)

# A region node's distance above the basic grids: the grid itself, its community, street,
# district and city. Rollup rows name a node by its path and this distance.
LEVEL_UP = {"grid": 0, "community": 1, "street": 2, "district": 3, "city": 4}
MAX_UP = 4
NO_DEPARTMENT = 0


class CaseFact(Base):
    """What the rollups count about one case, as of the last run that saw it."""

    __tablename__ = "analytics_case_facts"
    __table_args__ = (
        Index("ix_analytics_facts_report", "report_day", "region_path"),
        Index("ix_analytics_facts_due", "due_day", "region_path"),
        Index("ix_analytics_facts_closed", "closed_day", "region_path"),
    )

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    region_path: Mapped[str] = mapped_column(String(255))
    # The grid's ancestors one to four levels up (community, street, district, city); null
    # above the root.
    up1_path: Mapped[str | None] = mapped_column(String(255))
    up2_path: Mapped[str | None] = mapped_column(String(255))
    up3_path: Mapped[str | None] = mapped_column(String(255))
    up4_path: Mapped[str | None] = mapped_column(String(255))
    category_code: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int] = mapped_column(Integer, default=NO_DEPARTMENT)
    report_day: Mapped[date] = mapped_column(Date)
    report_month: Mapped[date] = mapped_column(Date)
    # Null for voided cases: nothing is due of a case that was never taken on.
    due_day: Mapped[date | None] = mapped_column(Date)
    due_month: Mapped[date | None] = mapped_column(Date)
    closed_day: Mapped[date | None] = mapped_column(Date)
    closed_month: Mapped[date | None] = mapped_column(Date)
    # pending (待受理), in_progress, suspended, closed, voided
    status_group: Mapped[str] = mapped_column(String(12))
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    voided: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    self_settled: Mapped[int] = mapped_column(Integer, default=0)
    reworked: Mapped[int] = mapped_column(Integer, default=0)
    escalated: Mapped[int] = mapped_column(Integer, default=0)
    level: Mapped[str] = mapped_column(String(12))
    handling_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    satisfaction: Mapped[int | None] = mapped_column(Integer)


class _Counters:
    """The additive counters shared by the daily and monthly tables (``indicators.COUNTERS``
    defines each one: its anchor day and the cases it counts)."""

    reported: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    voided: Mapped[int] = mapped_column(Integer, default=0)
    st_pending: Mapped[int] = mapped_column(Integer, default=0)
    st_in_progress: Mapped[int] = mapped_column(Integer, default=0)
    st_suspended: Mapped[int] = mapped_column(Integer, default=0)
    st_closed: Mapped[int] = mapped_column(Integer, default=0)
    due: Mapped[int] = mapped_column(Integer, default=0)
    due_closed: Mapped[int] = mapped_column(Integer, default=0)
    due_on_time: Mapped[int] = mapped_column(Integer, default=0)
    due_open: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    closed_on_time: Mapped[int] = mapped_column(Integer, default=0)
    self_settled: Mapped[int] = mapped_column(Integer, default=0)
    reworked: Mapped[int] = mapped_column(Integer, default=0)
    escalated: Mapped[int] = mapped_column(Integer, default=0)
    settled_grid: Mapped[int] = mapped_column(Integer, default=0)
    settled_community: Mapped[int] = mapped_column(Integer, default=0)
    settled_street: Mapped[int] = mapped_column(Integer, default=0)
    settled_district: Mapped[int] = mapped_column(Integer, default=0)
    handling_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    rated: Mapped[int] = mapped_column(Integer, default=0)
    satisfaction_sum: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    dissatisfied: Mapped[int] = mapped_column(Integer, default=0)


class DailyRollup(_Counters, Base):
    """Counters per local day and basic grid, with the grid's ancestors (so the monthly rows
    of every level are one GROUP BY each)."""

    __tablename__ = "analytics_daily"
    __table_args__ = (
        Index("ix_analytics_daily_month", "month", "region_path"),
        # One grid's days (a grid's own edge days and trends).
        Index("ix_analytics_daily_grid", "region_path", "day"),
    )

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    region_path: Mapped[str] = mapped_column(String(255), primary_key=True)
    category_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    month: Mapped[date] = mapped_column(Date)
    up1_path: Mapped[str | None] = mapped_column(String(255))
    up2_path: Mapped[str | None] = mapped_column(String(255))
    up3_path: Mapped[str | None] = mapped_column(String(255))
    up4_path: Mapped[str | None] = mapped_column(String(255))


class MonthlyRollup(_Counters, Base):
    """Counters per month and region node of every level: ``region_path`` is the node's own
    path (a street's rows sum that street's grids), ``up`` its distance above the grids."""

    __tablename__ = "analytics_monthly"
    __table_args__ = (Index("ix_analytics_monthly_up", "up", "month", "region_path"),)

    region_path: Mapped[str] = mapped_column(String(255), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    category_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    up: Mapped[int] = mapped_column(Integer)


class NodeDailyRollup(_Counters, Base):
    """Counters per region node above the grids (community, street, district, city) and local
    day, by category and source but not department: the edge days of a period and the
    trends by day read a node's own rows here (a few hundred a day for a district) instead of
    summing its grids'. Questions that need the department (a filter, a breakdown, a
    department reader's scope) read the grid rows of ``analytics_daily``."""

    __tablename__ = "analytics_node_daily"

    region_path: Mapped[str] = mapped_column(String(255), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    category_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    month: Mapped[date] = mapped_column(Date)
    up: Mapped[int] = mapped_column(Integer)
    # The node one level up (null at the root): the level above is one GROUP BY of this.
    parent_path: Mapped[str | None] = mapped_column(String(255))


class TotalRollup(_Counters, Base):
    """Counters per region node of every level and day (``grain`` "day") or month ("month"),
    with no other dimension: one row per node and day, so a question without a category,
    source or department filter or grouping — the dashboards, the region breakdowns, the
    rankings — sums a handful of rows per node (a year of a district's days is 365 rows, a
    ranking of 240 grids over a month 240)."""

    __tablename__ = "analytics_totals"
    __table_args__ = (Index("ix_analytics_totals_up", "grain", "up", "first_day", "parent_path"),)

    grain: Mapped[str] = mapped_column(String(5), primary_key=True)
    region_path: Mapped[str] = mapped_column(String(255), primary_key=True)
    # The day, or the first day of the month.
    first_day: Mapped[date] = mapped_column(Date, primary_key=True)
    month: Mapped[date] = mapped_column(Date)
    up: Mapped[int] = mapped_column(Integer)
    parent_path: Mapped[str | None] = mapped_column(String(255))


class RollupState(Base):
    """One row: how far the rollups have read the cases."""

    __tablename__ = "analytics_rollup_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # The newest ``events.updated_at`` and the highest case id read so far.
    watermark_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    max_event_id: Mapped[int] = mapped_column(Integer, default=0)
    full_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cases_seen: Mapped[int] = mapped_column(Integer, default=0)

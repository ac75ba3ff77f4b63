"""专题研判: saved analysis views (the 分析研判 filters under a name, private or shared in an
area) and the weekly, monthly and per-view reports built from the analytics services' figures.

A report reads only ``gridgov.analytics.services``: every number in it is the one the
分析研判 page and API show for the same area, period and filters.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.analytics import services as analytics
from gridgov.analytics.indicators import (
    BY_NAME,
    HEADLINE,
    INDICATOR_BY_CODE,
    Indicator,
)
from gridgov.audit import services as audit
from gridgov.config import get_settings
from gridgov.events import services as events
from gridgov.events.models import SOURCE_LABELS, Source
from gridgov.kit.clock import now
from gridgov.kit.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gridgov.mediation.pdf import find_font
from gridgov.orgs import services as orgs
from gridgov.regions import services as regions
from gridgov.reports import pdf, repository, xlsx
from gridgov.reports.models import PANELS, PERIOD_PRESETS, SavedView
from gridgov.reports.schemas import ViewIn, ViewPatch

MAX_VIEWS_PER_OWNER = 100
DEFAULT_PANELS = tuple(PANELS)
TOP_CATEGORIES = 10
RANKED_INDICATORS = ("on_time_rate", "closure_rate", "satisfaction")
# The ranking target one level below an area of each distance from the grids.
CHILD_TARGET = {3: "street", 2: "community", 1: "grid"}
TARGET_LABELS = {"street": "镇街", "community": "社区", "grid": "网格"}
REPORT_KINDS = {"week": "周报", "month": "月报", "custom": "专题报告"}


# =============================================================================================
# Periods
# =============================================================================================


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def preset_period(preset: str, today: date) -> tuple[date, date]:
    """The days a preset covers today (the 分析研判 page's presets plus 上周)."""
    if preset == "last_week":
        monday = today - timedelta(days=today.weekday())
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if preset == "last_month":
        last = _month_start(today) - timedelta(days=1)
        return last.replace(day=1), last
    if preset == "30d":
        return today - timedelta(days=29), today
    if preset == "quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today
    if preset == "year":
        return today.replace(month=1, day=1), today
    if preset == "12m":
        start = _month_start(today)
        return start.replace(year=start.year - 1), today
    return _month_start(today), today


@dataclass(frozen=True)
class ReportPeriod:
    kind: str  # week, month or custom
    first: date
    last: date
    previous_first: date
    previous_last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def label(self) -> str:
        return _span_label(self.first, self.last)

    @property
    def previous_label(self) -> str:
        return _span_label(self.previous_first, self.previous_last)


def _span_label(first: date, last: date) -> str:
    whole_month = first.day == 1 and (last + timedelta(days=1)).day == 1
    if whole_month and (first.year, first.month) == (last.year, last.month):
        return f"{first.year}年{first.month}月"
    start = f"{first.year}年{first.month}月{first.day}日"
    if first.year == last.year:
        return f"{start}至{last.month}月{last.day}日"
    return f"{start}至{last.year}年{last.month}月{last.day}日"


def report_period(
    kind: str, start: date | None = None, end: date | None = None, *, today: date | None = None
) -> ReportPeriod:
    """week: the last full Monday–Sunday week; month: the last full calendar month; custom:
    [start, end]. The previous period is the week or month before, or for custom periods the
    same number of days just before (the calendar month before when the period is a month)."""
    day = today or analytics.today()
    if kind == "week":
        first, last = preset_period("last_week", day)
        return ReportPeriod(kind, first, last, first - timedelta(days=7), first - timedelta(days=1))
    if kind == "month":
        first, last = preset_period("last_month", day)
        previous = _previous_month(first)
        return ReportPeriod(kind, first, last, previous, first - timedelta(days=1))
    if kind != "custom":
        raise InvalidInput("报告周期应为 week（周报）或 month（月报）", code="bad_report_period")
    if start is None or end is None:
        raise InvalidInput("专题报告需要开始和结束日期", code="bad_period")
    checked = analytics.period(start, end)
    first, last = checked.first, checked.last
    if first.day == 1 and (last + timedelta(days=1)).day == 1 and _month_start(last) == first:
        previous = _previous_month(first)
        return ReportPeriod(kind, first, last, previous, first - timedelta(days=1))
    length = timedelta(days=checked.days)
    return ReportPeriod(kind, first, last, first - length, first - timedelta(days=1))


# =============================================================================================
# Saved views
# =============================================================================================


@dataclass
class ViewInfo:
    """A view with what the reader needs to show it: its region's name and today's period."""

    view: SavedView
    region_name: str
    first: date
    last: date
    mine: bool


def _require_reader(actor: Actor) -> None:
    actor.require(Perm.EVENTS_READ)
    if actor.scope.owner_id is not None:
        raise PermissionDenied("个人账号不能使用专题研判", code="analytics_not_available")


def _require_user(actor: Actor) -> int:
    if actor.id is None:
        raise InvalidInput("专题属于某个账号，系统身份不能保存专题", code="view_needs_account")
    return actor.id


def view_period(view: SavedView, today: date | None = None) -> tuple[date, date]:
    if view.preset:
        return preset_period(view.preset, today or analytics.today())
    if view.start is not None and view.end is not None:
        return view.start, view.end
    return preset_period("month", today or analytics.today())


def view_query(view: SavedView, today: date | None = None) -> analytics.Query:
    first, last = view_period(view, today)
    return analytics.Query(
        view.region_code, first, last, view.category_code, view.source, view.department_id
    )


def _info(view: SavedView, actor: Actor, region_name: str) -> ViewInfo:
    first, last = view_period(view)
    return ViewInfo(view, region_name, first, last, view.owner_id == actor.id)


@dataclass
class _Checked:
    region_code: str
    region_path: str
    region_name: str
    preset: str | None
    start: date | None
    end: date | None
    category_code: str | None
    source: str | None
    department_id: int | None
    panels: list[str]
    indicators: list[str]


def _check(
    session: Session,
    actor: Actor,
    *,
    region_code: str | None,
    preset: str | None,
    start: date | None,
    end: date | None,
    category_code: str | None,
    source: str | None,
    department_id: int | None,
    panels: list[str],
    indicators: list[str],
) -> _Checked:
    # The region must be one the reader may analyse (this also refuses personal accounts).
    where = analytics.area(session, region_code or None, actor=actor)
    if where.code is None:
        raise InvalidInput("请选择专题的区域", code="region_required")
    region = where.regions[0]
    preset = preset or None
    if preset is not None:
        if preset not in PERIOD_PRESETS:
            raise InvalidInput(f"未知的时段：{preset}", code="bad_preset")
        if start is not None or end is not None:
            raise InvalidInput("时段预设与固定日期只能选一种", code="bad_period")
    elif start is None and end is None:
        preset = "month"
    elif start is None or end is None:
        raise InvalidInput("固定时段需要开始和结束日期", code="bad_period")
    else:
        analytics.period(start, end)
    category_code = category_code or None
    if category_code is not None:
        codes = {c.code for c in events.list_categories(session, actor=actor)}
        if category_code not in codes:
            raise InvalidInput(f"未知的事件类别：{category_code}", code="bad_category")
    source = source or None
    if source is not None and source not in {s.value for s in Source}:
        raise InvalidInput(f"未知的来源：{source}", code="bad_source")
    if department_id and department_id not in orgs.names_of(session, [department_id]):
        raise InvalidInput("主办部门不存在", code="bad_department")
    unknown_panels = [p for p in panels if p not in PANELS]
    if unknown_panels:
        raise InvalidInput(f"未知的版块：{'、'.join(unknown_panels)}", code="bad_panel")
    unknown = [i for i in indicators if i not in INDICATOR_BY_CODE]
    if unknown:
        raise InvalidInput(f"未知的指标：{'、'.join(unknown)}", code="bad_indicator")
    return _Checked(
        region.code,
        region.path,
        region.name,
        preset,
        start if preset is None else None,
        end if preset is None else None,
        category_code,
        source,
        department_id,
        list(dict.fromkeys(panels)),
        list(dict.fromkeys(indicators)),
    )


def _apply(view: SavedView, checked: _Checked) -> None:
    view.region_code = checked.region_code
    view.region_path = checked.region_path
    view.preset = checked.preset
    view.start = checked.start
    view.end = checked.end
    view.category_code = checked.category_code
    view.source = checked.source
    view.department_id = checked.department_id
    view.panels = checked.panels
    view.indicators = checked.indicators


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput("专题名称不能为空", code="bad_name")
    return cleaned


def create_view(session: Session, data: ViewIn, *, actor: Actor) -> ViewInfo:
    owner_id = _require_user(actor)
    name = _clean_name(data.name)
    checked = _check(
        session,
        actor,
        region_code=data.region_code,
        preset=data.preset,
        start=data.start,
        end=data.end,
        category_code=data.category_code,
        source=data.source,
        department_id=data.department_id,
        panels=data.panels,
        indicators=data.indicators,
    )
    if repository.by_owner_and_name(session, owner_id, name) is not None:
        raise Conflict(f"已有同名专题：{name}", code="view_name_taken")
    if repository.count_owned(session, owner_id) >= MAX_VIEWS_PER_OWNER:
        raise InvalidInput(f"每个账号最多保存 {MAX_VIEWS_PER_OWNER} 个专题", code="too_many_views")
    view = SavedView(
        owner_id=owner_id,
        owner_name=actor.display_name or actor.username,
        name=name,
        description=data.description.strip(),
        shared=data.shared,
    )
    _apply(view, checked)
    repository.add_view(session, view)
    audit.record(
        session,
        actor=actor,
        action="analytics.view_create",
        object_type="analytics_view",
        object_id=view.id,
        summary=f"保存专题“{name}”（{checked.region_name}{'，共享' if view.shared else ''}）",
        region_path=view.region_path,
    )
    return ViewInfo(view, checked.region_name, *view_period(view), True)


def _region_name(session: Session, view: SavedView, actor: Actor) -> str:
    if not view.region_code:
        return ""
    found = regions.regions_by_codes(session, [view.region_code], actor=actor)
    return found[0].name if found else view.region_code


def _visible(session: Session, view_id: int, actor: Actor) -> SavedView:
    _require_reader(actor)
    view = repository.get_view(session, actor.scope, actor.id, view_id)
    if view is None:
        raise NotFound("专题不存在", code="view_not_found")
    return view


def get_view(session: Session, view_id: int, *, actor: Actor) -> ViewInfo:
    view = _visible(session, view_id, actor)
    return _info(view, actor, _region_name(session, view, actor))


def list_views(session: Session, *, actor: Actor) -> list[ViewInfo]:
    """The reader's own views and the views shared inside their area."""
    _require_reader(actor)
    found = repository.list_views(session, actor.scope, actor.id)
    codes = sorted({v.region_code for v in found if v.region_code})
    names = {r.code: r.name for r in regions.regions_by_codes(session, codes, actor=actor)}
    return [_info(v, actor, names.get(v.region_code or "", v.region_code or "")) for v in found]


def _owned(session: Session, view_id: int, actor: Actor) -> SavedView:
    view = _visible(session, view_id, actor)
    if view.owner_id != actor.id:
        raise PermissionDenied("只有专题的创建人可以修改或删除它", code="not_view_owner")
    return view


def update_view(session: Session, view_id: int, data: ViewPatch, *, actor: Actor) -> ViewInfo:
    view = _owned(session, view_id, actor)
    sent = data.model_fields_set
    if "name" in sent and data.name is not None:
        name = _clean_name(data.name)
        other = repository.by_owner_and_name(session, view.owner_id, name)
        if other is not None and other.id != view.id:
            raise Conflict(f"已有同名专题：{name}", code="view_name_taken")
        view.name = name
    if "description" in sent and data.description is not None:
        view.description = data.description.strip()
    if "shared" in sent and data.shared is not None:
        view.shared = data.shared
    dated = "start" in sent or "end" in sent
    checked = _check(
        session,
        actor,
        region_code=data.region_code if "region_code" in sent else view.region_code,
        preset=data.preset if "preset" in sent else (None if dated else view.preset),
        start=data.start if "start" in sent else (None if "preset" in sent else view.start),
        end=data.end if "end" in sent else (None if "preset" in sent else view.end),
        category_code=data.category_code if "category_code" in sent else view.category_code,
        source=data.source if "source" in sent else view.source,
        department_id=data.department_id if "department_id" in sent else view.department_id,
        panels=(data.panels or []) if "panels" in sent else list(view.panels),
        indicators=(data.indicators or []) if "indicators" in sent else list(view.indicators),
    )
    _apply(view, checked)
    view.updated_at = now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="analytics.view_update",
        object_type="analytics_view",
        object_id=view.id,
        summary=f"修改专题“{view.name}”",
        region_path=view.region_path,
        details={"fields": sorted(sent)},
    )
    return ViewInfo(view, checked.region_name, *view_period(view), True)


def delete_view(session: Session, view_id: int, *, actor: Actor) -> None:
    view = _owned(session, view_id, actor)
    name, path = view.name, view.region_path
    repository.delete_view(session, view)
    audit.record(
        session,
        actor=actor,
        action="analytics.view_delete",
        object_type="analytics_view",
        object_id=view_id,
        summary=f"删除专题“{name}”",
        region_path=path,
    )


# =============================================================================================
# Reports
# =============================================================================================


@dataclass
class Headline:
    indicator: Indicator
    current: analytics.IndicatorValue
    previous: analytics.IndicatorValue

    @property
    def change(self) -> float | None:
        if self.current.value is None or self.previous.value is None:
            return None
        return round(self.current.value - self.previous.value, 2)

    @property
    def arrow(self) -> str:
        change = self.change
        if change is None:
            return "—"
        return "↑" if change > 0 else "↓" if change < 0 else "→"

    @property
    def better(self) -> bool | None:
        """Whether the change is an improvement (None when unchanged or not comparable)."""
        change = self.change
        if not change:
            return None
        return (change > 0) == self.indicator.higher_is_better


@dataclass
class Ranking:
    indicator: Indicator
    target: str
    items: list[analytics.Ranked]


@dataclass
class Note:
    name: str
    formula: str
    description: str
    numerator: str
    denominator: str | None


@dataclass
class Report:
    title: str
    kind: str
    area_name: str
    region_code: str | None
    period: ReportPeriod
    filters: list[tuple[str, str]]
    generated_at: datetime
    as_of: datetime | None
    headline: list[Headline]
    counters: dict[str, int]
    granularity: str
    trend: list[analytics.TrendPoint]
    categories: list[analytics.BreakdownRow]
    categories_other: int
    regions: list[analytics.BreakdownRow]
    ladder: list[analytics.Share]
    grid_settle: analytics.IndicatorValue
    statuses: list[analytics.Share]
    overdue: analytics.IndicatorValue
    rankings: list[Ranking]
    notes: list[Note]
    panels: tuple[str, ...] = DEFAULT_PANELS
    view_name: str | None = None
    seconds: float = field(default=0.0)

    @property
    def file_stem(self) -> str:
        kind = REPORT_KINDS[self.period.kind]
        return f"{self.area_name}{kind}-{self.period.first}至{self.period.last}"

    def shows(self, panel: str) -> bool:
        return panel in self.panels


def _filters_text(session: Session, q: analytics.Query, actor: Actor) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if q.category_code:
        names = {c.code: c.name for c in events.list_categories(session, actor=actor)}
        found.append(("事件类别", names.get(q.category_code, q.category_code)))
    if q.source:
        labels = {s.value: label for s, label in SOURCE_LABELS.items()}
        found.append(("来源渠道", labels.get(q.source, q.source)))
    if q.department_id is not None:
        if q.department_id == 0:
            found.append(("主办部门", "未派遣到部门"))
        else:
            names_by_id = orgs.names_of(session, [q.department_id])
            found.append(("主办部门", names_by_id.get(q.department_id, str(q.department_id))))
    return found


def _note(indicator: Indicator) -> Note:
    numerator = BY_NAME[indicator.numerator]
    denominator = BY_NAME[indicator.denominator] if indicator.denominator else None
    return Note(
        indicator.name,
        indicator.formula,
        indicator.description,
        f"{numerator.label}：{numerator.definition}",
        f"{denominator.label}：{denominator.definition}" if denominator else None,
    )


def build_report(
    session: Session,
    *,
    actor: Actor,
    kind: str = "week",
    region_code: str | None = None,
    start: date | None = None,
    end: date | None = None,
    category_code: str | None = None,
    source: str | None = None,
    department_id: int | None = None,
    indicators: list[str] | None = None,
    panels: list[str] | None = None,
    view_name: str | None = None,
    today: date | None = None,
) -> Report:
    """Every figure of a report, read through the analytics services (same scope rules)."""
    started = time.perf_counter()
    if start is not None or end is not None:
        kind = "custom"
    rp = report_period(kind, start, end, today=today)
    q = analytics.Query(
        region_code or None, rp.first, rp.last, category_code, source, department_id
    )
    before = analytics.Query(
        q.region_code, rp.previous_first, rp.previous_last, category_code, source, department_id
    )
    summary = analytics.summary(session, q, actor=actor)
    previous = analytics.summary(session, before, actor=actor)
    current_values = {v.indicator.code: v for v in summary.indicators}
    previous_values = {v.indicator.code: v for v in previous.indicators}
    codes = [c for c in (indicators or HEADLINE) if c in INDICATOR_BY_CODE] or list(HEADLINE)
    headline = [
        Headline(INDICATOR_BY_CODE[c], current_values[c], previous_values[c]) for c in codes
    ]
    granularity = "day" if rp.days <= analytics.MAX_DAY_POINTS else "month"
    trend = analytics.trend(session, q, granularity, actor=actor)
    categories = analytics.breakdown(session, q, "category", actor=actor)
    by_region = analytics.breakdown(session, q, "region", actor=actor)
    grid_settle = analytics.ladder(session, q, actor=actor)[1]
    rankings: list[Ranking] = []
    where = summary.area
    target = CHILD_TARGET.get(where.up) if len(where.nodes) == 1 else None
    if target is not None:
        for code in RANKED_INDICATORS:
            items = analytics.ranking(session, code, target, q, actor=actor)
            rankings.append(Ranking(INDICATOR_BY_CODE[code], target, items))
    notes_for = list(dict.fromkeys([*codes, "grid_settle_rate", *RANKED_INDICATORS]))
    report = Report(
        title=f"{where.name}社会治理{REPORT_KINDS[rp.kind]}",
        kind=rp.kind,
        area_name=where.name,
        region_code=where.code,
        period=rp,
        filters=_filters_text(session, q, actor),
        generated_at=now(),
        as_of=summary.as_of,
        headline=headline,
        counters=summary.counters,
        granularity=granularity,
        trend=trend,
        categories=categories[:TOP_CATEGORIES],
        categories_other=sum(r.counters["reported"] for r in categories[TOP_CATEGORIES:]),
        regions=by_region,
        ladder=summary.ladder,
        grid_settle=grid_settle,
        statuses=summary.statuses,
        overdue=current_values["overdue_open"],
        rankings=rankings,
        notes=[_note(INDICATOR_BY_CODE[c]) for c in notes_for],
        panels=tuple(panels) if panels else DEFAULT_PANELS,
        view_name=view_name,
    )
    report.seconds = time.perf_counter() - started
    return report


def view_report(session: Session, view_id: int, *, actor: Actor) -> Report:
    """The report of a saved view over the period it covers today."""
    view = _visible(session, view_id, actor)
    first, last = view_period(view)
    report = build_report(
        session,
        actor=actor,
        kind="custom",
        region_code=view.region_code,
        start=first,
        end=last,
        category_code=view.category_code,
        source=view.source,
        department_id=view.department_id,
        indicators=list(view.indicators),
        panels=list(view.panels),
        view_name=view.name,
    )
    report.title = f"专题研判：{view.name}"
    return report


def render_report(session: Session, report: Report, fmt: str, *, actor: Actor) -> bytes:
    """The report as PDF or XLSX; who took which report is kept in the audit log."""
    settings = get_settings()
    if fmt == "pdf":
        font = find_font(settings.pdf_font)
        body = pdf.report_pdf(report, font, settings.timezone, Path(settings.var_dir) / "fonts")
    elif fmt == "xlsx":
        body = xlsx.report_xlsx(report, settings.timezone)
    else:
        raise InvalidInput("报告格式应为 pdf 或 xlsx", code="bad_format")
    audit.record(
        session,
        actor=actor,
        action="analytics.report",
        object_type="analytics_report",
        object_id=report.region_code or "area",
        summary=f"导出{report.title}（{report.period.label}，{fmt.upper()}）",
        details={"format": fmt, "start": str(report.period.first), "end": str(report.period.last)},
    )
    return body

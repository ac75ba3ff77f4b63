"""Analytics (分析研判): the rollups built from the cases, and read-only, region-scoped,
time-ranged figures over them — counts, trends, breakdowns, the escalation ladder, and the KPI
indicators with the cases behind every number.

Building (``rollup_full``, ``rollup_incremental``) is the platform's job; reading takes the
reader's scope: leaders, operators and administrators read the district, street and community
staff their area, grid workers their grids, department handlers the cases their department
handled as primary (主办). Personal (ownership) scopes read nothing here.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.analytics import repository
from gridgov.analytics.indicators import (
    BY_NAME,
    COUNTER_NAMES,
    COUNTERS,
    INDICATOR_BY_CODE,
    INDICATORS,
    LEVEL_COUNTERS,
    LEVEL_LABELS,
    LEVELS,
    STATUS_COUNTERS,
    STATUS_GROUP_LABELS,
    STATUS_GROUPS,
    Indicator,
    value_of,
)
from gridgov.analytics.models import LEVEL_UP, NO_DEPARTMENT
from gridgov.analytics.repository import FACT_PATH_COLUMNS, RollupFilter
from gridgov.audit import services as audit
from gridgov.config import get_settings
from gridgov.events import facts
from gridgov.events import services as events
from gridgov.events.facts import CaseQuery, FactRow
from gridgov.events.models import SOURCE_LABELS, Event, Source
from gridgov.kit.clock import now
from gridgov.kit.errors import InvalidInput, NotFound, PermissionDenied
from gridgov.kit.pagination import PageParams
from gridgov.orgs import services as orgs
from gridgov.regions import services as regions
from gridgov.regions.models import Region

# Cases whose transaction began before a run and committed after it carry an updated_at
# older than the run; each run re-reads this much before its watermark (re-reading is
# harmless: a case's facts are recomputed whole).
OVERLAP = timedelta(minutes=10)
FULL_BATCH = 20_000
# Longest ranges for the fine trends (days are read from the daily table).
MAX_DAY_POINTS = 400
MAX_RANGE_DAYS = 3_700

# =============================================================================================
# Building
# =============================================================================================


@dataclass
class RollupReport:
    mode: str  # full or incremental
    cases: int
    daily_keys: int
    monthly_keys: int
    seconds: float
    watermark_at: datetime | None


def _zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def _ancestors(path: str) -> list[str | None]:
    """The grid's path and its ancestors' one to four levels up (None above the root)."""
    codes = [c for c in path.split("/") if c]
    found: list[str | None] = []
    for up in range(len(FACT_PATH_COLUMNS)):
        keep = len(codes) - up
        found.append("/".join(codes[:keep]) + "/" if keep >= 1 else None)
    return found


def fact_of(row: FactRow, flags: set[str], zone: ZoneInfo) -> dict[str, Any]:
    """What the counters count about one case. Must agree with the SQL of the same named
    conditions in ``events.repository._condition`` (tests/analytics checks both)."""
    voided = row.status == "voided"
    closed = row.closed_at is not None
    report_day = row.created_at.astimezone(zone).date()
    due_day = None if voided else row.deadline_at.astimezone(zone).date()
    closed_day = row.closed_at.astimezone(zone).date() if row.closed_at is not None else None
    if voided:
        group = "voided"
    elif row.status == "reported":
        group = "pending"
    elif row.status == "suspended":
        group = "suspended"
    else:
        group = "closed" if closed else "in_progress"
    handling = 0
    if row.closed_at is not None:
        handling = int((row.closed_at - row.created_at).total_seconds())
    fact: dict[str, Any] = dict(zip(FACT_PATH_COLUMNS, _ancestors(row.region_path), strict=True))
    fact.update(
        event_id=row.id,
        category_code=row.category_code,
        source=row.source,
        department_id=row.department_id or NO_DEPARTMENT,
        report_day=report_day,
        report_month=report_day.replace(day=1),
        due_day=due_day,
        due_month=due_day.replace(day=1) if due_day else None,
        closed_day=closed_day,
        closed_month=closed_day.replace(day=1) if closed_day else None,
        status_group=group,
        accepted=int(row.status not in ("reported", "voided")),
        voided=int(voided),
        closed=int(closed),
        on_time=int(row.closed_at is not None and row.closed_at <= row.deadline_at),
        self_settled=int("self_settle" in flags),
        reworked=int("rework" in flags),
        escalated=int("escalate" in flags),
        level=row.level,
        handling_seconds=handling,
        satisfaction=row.satisfaction,
    )
    return fact


def rollup_full(session: Session, *, actor: Actor) -> RollupReport:
    """Rebuild the case facts and both rollups from every case."""
    started = time.perf_counter()
    moment = now()
    zone = _zone()
    repository.clear_all(session)
    repository.delete_indexes(session)
    count, max_id = 0, 0
    watermark: datetime | None = None
    batch: list[FactRow] = []

    def flush() -> None:
        if not batch:
            return
        flags = facts.flags_between(session, batch[0].id, batch[-1].id, actor=actor)
        repository.add_facts(session, [fact_of(r, flags.get(r.id, set()), zone) for r in batch])
        batch.clear()

    for row in facts.fact_batches(session, actor=actor, batch=FULL_BATCH):
        batch.append(row)
        count += 1
        max_id = max(max_id, row.id)
        if watermark is None or row.updated_at > watermark:
            watermark = row.updated_at
        if len(batch) >= FULL_BATCH:
            flush()
    flush()
    repository.update_daily_all(session)
    repository.update_monthly_all(session)
    repository.update_nodes_all(session)
    repository.add_indexes(session)
    repository.update_state(
        session,
        watermark_at=watermark or moment,
        max_event_id=max_id,
        full_at=moment,
        run_at=moment,
        cases_seen=count,
    )
    sizes = repository.table_sizes(session)
    report = RollupReport(
        "full",
        count,
        sizes["analytics_daily"],
        sizes["analytics_monthly"],
        time.perf_counter() - started,
        watermark,
    )
    audit.record(
        session,
        actor=actor,
        action="analytics.rollup_full",
        object_type="analytics",
        object_id="rollups",
        summary=f"重建统计汇总：{count} 件案件，{report.daily_keys} 条日汇总",
        details={"cases": count, **sizes},
    )
    return report


def rollup_incremental(session: Session, *, actor: Actor) -> RollupReport:
    """Recompute the facts of the cases changed since the watermark, then move their counts
    in every rollup table from the keys of their old facts to those of their new ones (deltas:
    the work follows the cases changed, not the days or regions they touch). Builds
    everything when nothing is built yet."""
    state = repository.get_state(session, lock=True)
    if state is None or state.watermark_at is None:
        return rollup_full(session, actor=actor)
    started = time.perf_counter()
    moment = now()
    ids = facts.changed_since(
        session, state.watermark_at - OVERLAP, state.max_event_id, actor=actor
    )
    if not ids:
        repository.update_state(session, run_at=moment)
        return RollupReport(
            "incremental", 0, 0, 0, time.perf_counter() - started, state.watermark_at
        )
    zone = _zone()
    old = {f["event_id"]: f for f in repository.facts_of(session, ids)}
    rows = facts.fact_rows(session, ids, actor=actor)
    flags = facts.flags(session, ids, actor=actor)
    new = {r.id: fact_of(r, flags.get(r.id, set()), zone) for r in rows}
    # Cases re-read with the facts they had (each run re-reads the overlap before its
    # watermark) move nothing; the others leave their old keys and join their new ones.
    left = [f for i, f in old.items() if new.get(i) != f]
    joined = [f for i, f in new.items() if old.get(i) != f]
    repository.delete_facts(session, [f["event_id"] for f in left])
    repository.add_facts(session, joined)
    touched = repository.bump_rollups(session, left, joined)
    daily_keys = touched["analytics_daily"]
    monthly_keys = touched["analytics_monthly"]
    watermark = max([state.watermark_at, *(r.updated_at for r in rows)])
    repository.update_state(
        session,
        watermark_at=watermark,
        max_event_id=max([state.max_event_id, *(r.id for r in rows)]),
        run_at=moment,
    )
    report = RollupReport(
        "incremental",
        len(rows),
        daily_keys,
        monthly_keys,
        time.perf_counter() - started,
        watermark,
    )
    audit.record(
        session,
        actor=actor,
        action="analytics.rollup",
        object_type="analytics",
        object_id="rollups",
        summary=f"增量更新统计汇总：{len(rows)} 件案件，{daily_keys} 个日汇总键",
        details={"cases": len(rows), "daily_keys": daily_keys, "monthly_keys": monthly_keys},
    )
    return report


# =============================================================================================
# Reading: area, period, sums
# =============================================================================================


@dataclass(frozen=True)
class Area:
    """The region nodes a question covers: the region asked for, or the reader's own roots."""

    nodes: tuple[str, ...]
    up: int
    regions: tuple[Region, ...]

    @property
    def name(self) -> str:
        return "、".join(r.name for r in self.regions)

    @property
    def code(self) -> str | None:
        return self.regions[0].code if len(self.regions) == 1 else None


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def _require_reader(actor: Actor) -> None:
    actor.require(Perm.EVENTS_READ)
    if actor.scope.owner_id is not None:
        raise PermissionDenied("个人账号不能查看统计分析", code="analytics_not_available")


def area(session: Session, region_code: str | None, *, actor: Actor) -> Area:
    _require_reader(actor)
    if region_code:
        region = regions.get_region(session, region_code, actor=actor)
        if region.level not in LEVEL_UP:
            raise InvalidInput("统计分析按基础网格及其上级区域汇总", code="not_a_tree_region")
        return Area((region.path,), LEVEL_UP[region.level], (region,))
    roots = [r for r in regions.scope_roots(session, actor=actor) if r.level in LEVEL_UP]
    if not roots:
        raise NotFound("没有可统计的区域", code="region_not_found")
    # Mixed levels (rare hand-made scopes) are read at the highest one's distance.
    up = max(LEVEL_UP[r.level] for r in roots)
    return Area(tuple(r.path for r in roots), up, tuple(roots))


def today() -> date:
    return now().astimezone(_zone()).date()


def period(start: date | None, end: date | None) -> Period:
    """[start, end] in local days; by default this month to today."""
    last = end or today()
    first = start or last.replace(day=1)
    if first > last:
        raise InvalidInput("开始日期晚于结束日期", code="bad_period")
    if (last - first).days > MAX_RANGE_DAYS:
        raise InvalidInput("统计时段最长十年", code="bad_period")
    return Period(first, last)


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _split(p: Period) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """Whole months inside the period (read from the monthly table) and the edge days."""
    first_full = p.first if p.first.day == 1 else _next_month(p.first.replace(day=1))
    after_last = p.last + timedelta(days=1)
    last_full_end = after_last.replace(day=1)  # first day of the month holding after_last
    if first_full >= last_full_end:
        return None, [(p.first, p.last)]
    edges = []
    if p.first < first_full:
        edges.append((p.first, first_full - timedelta(days=1)))
    if last_full_end <= p.last:
        edges.append((last_full_end, p.last))
    last_month = (last_full_end - timedelta(days=1)).replace(day=1)
    return (first_full, last_month), edges


Sums = dict[tuple[Any, ...], dict[str, int]]


def _sums(
    session: Session,
    actor: Actor,
    where: Area,
    p: Period,
    counters: Sequence[str],
    *,
    group_by: Sequence[str] = (),
    child_up: int | None = None,
    filters: RollupFilter = RollupFilter(),
    daily_only: bool = False,
) -> Sums:
    """Counters summed over the period, grouped; whole months from the monthly rows, the rest
    from the daily rows. Without a department (filter, grouping or reader's scope) the
    nodes' own rows answer: the totals when nothing but day, month or region is asked, the
    nodes' daily rows by category and source for the edge days otherwise."""
    months, edges = (None, [(p.first, p.last)]) if daily_only else _split(p)
    lean = (
        actor.scope.department_ids is None
        and filters.department_id is None
        and "department" not in group_by
    )
    plain = lean and not filters.category_code and not filters.source
    if plain and set(group_by) <= {"day", "month", "region"}:
        return _total_sums(session, actor, where, months, edges, counters, group_by, child_up)
    rows: list[tuple[Any, ...]] = []
    if months is not None:
        rows += repository.sum_monthly(
            session,
            actor.scope,
            nodes=where.nodes,
            first_month=months[0],
            last_month=months[1],
            counters=counters,
            group_by=group_by,
            child_up=child_up,
            filters=filters,
        )
    for first, last in edges:
        if lean and child_up is None and where.up > 0:
            rows += repository.sum_node_daily(
                session,
                actor.scope,
                nodes=where.nodes,
                first_day=first,
                last_day=last,
                counters=counters,
                group_by=group_by,
                filters=filters,
            )
            continue
        rows += repository.sum_daily(
            session,
            actor.scope,
            nodes=where.nodes,
            first_day=first,
            last_day=last,
            counters=counters,
            group_by=group_by,
            child_up=child_up if child_up is not None or "region" not in group_by else where.up,
            node_up=where.up,
            filters=filters,
        )
    return _merged(rows, counters, len(group_by))


def _total_sums(
    session: Session,
    actor: Actor,
    where: Area,
    months: tuple[date, date] | None,
    edges: list[tuple[date, date]],
    counters: Sequence[str],
    group_by: Sequence[str],
    child_up: int | None,
) -> Sums:
    spans = [("month", *months)] if months is not None else []
    spans += [("day", first, last) for first, last in edges]
    # Children by their parent's path when every node is at the area's level (a mixed-level
    # scope finds its descendants by path prefix).
    same_level = all(LEVEL_UP.get(r.level) == where.up for r in where.regions)
    rows: list[tuple[Any, ...]] = []
    for grain, first, last in spans:
        rows += repository.sum_totals(
            session,
            actor.scope,
            grain=grain,
            nodes=where.nodes,
            first=first,
            last=last,
            counters=counters,
            group_by=group_by,
            child_up=child_up,
            node_up=where.up if same_level else None,
        )
    return _merged(rows, counters, len(group_by))


def _merged(rows: list[tuple[Any, ...]], counters: Sequence[str], n: int) -> Sums:
    result: Sums = {}
    for row in rows:
        target = result.setdefault(tuple(row[:n]), dict.fromkeys(counters, 0))
        for name, value in zip(counters, row[n:], strict=True):
            target[name] += int(value or 0)
    return result


def _total(sums: Sums, counters: Sequence[str]) -> dict[str, int]:
    total = dict.fromkeys(counters, 0)
    for values in sums.values():
        for name in counters:
            total[name] += values[name]
    return total


def _filters(
    category_code: str | None, source: str | None, department_id: int | None
) -> RollupFilter:
    if source is not None and source not in {s.value for s in Source}:
        raise InvalidInput(f"未知的来源：{source}", code="bad_source")
    return RollupFilter(category_code or None, source or None, department_id)


@dataclass(frozen=True)
class Query:
    """What every analytics read takes: where, when, and optional filters."""

    region_code: str | None = None
    start: date | None = None
    end: date | None = None
    category_code: str | None = None
    source: str | None = None
    department_id: int | None = None


def _resolve(session: Session, q: Query, actor: Actor) -> tuple[Area, Period, RollupFilter]:
    return (
        area(session, q.region_code, actor=actor),
        period(q.start, q.end),
        _filters(q.category_code, q.source, q.department_id),
    )


# =============================================================================================
# Reading: figures
# =============================================================================================


@dataclass
class IndicatorValue:
    indicator: Indicator
    value: float | None
    numerator: int
    denominator: int | None


@dataclass
class Share:
    key: str
    label: str
    count: int
    share: float | None


@dataclass
class Summary:
    area: Area
    period: Period
    counters: dict[str, int]
    indicators: list[IndicatorValue]
    ladder: list[Share]
    statuses: list[Share]
    as_of: datetime | None


def _values(counters: dict[str, int]) -> list[IndicatorValue]:
    return [_value(i, counters) for i in INDICATORS]


def _value(indicator: Indicator, counters: dict[str, int]) -> IndicatorValue:
    return IndicatorValue(
        indicator,
        value_of(indicator, counters),
        counters.get(indicator.numerator, 0),
        counters.get(indicator.denominator) if indicator.denominator else None,
    )


def _shares(pairs: Iterable[tuple[str, str, int]]) -> list[Share]:
    items = list(pairs)
    total = sum(n for _, _, n in items)
    return [
        Share(k, label, n, round(100.0 * n / total, 2) if total else None) for k, label, n in items
    ]


def _ladder(counters: dict[str, int]) -> list[Share]:
    return _shares((lv, LEVEL_LABELS[lv], counters[LEVEL_COUNTERS[lv]]) for lv in LEVELS)


def _statuses(counters: dict[str, int]) -> list[Share]:
    return _shares((g, STATUS_GROUP_LABELS[g], counters[STATUS_COUNTERS[g]]) for g in STATUS_GROUPS)


def as_of(session: Session) -> datetime | None:
    state = repository.get_state(session)
    return state.run_at if state else None


def summary(session: Session, q: Query, *, actor: Actor) -> Summary:
    """Every counter over the area and period, the indicators, the ladder and the statuses."""
    where, p, filters = _resolve(session, q, actor)
    counters = _total(
        _sums(session, actor, where, p, COUNTER_NAMES, filters=filters), COUNTER_NAMES
    )
    return Summary(
        where,
        p,
        counters,
        _values(counters),
        _ladder(counters),
        _statuses(counters),
        as_of(session),
    )


TREND_COUNTERS = ("reported", "closed", "due", "due_closed", "due_on_time", "self_settled")


@dataclass
class TrendPoint:
    key: str  # 2025-03-14, 2025-W11 (ISO week) or 2025-03
    first: date
    counters: dict[str, int]
    closure_rate: float | None
    on_time_rate: float | None


def _point(key: str, first: date, counters: dict[str, int]) -> TrendPoint:
    closure = INDICATOR_BY_CODE["closure_rate"]
    on_time = INDICATOR_BY_CODE["on_time_rate"]
    return TrendPoint(
        key, first, counters, value_of(closure, counters), value_of(on_time, counters)
    )


def trend(session: Session, q: Query, granularity: str, *, actor: Actor) -> list[TrendPoint]:
    """Counters per day, ISO week or month over the period, every bucket present."""
    where, p, filters = _resolve(session, q, actor)
    empty = dict.fromkeys(TREND_COUNTERS, 0)
    if granularity == "month":
        sums = _sums(session, actor, where, p, TREND_COUNTERS, group_by=("month",), filters=filters)
        by_month = {_as_date(k[0]): v for k, v in sums.items()}
        points, month = [], p.first.replace(day=1)
        while month <= p.last:
            points.append(_point(month.strftime("%Y-%m"), month, by_month.get(month, empty)))
            month = _next_month(month)
        return points
    if granularity not in ("day", "week"):
        raise InvalidInput("时间粒度应为 day、week 或 month", code="bad_granularity")
    if granularity == "day" and p.days > MAX_DAY_POINTS:
        raise InvalidInput(f"按日趋势最长 {MAX_DAY_POINTS} 天", code="period_too_long")
    sums = _sums(
        session,
        actor,
        where,
        p,
        TREND_COUNTERS,
        group_by=("day",),
        filters=filters,
        daily_only=True,
    )
    by_day = {_as_date(k[0]): v for k, v in sums.items()}
    buckets: dict[date, dict[str, int]] = {}
    day = p.first
    while day <= p.last:
        start = day if granularity == "day" else day - timedelta(days=day.weekday())
        target = buckets.setdefault(start, dict(empty))
        for name, value in by_day.get(day, empty).items():
            target[name] += value
        day += timedelta(days=1)
    points = []
    for start, counters in buckets.items():
        year, week, _ = start.isocalendar()
        key = start.isoformat() if granularity == "day" else f"{year}-W{week:02d}"
        points.append(_point(key, start, counters))
    return points


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


BREAKDOWNS = ("category", "source", "region", "level", "status", "department")
ROW_COUNTERS = ("reported", "closed", "due", "due_closed", "due_on_time", "self_settled",
                "reworked", "settled_grid", "handling_seconds", "rated", "satisfied")  # fmt: skip


@dataclass
class BreakdownRow:
    key: str
    label: str
    counters: dict[str, int]
    indicators: dict[str, float | None] = field(default_factory=dict)
    region_code: str | None = None


def _row(key: str, label: str, counters: dict[str, int], code: str | None = None) -> BreakdownRow:
    values = {
        i.code: value_of(i, counters) for i in INDICATORS if all(c in counters for c in i.counters)
    }
    return BreakdownRow(key, label, counters, values, code)


def breakdown(
    session: Session, q: Query, by: str, *, actor: Actor, category_level: str = "leaf"
) -> list[BreakdownRow]:
    """The period's figures split by category (leaf or top-level), source, region (the
    children of the area), department (primary), level at closing, or current status."""
    if by not in BREAKDOWNS:
        raise InvalidInput(f"不支持的分组：{by}", code="bad_breakdown")
    where, p, filters = _resolve(session, q, actor)
    if by == "level":
        counters = _total(
            _sums(session, actor, where, p, COUNTER_NAMES, filters=filters), COUNTER_NAMES
        )
        return [
            _row(s.key, s.label, {"closed": s.count, "reported": s.count})
            for s in _ladder(counters)
        ]
    if by == "status":
        counters = _total(
            _sums(session, actor, where, p, COUNTER_NAMES, filters=filters), COUNTER_NAMES
        )
        return [_row(s.key, s.label, {"reported": s.count}) for s in _statuses(counters)]
    if by == "region":
        return _region_rows(session, actor, where, p, filters, ROW_COUNTERS)
    group = {"category": "category", "source": "source", "department": "department"}[by]
    sums = _sums(session, actor, where, p, ROW_COUNTERS, group_by=(group,), filters=filters)
    if by == "category":
        return _category_rows(session, actor, sums, category_level)
    if by == "source":
        labels = {s.value: label for s, label in SOURCE_LABELS.items()}
        rows = [_row(str(k[0]), labels.get(str(k[0]), str(k[0])), v) for k, v in sums.items()]
    else:
        names = orgs.names_of(session, [int(k[0]) for k in sums if int(k[0]) != NO_DEPARTMENT])
        rows = [
            _row(
                str(k[0]), names.get(int(k[0]), "未派遣到部门") if int(k[0]) else "未派遣到部门", v
            )
            for k, v in sums.items()
        ]
    return sorted(rows, key=lambda r: -r.counters["reported"])


def _category_rows(session: Session, actor: Actor, sums: Sums, level: str) -> list[BreakdownRow]:
    categories = {c.code: c for c in events.list_categories(session, actor=actor)}
    merged: dict[str, dict[str, int]] = {}
    for key, values in sums.items():
        code = str(key[0])
        if level == "top":
            category = categories.get(code)
            code = category.parent_code if category and category.parent_code else code
        target = merged.setdefault(code, dict.fromkeys(values, 0))
        for name, value in values.items():
            target[name] += value
    rows = [
        _row(code, categories[code].name if code in categories else code, values)
        for code, values in merged.items()
    ]
    return sorted(rows, key=lambda r: -r.counters["reported"])


def _children_up(where: Area) -> int:
    # One node with a level below it: its children; otherwise the nodes themselves.
    return where.up - 1 if len(where.nodes) == 1 and where.up > 0 else where.up


def _region_rows(
    session: Session,
    actor: Actor,
    where: Area,
    p: Period,
    filters: RollupFilter,
    counters: Sequence[str],
) -> list[BreakdownRow]:
    child_up = _children_up(where)
    sums = _sums(
        session,
        actor,
        where,
        p,
        counters,
        group_by=("region",),
        child_up=child_up if child_up != where.up else None,
        filters=filters,
    )
    codes = {str(k[0]).rstrip("/").split("/")[-1]: v for k, v in sums.items() if k[0]}
    found = {r.code: r for r in regions.regions_by_codes(session, list(codes), actor=actor)}
    rows = [
        _row(code, found[code].name if code in found else code, values, code)
        for code, values in codes.items()
    ]
    return sorted(rows, key=lambda r: r.key)


def ladder(session: Session, q: Query, *, actor: Actor) -> tuple[list[Share], IndicatorValue]:
    """How many cases closed in the period were settled at each level, and the grid share
    (小事不出格率)."""
    where, p, filters = _resolve(session, q, actor)
    names = ("closed", *LEVEL_COUNTERS.values())
    counters = _total(_sums(session, actor, where, p, names, filters=filters), names)
    return _ladder(counters), _value(INDICATOR_BY_CODE["grid_settle_rate"], counters)


# --- indicators ------------------------------------------------------------------------------


def get_indicator(code: str) -> Indicator:
    indicator = INDICATOR_BY_CODE.get(code)
    if indicator is None:
        raise NotFound(f"指标 {code} 不存在", code="indicator_not_found")
    return indicator


def list_indicators(*, actor: Actor) -> list[Indicator]:
    _require_reader(actor)
    return list(INDICATORS)


def indicator_value(session: Session, code: str, q: Query, *, actor: Actor) -> IndicatorValue:
    indicator = get_indicator(code)
    where, p, filters = _resolve(session, q, actor)
    counters = _total(
        _sums(session, actor, where, p, indicator.counters, filters=filters), indicator.counters
    )
    return _value(indicator, counters)


TARGETS = {"street": 2, "community": 1, "grid": 0}


@dataclass
class Ranked:
    rank: int
    key: str
    label: str
    value: IndicatorValue


def ranking(session: Session, code: str, target: str, q: Query, *, actor: Actor) -> list[Ranked]:
    """The indicator per street, community, grid or (primary) department inside the area,
    best first; targets with nothing to divide by come last."""
    indicator = get_indicator(code)
    if target not in (*TARGETS, "department"):
        raise InvalidInput("排名对象应为 street、community、grid 或 department", code="bad_target")
    where, p, filters = _resolve(session, q, actor)
    counters = indicator.counters
    items: list[tuple[str, str, IndicatorValue]] = []
    if target == "department":
        sums = _sums(session, actor, where, p, counters, group_by=("department",), filters=filters)
        ids = [int(k[0]) for k in sums if int(k[0]) != NO_DEPARTMENT]
        names = orgs.names_of(session, ids)
        items = [(str(i), names.get(i, str(i)), _value(indicator, sums[(i,)])) for i in ids]
    else:
        up = TARGETS[target]
        if up > where.up:
            raise InvalidInput("排名对象应在所选区域之下", code="bad_target")
        sums = _sums(
            session,
            actor,
            where,
            p,
            counters,
            group_by=("region",),
            child_up=up,
            filters=filters,
        )
        codes = {str(k[0]).rstrip("/").split("/")[-1]: v for k, v in sums.items() if k[0]}
        found = {
            r.code: r.name for r in regions.regions_by_codes(session, list(codes), actor=actor)
        }
        items = [(c, found.get(c, c), _value(indicator, v)) for c, v in codes.items()]
    sign = -1 if indicator.higher_is_better else 1
    items.sort(key=lambda t: (t[2].value is None, sign * (t[2].value or 0), t[0]))
    return [Ranked(n, key, label, value) for n, (key, label, value) in enumerate(items, start=1)]


# --- drill-down --------------------------------------------------------------------------------


def _bounds(p: Period) -> tuple[datetime, datetime]:
    zone = _zone()
    start = datetime.combine(p.first, datetime.min.time(), zone).astimezone(UTC)
    end = datetime.combine(p.last + timedelta(days=1), datetime.min.time(), zone).astimezone(UTC)
    return start, end


def case_query(where: Area, p: Period, filters: RollupFilter, counter: str) -> CaseQuery:
    """The predicate over cases that a counter counts, over an area and period."""
    spec = BY_NAME.get(counter)
    if spec is None:
        raise NotFound(f"统计项 {counter} 不存在", code="counter_not_found")
    start, end = _bounds(p)
    return CaseQuery(
        anchor=spec.anchor.value,
        start=start,
        end=end,
        where=spec.where,
        region_paths=where.nodes,
        category_code=filters.category_code,
        source=filters.source,
        department_id=filters.department_id,
    )


def counter_for(code: str, part: str) -> str:
    indicator = get_indicator(code)
    if part == "numerator":
        return indicator.numerator
    if part == "denominator" and indicator.denominator:
        return indicator.denominator
    raise InvalidInput("part 应为 numerator 或 denominator（该指标有分母时）", code="bad_part")


def cases(
    session: Session, counter: str, q: Query, *, actor: Actor, page: PageParams
) -> tuple[list[Event], int]:
    """The cases a counter counts over the area and period: the same predicate as the rollup,
    read from the cases, so the list's total equals the figure."""
    where, p, filters = _resolve(session, q, actor)
    return facts.cases_behind(
        session, case_query(where, p, filters, counter), actor=actor, page=page
    )


def case_ids(session: Session, counter: str, q: Query, *, actor: Actor) -> list[int]:
    where, p, filters = _resolve(session, q, actor)
    return facts.ids_behind(session, case_query(where, p, filters, counter), actor=actor)


def counter_definitions() -> list[tuple[str, str, str, str]]:
    """(name, label, anchor, definition) of every counter, for the docs and the API."""
    return [(c.name, c.label, c.anchor.value, c.definition) for c in COUNTERS]

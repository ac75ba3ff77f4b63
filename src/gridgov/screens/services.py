"""大屏: one payload per big screen, composed from the other features' services.

The screens own no table and hold no SQL: every figure comes from a service of the feature
that owns it — analytics (case rollups, rankings, the cases behind a number), registry
(base data and its freshness), mediation (statistics), patrol and workers (daily work),
events (the latest and the overdue cases), and, when they are installed, alerts, insights
and assessment (through the names of the interface contract, looked up at run time so a
screen still draws while one of them is missing: the panel then falls back to analytics and
says so in its ``source``).

Who may look: analytics readers (``events.read``, no personal scope) — the center, leaders,
street, community and grid staff, each over their own area; a panel whose data the reader
may not see (persons, disputes, workers) is sent empty and marked ``restricted``.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import ModuleType
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.analytics import services as analytics
from gridgov.analytics.indicators import INDICATOR_BY_CODE
from gridgov.analytics.models import LEVEL_UP
from gridgov.config import get_settings
from gridgov.events import services as events
from gridgov.events.models import SOURCE_LABELS
from gridgov.gis import services as gis
from gridgov.kit.clock import now, to_local
from gridgov.kit.errors import AppError, NotFound, PermissionDenied
from gridgov.kit.pagination import PageParams
from gridgov.mediation import services as mediation
from gridgov.patrol import services as patrol
from gridgov.regions import services as regions
from gridgov.regions.models import Region
from gridgov.registry import services as registry
from gridgov.registry.models import ResidenceType, SpecialGroupType
from gridgov.screens.schemas import (
    Cell,
    Item,
    MapData,
    MapPoint,
    Panel,
    RegionOut,
    RegionRef,
    ScreenOut,
    ScreenRef,
    Series,
)

log = logging.getLogger("gridgov.screens")

SCREENS: dict[str, str] = {
    "aggregation": "信息汇聚",
    "events": "事件管理",
    "mediation": "矛盾调解",
    "warning": "分析预警",
    "performance": "绩效考核",
}
TICKER_SIZE = 12
LIST_SIZE = 10
WORKER_DAYS = 7  # workers' daily work covers the last days of the period
MAX_WORKERS = 1_000
HEAT_MAX_DAYS = 1_100  # what the event tiles accept


def list_screens() -> list[ScreenRef]:
    return [ScreenRef(code=code, title=title) for code, title in SCREENS.items()]


# ============================================================================ context


@dataclass(frozen=True)
class Context:
    """Where and when a screen looks, resolved once and shared by its panels."""

    session: Session
    actor: Actor
    area: analytics.Area
    period: analytics.Period
    region: Region  # the region the screen is about (the first root for a multi-root scope)

    @property
    def code(self) -> str | None:
        return self.area.code

    @property
    def query(self) -> analytics.Query:
        return analytics.Query(self.area.code, self.period.first, self.period.last)

    def params(self, **extra: Any) -> dict[str, Any]:
        found = {"region_code": self.area.code, **extra}
        return {k: v for k, v in found.items() if v not in (None, "")}

    def bounds(self) -> tuple[datetime, datetime]:
        zone = ZoneInfo(get_settings().timezone)
        start = datetime.combine(self.period.first, datetime.min.time(), zone).astimezone(UTC)
        end = datetime.combine(self.period.last + timedelta(days=1), datetime.min.time(), zone)
        return start, end.astimezone(UTC)


def _link(path: str, **params: Any) -> str:
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{path}?{urlencode(clean)}" if clean else path


def cases_link(ctx: Context, counter: str, **extra: Any) -> str:
    """The list of cases behind a rollup counter over the screen's area and period."""
    return _link(
        "/analytics/cases",
        counter=counter,
        start=ctx.period.first.isoformat(),
        end=ctx.period.last.isoformat(),
        **ctx.params(**extra),
    )


def indicator_link(ctx: Context, code: str, part: str = "numerator") -> str:
    return _link(
        "/analytics/cases",
        indicator=code,
        part=part,
        start=ctx.period.first.isoformat(),
        end=ctx.period.last.isoformat(),
        **ctx.params(),
    )


def context(
    session: Session,
    *,
    actor: Actor,
    region_code: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Context:
    """The area (the region asked for, or the reader's own; another area is 404) and the
    period (default: this month to today). Readers are those of analytics."""
    where = analytics.area(session, region_code or None, actor=actor)
    return Context(session, actor, where, analytics.period(start, end), where.regions[0])


def _region_out(ctx: Context) -> RegionOut:
    session, actor = ctx.session, ctx.actor
    regs = ctx.area.regions
    codes = [c for c in ctx.region.path.split("/") if c]
    found = {r.code: r for r in regions.regions_by_codes(session, codes, actor=actor)}
    breadcrumb = [
        RegionRef(code=c, name=found[c].name, level=found[c].level) for c in codes if c in found
    ]
    children: list[RegionRef] = []
    if len(regs) == 1:
        rows, _ = regions.list_regions(
            session,
            actor=actor,
            parent_code=ctx.region.code,
            page=PageParams(page=1, page_size=500),
        )
        children = [
            RegionRef(code=r.code, name=r.name, level=r.level)
            for r in rows
            if r.level != "special_grid"
        ]
    else:  # a hand-made scope of several roots: the roots are the children
        breadcrumb = []
        children = [RegionRef(code=r.code, name=r.name, level=r.level) for r in regs]
    return RegionOut(
        code=ctx.area.code,
        name=ctx.area.name,
        level=ctx.region.level if len(regs) == 1 else "scope",
        path=ctx.region.path if len(regs) == 1 else "",
        bounds=[
            min(r.min_lon for r in regs),
            min(r.min_lat for r in regs),
            max(r.max_lon for r in regs),
            max(r.max_lat for r in regs),
        ],
        breadcrumb=breadcrumb,
        children=children,
    )


def _restricted(panel_id: str, title: str, kind: str, source: str) -> Panel:
    return Panel(
        id=panel_id,
        title=title,
        kind=kind,
        source=source,
        restricted=True,
        note="无权查看此项数据",
    )


def _guarded(
    build: Callable[[], Panel], panel_id: str, title: str, kind: str, source: str
) -> Panel:
    """A panel, or an empty restricted one when the reader lacks the feature's permission."""
    try:
        return build()
    except PermissionDenied:
        return _restricted(panel_id, title, kind, source)


def _optional(module: str) -> ModuleType | None:
    """A feature package of the interface contract (alerts, insights, assessment), or None
    while it is not installed."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def _local(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return f"{to_local(moment, get_settings().timezone):%m-%d %H:%M}"


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _heat_days(ctx: Context) -> int:
    days = (analytics.today() - ctx.period.first).days + 1
    return max(1, min(days, HEAT_MAX_DAYS))


def _child_values(ctx: Context, counter: str = "reported") -> dict[str, float]:
    rows = analytics.breakdown(ctx.session, ctx.query, "region", actor=ctx.actor)
    return {r.key: float(r.counters.get(counter, 0)) for r in rows if r.region_code}


# ============================================================================ screens


def screen(
    session: Session,
    name: str,
    *,
    actor: Actor,
    region_code: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> ScreenOut:
    """The whole payload of one big screen: its panels and its map."""
    builder = _BUILDERS.get(name)
    if builder is None:
        raise NotFound(f"没有名为 {name} 的大屏", code="screen_not_found", screens=list(SCREENS))
    started = time.perf_counter()
    ctx = context(session, actor=actor, region_code=region_code, start=start, end=end)
    panels, map_data = builder(ctx)
    return ScreenOut(
        screen=name,
        title=SCREENS[name],
        region=_region_out(ctx),
        start=ctx.period.first,
        end=ctx.period.last,
        as_of=analytics.as_of(session),
        generated_ms=round((time.perf_counter() - started) * 1000, 1),
        panels=panels,
        map=map_data,
    )


# ---------------------------------------------------------------------------- 1 信息汇聚


def _aggregation(ctx: Context) -> tuple[list[Panel], MapData]:
    session, actor = ctx.session, ctx.actor
    agg: Any = None
    try:
        agg = _registry_aggregation(ctx)
    except PermissionDenied:
        agg = None
    by_code = {c.code: c for c in agg.categories} if agg is not None else {}
    summary = analytics.summary(session, ctx.query, actor=actor)
    grids = _grid_counts(ctx)
    worker_total = _worker_total(ctx)

    def total(code: str) -> float | None:
        found = by_code.get(code)
        return float(found.total) if found is not None else None

    region_q = ctx.params()
    region_page = f"/regions/{ctx.code}" if ctx.code else "/regions"
    resources = [
        Item(name="基础网格", value=grids[0], unit="个", link=region_page),
        Item(name="专属网格", value=grids[1], unit="个", link=region_page),
        Item(
            name="网格员",
            value=worker_total,
            unit="人",
            link=_link("/workers", **region_q) if worker_total is not None else None,
        ),
        Item(
            name="实有人口", value=total("persons"), unit="人", link=_link("/persons", **region_q)
        ),
        Item(name="家庭户", value=total("households"), unit="户"),
        Item(
            name="特殊人群",
            value=total("special_groups"),
            unit="人",
            link=_link("/special-groups", **region_q),
        ),
        Item(
            name="楼栋", value=total("buildings"), unit="栋", link=_link("/buildings", **region_q)
        ),
        Item(name="房屋", value=total("houses"), unit="套"),
        Item(
            name="城市部件",
            value=total("components"),
            unit="个",
            link=_link("/components", **region_q),
        ),
        Item(
            name="事件",
            value=float(summary.counters["reported"]),
            unit="件",
            link=cases_link(ctx, "reported"),
            note="所选时段上报",
        ),
    ]
    panels = [
        Panel(
            id="resources",
            title="资源总览",
            kind="stats",
            items=[i for i in resources if i.value is not None],
            source="registry.aggregation, regions, gis.grid_workers, analytics.summary",
        ),
        _guarded(
            lambda: _population(ctx), "population", "实有人口构成", "pie", "registry.list_persons"
        ),
        _guarded(
            lambda: _special_groups(ctx),
            "special_groups",
            "特殊人群",
            "bar",
            "registry.list_special_groups",
        ),
    ]
    if agg is None:
        panels += [
            _restricted("today", "今日更新", "table", "registry.aggregation"),
            _restricted("freshness", "数据鲜活度", "table", "registry.aggregation"),
            _restricted("children", "下级区域数据量", "bar", "registry.aggregation"),
        ]
    else:
        panels += _aggregation_tables(ctx, agg, summary)
    values = {c.code: float(c.total) for c in agg.children} if agg is not None else {}
    return panels, MapData(
        region_values=values,
        value_label="资源记录数",
        layers=["grids", "buildings", "components", "workers", "cameras"],
    )


# registry.aggregation counts every category's rows, changes and growth: seconds at the
# district tier. Base data changes slowly, so a screen reuses it for a few minutes (per region,
# scope and personal-data permission) and says how old it is.
AGGREGATION_TTL_S = 600.0
_aggregations: dict[tuple[Any, ...], tuple[float, datetime, Any]] = {}
_aggregations_lock = threading.Lock()


def _registry_aggregation(ctx: Context) -> Any:
    actor = ctx.actor
    key = (
        ctx.region.code,
        actor.scope.region_paths,
        actor.scope.department_ids,
        actor.can(Perm.REGISTRY_READ),
        actor.can(Perm.PERSONS_READ),
    )
    moment = time.monotonic()
    with _aggregations_lock:
        found = _aggregations.get(key)
    if found is not None and moment - found[0] < AGGREGATION_TTL_S:
        return found[2]
    result = registry.aggregation(ctx.session, actor=actor, region_code=ctx.region.code)
    with _aggregations_lock:
        if len(_aggregations) > 256:
            _aggregations.clear()
        _aggregations[key] = (moment, now(), result)
    return result


def _aggregation_age(ctx: Context) -> datetime | None:
    with _aggregations_lock:
        for (code, *_), (_, made, _) in _aggregations.items():
            if code == ctx.region.code:
                return made
    return None


def _made_note(ctx: Context) -> str:
    made = _aggregation_age(ctx)
    return f"统计于 {_local(made)}，每 {int(AGGREGATION_TTL_S // 60)} 分钟更新" if made else ""


def _grid_counts(ctx: Context) -> tuple[float, float]:
    rows = regions.regions_for_map(
        ctx.session,
        actor=ctx.actor,
        levels=["grid", "special_grid"],
        parent_code=None,
        bbox=None,
    )
    inside = [r for r in rows if any(r.path.startswith(p) for p in ctx.area.nodes)]
    return (
        float(sum(1 for r in inside if r.level == "grid")),
        float(sum(1 for r in inside if r.level == "special_grid")),
    )


def _workers_in(ctx: Context) -> list[gis.WorkerPosition] | None:
    """The grid workers of the area (by their grids' codes, which extend their region's),
    with duty when the reader may follow workers; None when they may not."""
    if not ctx.actor.can(Perm.WORKERS_READ):
        return None
    found = gis.grid_workers(ctx.session, actor=ctx.actor)
    codes = [r.code for r in ctx.area.regions]
    return [w for w in found if any(g.startswith(c) for g in w.grid_codes for c in codes)]


def _worker_total(ctx: Context) -> float | None:
    found = _workers_in(ctx)
    return None if found is None else float(len(found))


def _population(ctx: Context) -> Panel:
    items = []
    for kind in ResidenceType:
        _, count = registry.list_persons(
            ctx.session,
            actor=ctx.actor,
            cipher=_NO_CIPHER,
            residence_type=kind.value,
            region_code=ctx.code,
            page=PageParams(page=1, page_size=1),
        )
        label = {"户籍": "户籍人口", "流动": "流动人口", "境外": "境外人员"}[kind.value]
        items.append(
            Item(
                name=label,
                value=float(count),
                unit="人",
                link=_link("/persons", residence_type=kind.value, **ctx.params()),
            )
        )
    return Panel(
        id="population",
        title="实有人口构成",
        kind="pie",
        items=[i for i in items if i.value],
        link=_link("/persons", **ctx.params()),
        source="registry.list_persons",
    )


class _NoCipher:
    """list_persons takes the field cipher only to hash an ID number or phone searched for;
    the screens search neither."""

    def search_hash(self, value: str) -> str:  # pragma: no cover - never called
        raise PermissionDenied("大屏不按证件号或电话查询", code="not_available")


_NO_CIPHER: Any = _NoCipher()


def _special_groups(ctx: Context) -> Panel:
    items = []
    for kind in SpecialGroupType:
        _, count = registry.list_special_groups(
            ctx.session,
            actor=ctx.actor,
            group_type=kind.value,
            region_code=ctx.code,
            page=PageParams(page=1, page_size=1),
        )
        if count:
            items.append(
                Item(
                    name=kind.value,
                    value=float(count),
                    unit="人",
                    link=_link("/special-groups", group_type=kind.value, **ctx.params()),
                )
            )
    items.sort(key=lambda i: -(i.value or 0))
    return Panel(
        id="special_groups",
        title="特殊人群",
        kind="bar",
        items=items,
        link=_link("/special-groups", **ctx.params()),
        source="registry.list_special_groups",
    )


def _ago(moment: datetime | None) -> str:
    if moment is None:
        return "从未"
    seconds = (now() - moment).total_seconds()
    if seconds < 3600:
        return f"{max(0, int(seconds // 60))} 分钟前"
    if seconds < 86_400:
        return f"{int(seconds // 3600)} 小时前"
    return f"{int(seconds // 86_400)} 天前"


def _aggregation_tables(ctx: Context, agg: Any, summary: analytics.Summary) -> list[Panel]:
    day = analytics.today()
    today = analytics.summary(
        ctx.session, analytics.Query(ctx.area.code, day, day), actor=ctx.actor
    )
    today_rows = [
        [
            Cell(text="事件"),
            Cell(
                text=f"{today.counters['reported']:,}",
                link=_link(
                    "/analytics/cases",
                    counter="reported",
                    start=day.isoformat(),
                    end=day.isoformat(),
                    **ctx.params(),
                ),
            ),
            Cell(text=f"{today.counters['closed']:,}"),
        ]
    ]
    changed = sorted(agg.categories, key=lambda c: -(c.added_today + c.updated_today))
    for c in changed:
        if c.added_today or c.updated_today:
            today_rows.append(
                [
                    Cell(text=c.name),
                    Cell(text=f"{c.added_today:,}"),
                    Cell(text=f"{c.updated_today:,}"),
                ]
            )
    freshness = sorted(
        agg.categories,
        key=lambda c: c.last_updated or datetime.min.replace(tzinfo=UTC),
        reverse=True,
    )
    return [
        Panel(
            id="today",
            title="今日更新",
            kind="table",
            columns=["类别", "今日新增", "今日更新/结案"],
            rows=today_rows,
            note="事件按统计汇总（上报、结案）；基础数据" + _made_note(ctx),
            source="registry.aggregation, analytics.summary(today)",
        ),
        Panel(
            id="freshness",
            title="数据鲜活度",
            kind="table",
            columns=["类别", "记录数", "最近更新"],
            rows=[
                [Cell(text=c.name), Cell(text=f"{c.total:,}"), Cell(text=_ago(c.last_updated))]
                for c in freshness
            ],
            note="各类数据最近一次新增或修改距今多久；" + _made_note(ctx),
            source="registry.aggregation",
        ),
        Panel(
            id="children",
            title="下级区域数据量",
            kind="bar",
            items=[
                Item(
                    name=c.name,
                    value=float(c.total),
                    link=_link("/screens/aggregation", region_code=c.code),
                )
                for c in agg.children
            ],
            note="点击下钻到该区域",
            source="registry.aggregation",
        ),
    ]


# ---------------------------------------------------------------------------- 2 事件管理


def _status_items(ctx: Context, summary: analytics.Summary) -> list[Item]:
    return [
        Item(
            name=s.label,
            value=float(s.count),
            unit="件",
            link=cases_link(ctx, f"st_{s.key}"),
        )
        for s in summary.statuses
    ]


def _events(ctx: Context) -> tuple[list[Panel], MapData]:
    session, actor, q = ctx.session, ctx.actor, ctx.query
    summary = analytics.summary(session, q, actor=actor)
    values = {v.indicator.code: v for v in summary.indicators}
    counters = summary.counters
    closure = values["closure_rate"]
    totals = [
        Item(
            name="上报",
            value=float(counters["reported"]),
            unit="件",
            link=cases_link(ctx, "reported"),
        ),
        Item(
            name="受理",
            value=float(counters["accepted"]),
            unit="件",
            link=cases_link(ctx, "accepted"),
        ),
        Item(
            name="结案", value=float(counters["closed"]), unit="件", link=cases_link(ctx, "closed")
        ),
        Item(
            name="到期未结",
            value=float(counters["due_open"]),
            unit="件",
            link=cases_link(ctx, "due_open"),
        ),
        Item(
            name="按期结案率",
            value=_pct(values["on_time_rate"].value),
            unit="%",
            link=indicator_link(ctx, "on_time_rate"),
        ),
        Item(
            name="自办结率",
            value=_pct(values["self_settle_rate"].value),
            unit="%",
            link=indicator_link(ctx, "self_settle_rate"),
        ),
    ]
    by_source = analytics.breakdown(session, q, "source", actor=actor)
    by_category = analytics.breakdown(session, q, "category", actor=actor, category_level="top")
    granularity = "day" if ctx.period.days <= 62 else "month"
    trend = analytics.trend(session, q, granularity, actor=actor)
    panels = [
        Panel(
            id="totals", title="事件总量", kind="stats", items=totals, source="analytics.summary"
        ),
        Panel(
            id="status",
            title="按状态",
            kind="pie",
            items=_status_items(ctx, summary),
            source="analytics.summary",
        ),
        Panel(
            id="sources",
            title="按来源",
            kind="bar",
            items=[
                Item(
                    name=r.label,
                    value=float(r.counters["reported"]),
                    unit="件",
                    link=cases_link(ctx, "reported", source=r.key),
                )
                for r in by_source
            ],
            source="analytics.breakdown(source)",
        ),
        Panel(
            id="categories",
            title="按类别",
            kind="bar",
            items=[
                Item(
                    name=r.label,
                    value=float(r.counters["reported"]),
                    unit="件",
                    link=cases_link(ctx, "reported", category_code=r.key),
                )
                for r in by_category[:10]
            ],
            source="analytics.breakdown(category)",
        ),
        Panel(
            id="completion",
            title="结案率",
            kind="gauge",
            items=[
                Item(
                    name="结案率",
                    value=_pct(closure.value),
                    unit="%",
                    link=indicator_link(ctx, "closure_rate"),
                    note=f"{closure.numerator:,} / {closure.denominator or 0:,}",
                )
            ]
            if closure.value is not None
            else [],
            note=INDICATOR_BY_CODE["closure_rate"].formula,
            source="analytics.summary",
        ),
        Panel(
            id="trend",
            title="趋势（按日）" if granularity == "day" else "趋势（按月）",
            kind="line",
            keys=[p.key for p in trend],
            series=[
                Series(name="上报", data=[float(p.counters["reported"]) for p in trend]),
                Series(name="结案", data=[float(p.counters["closed"]) for p in trend]),
                Series(
                    name="按期结案率",
                    kind="line",
                    axis=1,
                    data=[_pct(p.on_time_rate) for p in trend],
                ),
            ],
            source="analytics.trend",
        ),
        _frequent_persons(ctx),
        _ticker(ctx),
        _overdue(ctx),
    ]
    return panels, MapData(
        heat_days=_heat_days(ctx),
        region_values=_child_values(ctx),
        value_label="上报事件数",
    )


def _frequent_persons(ctx: Context) -> Panel:
    insights = _optional("gridgov.insights.services")
    if insights is not None and hasattr(insights, "frequent_reporters"):
        try:
            names = {c.code: c.name for c in events.list_categories(ctx.session, actor=ctx.actor)}
            people = insights.frequent_reporters(
                ctx.session, ctx.query, actor=ctx.actor, limit=LIST_SIZE
            )
            return Panel(
                id="frequent",
                title="高频人员",
                kind="table",
                columns=["人员", "次数", "最近", "类别"],
                rows=[
                    [
                        Cell(text=p.label),
                        Cell(text=f"{p.count:,}"),
                        Cell(text=_local(p.last_at)),
                        Cell(text="、".join(names.get(c, c) for c in p.categories[:3])),
                    ]
                    for p in people
                ],
                note="高频上报人（已脱敏）",
                source="insights.frequent_reporters",
            )
        except AppError as error:
            log.info("screens: frequent_reporters unavailable (%s); using the fallback", error)
    # Until insights/ is installed: the grids with the most reports (高发网格).
    ranked = analytics.ranking(ctx.session, "events_reported", "grid", ctx.query, actor=ctx.actor)
    return Panel(
        id="frequent",
        title="高发网格",
        kind="table",
        columns=["网格", "上报"],
        rows=[
            [
                Cell(text=r.label, link=_link("/screens/events", region_code=r.key)),
                Cell(
                    text=f"{r.value.numerator:,}",
                    link=cases_link(ctx, "reported", region_code=r.key),
                ),
            ]
            for r in ranked[:LIST_SIZE]
            if r.value.numerator
        ],
        note="高频人员分析模块未安装，暂以高发网格代替",
        source="analytics.ranking(events_reported, grid)"
        " [fallback for insights.frequent_reporters]",
    )


def _ticker(ctx: Context) -> Panel:
    filters = events.event_filter(ctx.session, actor=ctx.actor, region_code=ctx.code)
    rows, _ = events.search_events(
        ctx.session, filters, actor=ctx.actor, page=PageParams(page=1, page_size=TICKER_SIZE)
    )
    labels = {s.value: label for s, label in SOURCE_LABELS.items()}
    return Panel(
        id="ticker",
        title="最新事件",
        kind="ticker",
        columns=["时间", "标题", "来源"],
        rows=[
            [
                Cell(text=_local(e.created_at)),
                Cell(text=e.title, link=f"/events/{e.id}"),
                Cell(text=labels.get(e.source, e.source)),
            ]
            for e in rows
        ],
        link=_link("/events", **ctx.params()),
        note="新事件实时推送",
        source="events.search_events + /api/v1/screens/stream",
    )


def _overdue(ctx: Context) -> Panel:
    filters = events.event_filter(ctx.session, actor=ctx.actor, region_code=ctx.code, overdue=True)
    rows, total = events.search_events(
        ctx.session, filters, actor=ctx.actor, page=PageParams(page=1, page_size=LIST_SIZE)
    )
    moment = now()
    return Panel(
        id="overdue",
        title=f"超期事件（{total:,}{'+' if total >= 10_000 else ''} 件）",
        kind="table",
        columns=["编号", "标题", "超期"],
        rows=[
            [
                Cell(text=e.code, link=f"/events/{e.id}"),
                Cell(text=e.title, link=f"/events/{e.id}"),
                Cell(text=_overdue_by(moment - e.deadline_at)),
            ]
            for e in rows
        ],
        link=_link("/events", overdue="1", **ctx.params()),
        source="events.search_events(overdue)",
    )


def _overdue_by(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} 小时" if hours < 48 else f"{hours / 24:.0f} 天"


# ---------------------------------------------------------------------------- 3 矛盾调解


def _mediation(ctx: Context) -> tuple[list[Panel], MapData]:
    try:
        return _mediation_panels(ctx)
    except PermissionDenied:
        source = "mediation.statistics"
        return [
            _restricted("m_totals", "矛盾纠纷", "stats", source),
            _restricted("m_types", "按类型", "bar", source),
            _restricted("m_status", "按状态", "pie", source),
            _restricted("m_outcome", "调解结果", "pie", source),
            _restricted("m_success", "调解成功率", "gauge", source),
            _restricted("m_risk", "风险等级", "bar", source),
            _restricted("m_overdue", "超期未结纠纷", "table", source),
        ], MapData()


def _mediation_panels(ctx: Context) -> tuple[list[Panel], MapData]:
    session, actor = ctx.session, ctx.actor
    since, until = ctx.bounds()
    stats = mediation.statistics(
        session, actor=actor, region_code=ctx.code, since=since, until=until
    )
    types = mediation.labels_for("type")
    outcomes = mediation.labels_for("outcome")
    risks = mediation.labels_for("risk")
    states = mediation.state_labels(session)
    base = ctx.params()

    def disputes(**extra: Any) -> str:
        return _link("/disputes", **base, **extra)

    source = "mediation.statistics"
    totals = [
        Item(name="登记纠纷", value=float(stats.total), unit="件", link=disputes()),
        Item(name="调解中", value=float(stats.pending), unit="件"),
        Item(name="超期未结", value=float(stats.overdue), unit="件", link=disputes(overdue="1")),
        Item(
            name="预警",
            value=float(stats.open_alerts),
            unit="条",
            link=_link("/disputes/alerts", status="open", **base),
        ),
        Item(name="平均调解天数", value=stats.average_days, unit="天"),
    ]
    filters = mediation.dispute_filter(session, actor=actor, region_code=ctx.code, overdue=True)
    overdue_rows, _ = mediation.search_disputes(
        session, filters, actor=actor, page=PageParams(page=1, page_size=LIST_SIZE)
    )
    panels = [
        Panel(id="m_totals", title="矛盾纠纷", kind="stats", items=totals, source=source),
        Panel(
            id="m_types",
            title="按类型",
            kind="bar",
            items=sorted(
                (
                    Item(
                        name=types.get(k, k),
                        value=float(v),
                        unit="件",
                        link=disputes(dispute_type=k),
                    )
                    for k, v in stats.by_type.items()
                ),
                key=lambda i: -(i.value or 0),
            ),
            source=source,
        ),
        Panel(
            id="m_status",
            title="按状态",
            kind="pie",
            items=[
                Item(name=states.get(k, k), value=float(v), unit="件", link=disputes(status=k))
                for k, v in stats.by_status.items()
            ],
            source=source,
        ),
        Panel(
            id="m_outcome",
            title="调解结果",
            kind="pie",
            items=[
                Item(name=outcomes.get(k, k), value=float(v), unit="件")
                for k, v in stats.by_outcome.items()
            ],
            source=source,
        ),
        Panel(
            id="m_success",
            title="调解成功率",
            kind="gauge",
            items=[
                Item(
                    name="调解成功率",
                    value=round(stats.success_rate * 100, 1),
                    unit="%",
                    note="达成（含部分达成）/ 已有结果",
                )
            ]
            if stats.success_rate is not None
            else [],
            source=source,
        ),
        Panel(
            id="m_risk",
            title="风险等级",
            kind="bar",
            items=[
                Item(name=risks.get(k, k), value=float(v), unit="件", link=disputes(risk_grade=k))
                for k, v in stats.by_risk.items()
            ],
            source=source,
        ),
        Panel(
            id="m_overdue",
            title="超期未结纠纷",
            kind="table",
            columns=["编号", "事由", "类型"],
            rows=[
                [
                    Cell(text=d.code, link=f"/disputes/{d.id}"),
                    Cell(text=d.title, link=f"/disputes/{d.id}"),
                    Cell(text=types.get(d.dispute_type, d.dispute_type)),
                ]
                for d in overdue_rows
            ],
            link=disputes(overdue="1"),
            note=None if overdue_rows else "当前没有超期未结的纠纷",
            source="mediation.search_disputes(overdue)",
        ),
    ]
    return panels, MapData(
        region_values={k: float(v) for k, v in stats.by_region.items()},
        value_label="矛盾纠纷数",
    )


# ---------------------------------------------------------------------------- 4 分析预警


ALERT_KIND_LABELS = {
    "abnormal_rise": "异常上升",
    "recurrence": "反复发生",
    "sla_risk": "超期风险",
    "visit_overdue": "走访超期",
}


def _warning(ctx: Context) -> tuple[list[Panel], MapData]:
    points: list[MapPoint] = []
    alerts_panels = _alerts(ctx)
    hotspots, hot_points = _hotspots(ctx)
    points += hot_points
    panels = [
        *alerts_panels,
        _anomalies(ctx),
        hotspots,
        _forecast(ctx),
        _sla_risk(ctx),
    ]
    return panels, MapData(heat_days=_heat_days(ctx), points=points, value_label="")


def _alerts(ctx: Context) -> list[Panel]:
    alerts = _optional("gridgov.alerts.services")
    if alerts is not None and hasattr(alerts, "alert_counts"):
        try:
            counts = alerts.alert_counts(ctx.session, actor=ctx.actor, region_code=ctx.code)
            rows, total = alerts.list_alerts(
                ctx.session,
                actor=ctx.actor,
                page=PageParams(page=1, page_size=LIST_SIZE),
                status="open",
                region_code=ctx.code,
            )
            return [
                Panel(
                    id="alert_counts",
                    title="活动预警",
                    kind="stats",
                    items=[
                        Item(
                            name=ALERT_KIND_LABELS.get(k, k),
                            value=float(v),
                            unit="条",
                            link=_link("/alerts", kind=k, **ctx.params()),
                        )
                        for k, v in counts.items()
                    ],
                    link=_link("/alerts", **ctx.params()),
                    source="alerts.alert_counts",
                ),
                Panel(
                    id="alerts",
                    title=f"预警列表（{total:,} 条）",
                    kind="table",
                    columns=["时间", "预警", "类型"],
                    rows=[
                        [
                            Cell(text=_local(a.detected_at)),
                            Cell(text=a.title, link=f"/alerts/{a.id}"),
                            Cell(text=ALERT_KIND_LABELS.get(a.kind, a.kind)),
                        ]
                        for a in rows
                    ],
                    link=_link("/alerts", **ctx.params()),
                    source="alerts.list_alerts",
                ),
            ]
        except AppError as error:
            log.info("screens: alert_counts unavailable (%s); using the fallback", error)
    # Until alerts/ is installed: overdue cases, due-open cases and open dispute alerts.
    summary = analytics.summary(ctx.session, ctx.query, actor=ctx.actor)
    overdue = _overdue(ctx)
    items = [
        Item(
            name="到期未结",
            value=float(summary.counters["due_open"]),
            unit="件",
            link=cases_link(ctx, "due_open"),
        ),
        Item(
            name="超期事件",
            value=float(len(overdue.rows)),
            unit="件",
            link=overdue.link,
            note="列表前若干件",
        ),
    ]
    try:
        stats = mediation.statistics(ctx.session, actor=ctx.actor, region_code=ctx.code)
        items.append(
            Item(
                name="纠纷预警",
                value=float(stats.open_alerts),
                unit="条",
                link=_link("/disputes/alerts", status="open", **ctx.params()),
            )
        )
    except PermissionDenied:
        pass
    overdue.id, overdue.title = "alerts", "预警列表（超期事件）"
    overdue.source += " [fallback for alerts.list_alerts]"
    return [
        Panel(
            id="alert_counts",
            title="活动预警",
            kind="stats",
            items=items,
            note="预警模块未安装，暂以超期与到期未结代替",
            source="analytics.summary, mediation.statistics [fallback for alerts.alert_counts]",
        ),
        overdue,
    ]


def _previous(ctx: Context) -> analytics.Query:
    days = ctx.period.days
    last = ctx.period.first - timedelta(days=1)
    return analytics.Query(ctx.area.code, last - timedelta(days=days - 1), last)


def _anomalies(ctx: Context) -> Panel:
    """Categories whose reports rose most against the period before (same length)."""
    now_rows = analytics.breakdown(
        ctx.session, ctx.query, "category", actor=ctx.actor, category_level="top"
    )
    before = {
        r.key: r.counters["reported"]
        for r in analytics.breakdown(
            ctx.session, _previous(ctx), "category", actor=ctx.actor, category_level="top"
        )
    }
    rises = []
    for r in now_rows:
        current, prior = r.counters["reported"], before.get(r.key, 0)
        if current > prior:
            rises.append((current - prior, r, prior))
    rises.sort(key=lambda t: -t[0])
    return Panel(
        id="anomalies",
        title="异常上升（环比）",
        kind="bar",
        items=[
            Item(
                name=r.label,
                value=float(diff),
                unit="件",
                link=cases_link(ctx, "reported", category_code=r.key),
                note=f"{prior:,} → {r.counters['reported']:,}",
            )
            for diff, r, prior in rises[:LIST_SIZE]
        ],
        note="与上一等长时段相比上报增加最多的类别",
        source="analytics.breakdown(category) over this and the previous period",
    )


def _hotspots(ctx: Context) -> tuple[Panel, list[MapPoint]]:
    insights = _optional("gridgov.insights.services")
    if insights is not None and hasattr(insights, "hotspots"):
        try:
            spots = insights.hotspots(ctx.session, ctx.query, actor=ctx.actor)[:LIST_SIZE]
            points = [
                MapPoint(
                    lon=s.lon,
                    lat=s.lat,
                    label=f"热点 {s.count} 件（z={s.z:.1f}）",
                    weight=float(s.count),
                    kind="hotspot",
                )
                for s in spots
            ]
            return Panel(
                id="hotspots",
                title="热点区域",
                kind="table",
                columns=["热点", "事件", "基线", "z"],
                rows=[
                    [
                        Cell(text=s.cell),
                        Cell(text=f"{s.count:,}"),
                        Cell(text=f"{s.baseline:.1f}"),
                        Cell(text=f"{s.z:.1f}"),
                    ]
                    for s in spots
                ],
                source="insights.hotspots",
            ), points
        except AppError as error:
            log.info("screens: hotspots unavailable (%s); using the fallback", error)
    # Until insights/ is installed: the grids with the most reports, on the map.
    ranked = [
        r
        for r in analytics.ranking(
            ctx.session, "events_reported", "grid", ctx.query, actor=ctx.actor
        )
        if r.value.numerator
    ][:LIST_SIZE]
    found = {
        g.code: g
        for g in regions.regions_by_codes(ctx.session, [r.key for r in ranked], actor=ctx.actor)
    }
    points = [
        MapPoint(
            lon=found[r.key].centroid_lon,
            lat=found[r.key].centroid_lat,
            label=f"{r.label}：{r.value.numerator:,} 件",
            weight=float(r.value.numerator),
            kind="hotspot",
            link=_link("/screens/warning", region_code=r.key),
        )
        for r in ranked
        if r.key in found
    ]
    return Panel(
        id="hotspots",
        title="热点网格",
        kind="bar",
        items=[
            Item(
                name=r.label,
                value=float(r.value.numerator),
                unit="件",
                link=cases_link(ctx, "reported", region_code=r.key),
            )
            for r in ranked
        ],
        note="热点分析模块未安装，暂以上报最多的网格代替",
        source="analytics.ranking(events_reported, grid) [fallback for insights.hotspots]",
    ), points


def _forecast(ctx: Context) -> Panel:
    insights = _optional("gridgov.insights.services")
    if insights is not None and hasattr(insights, "forecast"):
        try:
            q = analytics.Query(
                ctx.area.code, ctx.period.last - timedelta(days=55), ctx.period.last
            )
            result = insights.forecast(ctx.session, q, actor=ctx.actor, horizon=7)
            history = list(result.history)[-28:]
            keys = [d.isoformat() for d, _ in history] + [p.day.isoformat() for p in result.points]
            blank: list[float | None] = [None] * len(history)
            panel = Panel(
                id="forecast",
                title="事件量预测（未来7天）",
                kind="line",
                keys=keys,
                series=[
                    Series(
                        name="实际",
                        kind="line",
                        data=[float(v) for _, v in history] + [None] * len(result.points),
                    ),
                    Series(name="预测", kind="line", data=blank + [p.value for p in result.points]),
                    Series(name="下限", kind="line", data=blank + [p.lower for p in result.points]),
                    Series(name="上限", kind="line", data=blank + [p.upper for p in result.points]),
                ],
                note=f"方法：{result.method}"
                + (
                    f"；回测误差 {result.mape_backtest:.1f}%"
                    if result.mape_backtest is not None
                    else ""
                ),
                source="insights.forecast",
            )
            if panel.has_data:
                return panel
            log.info("screens: insights.forecast had nothing to show; using the fallback")
        except AppError as error:
            log.info("screens: forecast unavailable (%s); using the fallback", error)
    # Until insights/ is installed: the last four weeks and a same-weekday average.
    last = ctx.period.last
    q = analytics.Query(ctx.area.code, last - timedelta(days=27), last)
    trend = analytics.trend(ctx.session, q, "day", actor=ctx.actor)
    history = [(p.first, float(p.counters["reported"])) for p in trend]
    ahead = []
    for n in range(1, 8):
        day = last + timedelta(days=n)
        same = [v for d, v in history if d.weekday() == day.weekday()]
        ahead.append((day, round(sum(same) / len(same), 1) if same else 0.0))
    empty: list[float | None] = [None] * len(history)
    return Panel(
        id="forecast",
        title="事件量预测（未来7天）",
        kind="line",
        keys=[d.isoformat() for d, _ in history] + [d.isoformat() for d, _ in ahead],
        series=[
            Series(name="实际", kind="line", data=[v for _, v in history] + [None] * len(ahead)),
            Series(name="预测", kind="line", data=empty + [v for _, v in ahead]),
        ],
        note="预测模块未安装，暂以近四周同星期均值估计",
        source="analytics.trend(day) [fallback for insights.forecast]",
    )


def _sla_risk(ctx: Context) -> Panel:
    alerts = _optional("gridgov.alerts.services")
    if alerts is not None and hasattr(alerts, "sla_risk_cases"):
        try:
            cases = alerts.sla_risk_cases(
                ctx.session, actor=ctx.actor, region_code=ctx.code, limit=LIST_SIZE
            )
            return Panel(
                id="sla_risk",
                title="超期风险案件",
                kind="table",
                columns=["编号", "标题", "时限", "风险"],
                rows=[
                    [
                        Cell(text=c.code, link=f"/events/{c.event_id}"),
                        Cell(text=c.title, link=f"/events/{c.event_id}"),
                        Cell(text=_local(c.deadline_at)),
                        Cell(text=f"{c.probability * 100:.0f}%"),
                    ]
                    for c in cases
                ],
                link=_link("/alerts", kind="sla_risk", **ctx.params()),
                source="alerts.sla_risk_cases",
            )
        except AppError as error:
            log.info("screens: sla_risk_cases unavailable (%s); using the fallback", error)
    panel = _overdue(ctx)
    panel.id, panel.title = "sla_risk", "超期风险案件（已超期）"
    panel.note = "超期风险预测模块未安装，暂列已超期案件"
    panel.source += " [fallback for alerts.sla_risk_cases]"
    return panel


# ---------------------------------------------------------------------------- 5 绩效考核


RANKING_INDICATOR = "on_time_rate"
DISTRICT_UP = LEVEL_UP["district"]


def _performance(ctx: Context) -> tuple[list[Panel], MapData]:
    session, actor = ctx.session, ctx.actor
    panels: list[Panel] = []
    targets = [("street", "街道排名"), ("community", "社区排名"), ("department", "部门排名")]
    for target, title in targets:
        if target in analytics.TARGETS and analytics.TARGETS[target] > ctx.area.up:
            continue
        if target == "department" and ctx.area.up < DISTRICT_UP:
            # Departments serve the whole district (a street's police station is named after
            # its street): ranked only on the district's screen, as the assessment does.
            continue
        panels.append(_ranking(ctx, target, title))
    panels.append(_indicator_trend(ctx))
    panels += _worker_panels(ctx)
    indicator = INDICATOR_BY_CODE[RANKING_INDICATOR]
    values: dict[str, float] = {}
    children = analytics.breakdown(session, ctx.query, "region", actor=actor)
    for row in children:
        value = row.indicators.get(indicator.code)
        if row.region_code and value is not None:
            values[row.key] = float(value)
    return panels, MapData(region_values=values, value_label=indicator.name + "（%）")


def _ranking(ctx: Context, target: str, title: str) -> Panel:
    assessment = _optional("gridgov.assessment.services")
    if assessment is not None and hasattr(assessment, "scores"):
        try:
            board = assessment.scores(
                ctx.session,
                actor=ctx.actor,
                target_type=target,
                month=ctx.period.last.replace(day=1),
                region_code=ctx.code,
            )
            return Panel(
                id=f"rank_{target}",
                title=title,
                kind="bar",
                items=[
                    Item(name=f"{r.rank}. {r.target_label}", value=round(r.score, 1), unit="分")
                    for r in board.rows[:LIST_SIZE]
                ],
                link=_link("/assessment", target_type=target, **ctx.params()),
                note=f"{board.scheme_name if hasattr(board, 'scheme_name') else ''} "
                f"{ctx.period.last:%Y-%m}"
                + ("（已冻结）" if getattr(board, "frozen", False) else ""),
                source="assessment.scores",
            )
        except AppError as error:
            log.info("screens: assessment.scores unavailable (%s); using the fallback", error)
    indicator = INDICATOR_BY_CODE[RANKING_INDICATOR]
    ranked = analytics.ranking(ctx.session, indicator.code, target, ctx.query, actor=ctx.actor)
    return Panel(
        id=f"rank_{target}",
        title=title,
        kind="bar",
        items=[
            Item(
                name=f"{r.rank}. {r.label}",
                value=_pct(r.value.value),
                unit="%",
                link=_drill_link(ctx, target, r.key, indicator.code),
                note=f"{r.value.numerator:,} / {r.value.denominator or 0:,}",
            )
            for r in ranked[:LIST_SIZE]
            if r.value.value is not None
        ],
        note=f"按{indicator.name}排名",
        source=f"analytics.ranking({indicator.code}, {target})",
    )


def _drill_link(ctx: Context, target: str, key: str, code: str) -> str:
    if target == "department":
        return (
            _link(
                "/analytics/cases",
                indicator=code,
                part="numerator",
                start=ctx.period.first.isoformat(),
                end=ctx.period.last.isoformat(),
                **ctx.params(),
            )
            + f"&department_id={key}"
        )
    return _link("/screens/performance", region_code=key)


def _indicator_trend(ctx: Context) -> Panel:
    last = ctx.period.last
    month = last.year * 12 + last.month - 1 - 11  # eleven months before the period's last
    start = date(month // 12, month % 12 + 1, 1)
    q = analytics.Query(ctx.area.code, start, last)
    trend = analytics.trend(ctx.session, q, "month", actor=ctx.actor)
    return Panel(
        id="indicator_trend",
        title="指标趋势（近12个月）",
        kind="line",
        keys=[p.key for p in trend],
        series=[
            Series(name="结案率", kind="line", axis=1, data=[_pct(p.closure_rate) for p in trend]),
            Series(
                name="按期结案率", kind="line", axis=1, data=[_pct(p.on_time_rate) for p in trend]
            ),
            Series(name="上报", data=[float(p.counters["reported"]) for p in trend]),
        ],
        source="analytics.trend(month)",
    )


def _worker_panels(ctx: Context) -> list[Panel]:
    source = "gis.grid_workers, patrol.list_patrols"
    roster = _workers_in(ctx)
    if roster is None:
        return [
            _restricted("workers_today", "网格员在岗", "stats", source),
            _restricted("workers_daily", "网格员日常工作", "line", source),
            _restricted("rank_worker", "网格员排名", "bar", source),
        ]
    # The last week up to the period's end, whatever its length: a day's patrol figures are
    # read from the tracks, and a week shows the rhythm of the work.
    last = min(ctx.period.last, analytics.today())
    first = last - timedelta(days=WORKER_DAYS - 1)
    names = {w.user_id: w.name for w in roster}
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    hours = {d: 0.0 for d in days}
    km = {d: 0.0 for d in days}
    per_worker: dict[int, tuple[float, float]] = {}
    for day in days:
        # The figures stored on each patrol (distance, duration); patrol.figures_by_day would
        # also recompute each worker-day's grid coverage from the tracks: minutes for a
        # district's 400 workers.
        for p in _patrols_of_day(ctx, day):
            if p.user_id not in names:
                continue
            hours[day] += p.duration_s / 3600
            km[day] += p.distance_m / 1000
            h, d = per_worker.get(p.user_id, (0.0, 0.0))
            per_worker[p.user_id] = (h + p.duration_s / 3600, d + p.distance_m / 1000)
    best = sorted(per_worker.items(), key=lambda kv: -kv[1][0])[:LIST_SIZE]
    on_duty = sum(1 for w in roster if w.on_duty)
    assessment_panel = _worker_ranking_from_assessment(ctx)
    ranking = assessment_panel or Panel(
        id="rank_worker",
        title="网格员排名（巡查时长）",
        kind="bar",
        items=[
            Item(
                name=f"{n}. {names.get(uid, str(uid))}",
                value=round(h, 1),
                unit="小时",
                link=f"/workers/{uid}",
                note=f"{d:.1f} 公里",
            )
            for n, (uid, (h, d)) in enumerate(best, start=1)
        ],
        note=f"{first:%m-%d} 至 {last:%m-%d}",
        source=source,
    )
    return [
        Panel(
            id="workers_today",
            title="网格员在岗",
            kind="stats",
            items=[
                Item(
                    name="网格员",
                    value=float(len(roster)),
                    unit="人",
                    link=_link("/workers", **ctx.params()),
                ),
                Item(
                    name="在岗",
                    value=float(on_duty),
                    unit="人",
                    link=_link("/workers", on_duty="true", **ctx.params()),
                ),
                Item(name="巡查时长", value=round(sum(hours.values()), 1), unit="小时"),
                Item(name="巡查里程", value=round(sum(km.values()), 1), unit="公里"),
            ],
            note=f"巡查为 {first:%m-%d} 至 {last:%m-%d} 合计",
            source=source,
        ),
        Panel(
            id="workers_daily",
            title="网格员日常工作（巡查）",
            kind="line",
            keys=[d.isoformat() for d in days],
            series=[
                Series(name="巡查时长（小时）", data=[round(hours[d], 1) for d in days]),
                Series(name="巡查里程（公里）", kind="line", data=[round(km[d], 1) for d in days]),
            ],
            source="patrol.list_patrols (stored figures)",
        ),
        ranking,
    ]


PATROL_PAGE = 500


def _patrols_of_day(ctx: Context, day: date) -> list[Any]:
    found: list[Any] = []
    page = 1
    while True:
        rows, total = patrol.list_patrols(
            ctx.session,
            actor=ctx.actor,
            user_id=None,
            day=day,
            page=PageParams(page=page, page_size=PATROL_PAGE),
        )
        found += [r for r in rows if any(r.region_path.startswith(n) for n in ctx.area.nodes)]
        if page * PATROL_PAGE >= total or not rows:
            return found
        page += 1


def _worker_ranking_from_assessment(ctx: Context) -> Panel | None:
    assessment = _optional("gridgov.assessment.services")
    if assessment is None or not hasattr(assessment, "scores"):
        return None
    try:
        board = assessment.scores(
            ctx.session,
            actor=ctx.actor,
            target_type="worker",
            month=ctx.period.last.replace(day=1),
            region_code=ctx.code,
        )
    except AppError:
        return None
    return Panel(
        id="rank_worker",
        title="网格员排名",
        kind="bar",
        items=[
            Item(name=f"{r.rank}. {r.target_label}", value=round(r.score, 1), unit="分")
            for r in board.rows[:LIST_SIZE]
        ],
        link=_link("/assessment", target_type="worker", **ctx.params()),
        source="assessment.scores(worker)",
    )


_BUILDERS: dict[str, Callable[[Context], tuple[list[Panel], MapData]]] = {
    "aggregation": _aggregation,
    "events": _events,
    "mediation": _mediation,
    "warning": _warning,
    "performance": _performance,
}


# ============================================================================ live stream


def may_watch(actor: Actor) -> None:
    """Who may open the live stream: the screens' readers (those of analytics)."""
    actor.require(Perm.EVENTS_READ)
    if actor.scope.owner_id is not None:
        raise PermissionDenied("个人账号不能查看大屏", code="analytics_not_available")


def visible(actor: Actor, message: dict[str, Any]) -> bool:
    """Whether a live message may reach this reader: inside their area; department-scoped
    readers get new cases only once one is theirs (a new case has no department yet)."""
    path = message.get("region_path")
    if not isinstance(path, str) or not actor.scope.covers_path(path):
        return False
    if actor.scope.department_ids is not None:
        return message.get("department_id") in actor.scope.department_ids
    return True

"""Assessment (绩效考核): schemes with weighted items per target type, monthly scores and
rankings (live for an open month, read from a frozen snapshot once the month is frozen), the
rows behind a score part, and the monthly freezing job.

A read-only view over analytics (case indicators of regions and departments), events (a
worker's own reported cases), patrol, visits, tasks and workers (field work), plus two writes
of its own: schemes (administrators and leaders) and snapshots (the job, or an administrator).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.analytics import services as analytics
from gridgov.analytics.indicators import BY_NAME as COUNTERS
from gridgov.assessment import repository
from gridgov.assessment.indicators import (
    BY_CODE,
    LIBRARY,
    REGION_TARGETS,
    RULE_LABELS,
    TARGET_LABELS,
    TARGET_TYPES,
    AssessmentIndicator,
    Item,
    check_items,
    item_points,
    value_of,
    weighted_score,
)
from gridgov.assessment.models import Scheme, Score, Snapshot
from gridgov.assessment.schemas import SchemeIn
from gridgov.audit import services as audit
from gridgov.config import get_settings
from gridgov.events import facts
from gridgov.events.facts import CaseQuery
from gridgov.kit.clock import now
from gridgov.kit.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gridgov.kit.pagination import PageParams
from gridgov.orgs import services as orgs
from gridgov.patrol import services as patrol
from gridgov.regions import services as regions
from gridgov.tasks import services as tasks
from gridgov.visits import services as visits
from gridgov.workers import services as workers

log = logging.getLogger("gridgov.assessment")
DISTRICT_UP = 3  # analytics' distance of a district above the basic grids
SYSTEM = "assessment"

# =============================================================================================
# Permissions and months
# =============================================================================================


def _require_reader(actor: Actor) -> None:
    actor.require(Perm.ASSESSMENT_READ)
    if actor.scope.owner_id is not None:
        raise PermissionDenied("个人账号不能查看考核结果", code="assessment_not_available")


def _zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def this_month() -> date:
    return analytics.today().replace(day=1)


def previous_month(month: date | None = None) -> date:
    first = month or this_month()
    return (first - timedelta(days=1)).replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def parse_month(text: str | None) -> date:
    """'2026-10' (or a date in it) → 2026-10-01; None → this month."""
    if not text:
        return this_month()
    try:
        parts = text.split("-")
        return date(int(parts[0]), int(parts[1]), 1)
    except (ValueError, IndexError):
        raise InvalidInput(f"月份格式应为 YYYY-MM：{text}", code="bad_month") from None


def _month_days(month: date) -> tuple[date, date]:
    """The month's first day and its last day that has begun (today for the current month)."""
    last = next_month(month) - timedelta(days=1)
    return month, min(last, analytics.today())


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    zone = _zone()
    start = datetime.combine(first, datetime.min.time(), zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), zone).astimezone(UTC)
    return start, end


# =============================================================================================
# Indicators and schemes
# =============================================================================================


def list_indicators(*, actor: Actor, target_type: str | None = None) -> list[AssessmentIndicator]:
    _require_reader(actor)
    return [i for i in LIBRARY if target_type is None or target_type in i.targets]


def _items(scheme: Scheme) -> list[Item]:
    return [Item.of(i) for i in scheme.items]


def list_schemes(session: Session, *, actor: Actor, target_type: str | None = None) -> list[Scheme]:
    _require_reader(actor)
    return repository.current_schemes(session, target_type=target_type)


def get_scheme(session: Session, code: str, *, actor: Actor) -> Scheme:
    _require_reader(actor)
    scheme = repository.current_scheme(session, code)
    if scheme is None:
        raise NotFound(f"考核方案 {code} 不存在", code="scheme_not_found")
    return scheme


def scheme_versions(session: Session, code: str, *, actor: Actor) -> list[Scheme]:
    get_scheme(session, code, actor=actor)
    return repository.scheme_versions(session, code)


def _validate(data: SchemeIn) -> list[Item]:
    items = [Item(i.indicator, i.weight, i.rule, i.floor, i.target) for i in data.items]
    problems = check_items(data.target_type, items)
    if not data.name.strip():
        problems.insert(0, "方案名称不能为空")
    if problems:
        raise InvalidInput(
            "考核方案有误：" + "；".join(problems), code="invalid_scheme", problems=problems
        )
    return items


def create_scheme(session: Session, data: SchemeIn, *, actor: Actor) -> Scheme:
    actor.require(Perm.ASSESSMENT_WRITE)
    items = _validate(data)
    if repository.scheme_versions(session, data.code):
        raise Conflict(f"考核方案编码 {data.code} 已存在", code="scheme_code_taken")
    scheme = repository.add_scheme(
        session,
        Scheme(
            code=data.code,
            version=1,
            name=data.name.strip(),
            target_type=data.target_type,
            items=[i.as_dict() for i in items],
            description=data.description,
            is_active=data.is_active,
            is_current=True,
            updated_by=actor.username,
        ),
    )
    audit.record(
        session,
        actor=actor,
        action="assessment.scheme_create",
        object_type="assessment_scheme",
        object_id=scheme.code,
        summary=f"新建考核方案 {scheme.name}（{TARGET_LABELS[scheme.target_type]}）",
        details={"version": 1, "items": scheme.items},
    )
    return scheme


def update_scheme(session: Session, code: str, data: SchemeIn, *, actor: Actor) -> Scheme:
    """Change a scheme. A version that frozen snapshots used is kept as it was and a new
    version is made; otherwise the version is changed in place."""
    actor.require(Perm.ASSESSMENT_WRITE)
    current = get_scheme(session, code, actor=actor)
    if data.code != code:
        raise InvalidInput("方案编码不能修改", code="scheme_code_fixed")
    items = _validate(data)
    if data.target_type != current.target_type and repository.snapshot_count(
        session, [s.id for s in repository.scheme_versions(session, code)]
    ):
        raise InvalidInput("已有冻结考核结果的方案不能改变考核对象类型", code="target_type_fixed")
    values = {
        "name": data.name.strip(),
        "target_type": data.target_type,
        "items": [i.as_dict() for i in items],
        "description": data.description,
        "is_active": data.is_active,
        "updated_at": now(),
        "updated_by": actor.username,
    }
    if repository.snapshot_count(session, [current.id]):
        repository.update_scheme_retired(session, current.id)
        session.expire(current)
        scheme = repository.add_scheme(
            session, Scheme(code=code, version=current.version + 1, is_current=True, **values)
        )
    else:
        for key, value in values.items():
            setattr(current, key, value)
        scheme = current
        session.flush()
    audit.record(
        session,
        actor=actor,
        action="assessment.scheme_update",
        object_type="assessment_scheme",
        object_id=code,
        summary=f"修改考核方案 {scheme.name}（版本 {scheme.version}）",
        details={"version": scheme.version, "items": scheme.items},
    )
    return scheme


def delete_scheme(session: Session, code: str, *, actor: Actor) -> None:
    actor.require(Perm.ASSESSMENT_WRITE)
    scheme = get_scheme(session, code, actor=actor)
    versions = repository.scheme_versions(session, code)
    if repository.snapshot_count(session, [s.id for s in versions]):
        raise Conflict(
            "该方案已有冻结的月度考核结果，不能删除；可改为停用", code="scheme_has_snapshots"
        )
    repository.delete_scheme_versions(session, code)
    audit.record(
        session,
        actor=actor,
        action="assessment.scheme_delete",
        object_type="assessment_scheme",
        object_id=code,
        summary=f"删除考核方案 {scheme.name}",
    )


def _linear(indicator: str, weight: float, floor: float, target: float) -> dict[str, Any]:
    return Item(indicator, weight, "linear", floor, target).as_dict()


def _rank(indicator: str, weight: float) -> dict[str, Any]:
    return Item(indicator, weight, "rank").as_dict()


DEFAULT_SCHEMES: tuple[tuple[str, str, str, list[dict[str, Any]]], ...] = (
    (
        "worker_monthly",
        "网格员月度考核",
        "worker",
        [
            _rank("events_reported", 20),
            _linear("self_settle_rate", 15, 0, 60),
            _linear("closure_rate", 10, 50, 100),
            _linear("patrol_hours", 20, 0, 60),
            _linear("grid_coverage", 15, 0, 60),
            _linear("visits", 20, 0, 30),
        ],
    ),
    (
        "grid_monthly",
        "网格月度考核",
        "grid",
        [
            _linear("closure_rate", 25, 60, 100),
            _linear("on_time_rate", 25, 60, 100),
            _linear("self_settle_rate", 15, 0, 50),
            _linear("satisfaction", 15, 60, 100),
            _linear("grid_coverage", 10, 0, 60),
            _rank("visits", 10),
        ],
    ),
    (
        "community_monthly",
        "社区月度考核",
        "community",
        [
            _linear("closure_rate", 25, 60, 100),
            _linear("on_time_rate", 25, 60, 100),
            _linear("satisfaction", 15, 60, 100),
            _linear("grid_settle_rate", 15, 0, 60),
            _linear("rework_rate", 10, 20, 0),
            _rank("patrol_hours", 10),
        ],
    ),
    (
        "street_monthly",
        "镇街月度考核",
        "street",
        [
            _linear("closure_rate", 25, 60, 100),
            _linear("on_time_rate", 25, 60, 100),
            _linear("satisfaction", 20, 60, 100),
            _linear("rework_rate", 10, 20, 0),
            _linear("avg_handling_hours", 10, 168, 24),
            _rank("overdue_open", 10),
        ],
    ),
    (
        "department_monthly",
        "区直部门月度考核",
        "department",
        [
            _linear("closure_rate", 30, 60, 100),
            _linear("on_time_rate", 30, 60, 100),
            _linear("satisfaction", 20, 60, 100),
            _linear("rework_rate", 10, 20, 0),
            _linear("avg_handling_hours", 10, 168, 24),
        ],
    ),
)


def install_defaults(session: Session, *, actor: Actor) -> list[Scheme]:
    """The shipped schemes, one per target type; those whose code exists are left alone."""
    actor.require(Perm.ASSESSMENT_WRITE)
    made = []
    for code, name, target_type, items in DEFAULT_SCHEMES:
        if repository.scheme_versions(session, code):
            continue
        scheme = repository.add_scheme(
            session,
            Scheme(
                code=code,
                version=1,
                name=name,
                target_type=target_type,
                items=items,
                description="系统预置方案，可按需调整权重与目标值。",
                is_active=True,
                is_current=True,
                updated_by=actor.username,
            ),
        )
        made.append(scheme)
    if made:
        audit.record(
            session,
            actor=actor,
            action="assessment.defaults",
            object_type="assessment_scheme",
            object_id="defaults",
            summary=f"安装预置考核方案 {len(made)} 个",
            details={"codes": [s.code for s in made]},
        )
    return made


def _scheme_for(session: Session, scheme_code: str | None, target_type: str | None) -> Scheme:
    if scheme_code:
        scheme = repository.current_scheme(session, scheme_code)
        if scheme is None:
            raise NotFound(f"考核方案 {scheme_code} 不存在", code="scheme_not_found")
        if target_type and scheme.target_type != target_type:
            raise InvalidInput(
                f"方案 {scheme.name} 考核的是{TARGET_LABELS[scheme.target_type]}",
                code="scheme_target_mismatch",
            )
        return scheme
    wanted = target_type or "street"
    if wanted not in TARGET_TYPES:
        raise InvalidInput(f"考核对象类型应为 {'、'.join(TARGET_TYPES)} 之一", code="bad_target")
    found = [s for s in repository.current_schemes(session, target_type=wanted) if s.is_active]
    if not found:
        raise NotFound(f"没有启用的{TARGET_LABELS[wanted]}考核方案", code="scheme_not_found")
    return found[0]


# =============================================================================================
# Computing scores
# =============================================================================================


@dataclass
class ScorePart:
    indicator_code: str
    value: float | None
    weight: float
    points: float | None
    numerator: float | None = None
    denominator: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator_code,
            "value": self.value,
            "weight": self.weight,
            "points": self.points,
            "numerator": self.numerator,
            "denominator": self.denominator,
        }


@dataclass
class ScoreRow:
    rank: int
    target_key: str
    target_label: str
    score: float
    parts: list[ScorePart]
    region_path: str = ""
    department_id: int | None = None


@dataclass
class ScoreBoard:
    scheme_code: str
    scheme_name: str
    scheme_version: int
    target_type: str
    month: date
    frozen: bool
    rows: list[ScoreRow]
    items: list[Item]
    first: date
    last: date
    frozen_at: datetime | None = None
    area_name: str = ""


@dataclass
class _Target:
    key: str
    label: str
    region_path: str
    department_id: int | None = None
    # Only for workers: the user id.
    user_id: int | None = None


@dataclass
class _Context:
    session: Session
    actor: Actor
    area: analytics.Area
    first: date
    last: date
    region_code: str | None
    _workers: list[workers.AssignedWorker] | None = None
    _work: dict[int, dict[str, float]] | None = None
    _cases: dict[str, dict[int, float]] = field(default_factory=dict)
    # Field work per (first, last, worker ids), shared by the schemes of one freezing run.
    shared: dict[Any, Any] = field(default_factory=dict)

    @property
    def query(self) -> analytics.Query:
        return analytics.Query(self.region_code, self.first, self.last)

    def in_area(self, path: str) -> bool:
        return any(path.startswith(node) for node in self.area.nodes)

    def workers(self) -> list[workers.AssignedWorker]:
        if self._workers is None:
            self.actor.require(Perm.WORKERS_READ)
            found = workers.assigned_workers(self.session, actor=self.actor)
            self._workers = [w for w in found if any(self.in_area(p) for p in w.grid_paths)]
        return self._workers

    def work(self) -> dict[int, dict[str, float]]:
        """Each worker's field-work counters over the period."""
        if self._work is None:
            ids = [w.user_id for w in self.workers()]
            key = (self.first, self.last, tuple(ids))
            if key not in self.shared:
                self.shared[key] = work_counters(
                    self.session, ids, self.first, self.last, actor=self.actor
                )
            self._work = self.shared[key]
        return self._work

    def reporter_counter(self, counter: str) -> dict[int, float]:
        """A case counter per reporting worker (their own reported cases)."""
        if counter not in self._cases:
            ids = [w.user_id for w in self.workers()]
            rows = facts.reported_by(self.session, self.case_query(counter), ids, actor=self.actor)
            sums: dict[int, float] = defaultdict(float)
            value = COUNTERS[counter].value
            for reporter, _id, created, closed in rows:
                if value == "handling_seconds":
                    sums[reporter] += int((closed - created).total_seconds()) if closed else 0
                else:
                    sums[reporter] += 1
            self._cases[counter] = dict(sums)
        return self._cases[counter]

    def case_query(self, counter: str) -> CaseQuery:
        spec = COUNTERS[counter]
        start, end = _bounds(self.first, self.last)
        return CaseQuery(
            anchor=spec.anchor.value,
            start=start,
            end=end,
            where=spec.where,
            region_paths=self.area.nodes,
        )


WORK_COUNTER_NAMES = (
    "patrol_seconds",
    "patrol_distance_m",
    "patrol_days",
    "coverage_sum",
    "patrols_covered",
    "visits",
    "tasks_done",
)


def work_counters(
    session: Session, user_ids: Sequence[int], first: date, last: date, *, actor: Actor
) -> dict[int, dict[str, float]]:
    """Patrol seconds, distance, days and coverage (the patrols' stored figures), visits and
    tasks done per worker over local days [first, last]."""
    ids = list(user_ids)
    result = {u: dict.fromkeys(WORK_COUNTER_NAMES, 0.0) for u in ids}
    if not ids:
        return result
    days: dict[int, set[date]] = defaultdict(set)
    for f in patrol.stored_figures(session, ids, first, last, actor=actor):
        sums = result[f.user_id]
        sums["patrol_seconds"] += f.duration_s
        sums["patrol_distance_m"] += f.distance_m
        days[f.user_id].add(f.day)
        if not f.open and f.coverage is not None:
            sums["coverage_sum"] += 100.0 * f.coverage
            sums["patrols_covered"] += 1
    for user_id, seen in days.items():
        result[user_id]["patrol_days"] = float(len(seen))
    start, end = _bounds(first, last)
    for user_id, n in visits.count_by_user_day(session, ids, start, end, actor=actor).items():
        result[user_id]["visits"] += n
    for user_id, n in tasks.count_done_by_user_day(session, ids, start, end, actor=actor).items():
        result[user_id]["tasks_done"] += n
    return result


def _region_targets(ctx: _Context, level: str) -> list[_Target]:
    if analytics.TARGETS[level] > ctx.area.up:
        raise InvalidInput(f"所选区域之下没有{TARGET_LABELS[level]}可考核", code="bad_target")
    found: list[_Target] = []
    page = 1
    while True:
        rows, total = regions.list_regions(
            ctx.session, actor=ctx.actor, level=level, page=PageParams(page=page, page_size=500)
        )
        found += [_Target(r.code, r.name, r.path) for r in rows if ctx.in_area(r.path)]
        if page * 500 >= total or not rows:
            break
        page += 1
    return found


def _targets(ctx: _Context, target_type: str, items: Sequence[Item]) -> list[_Target]:
    if target_type in REGION_TARGETS:
        return _region_targets(ctx, target_type)
    if target_type == "worker":
        return [
            _Target(str(w.user_id), w.name, w.grid_paths[0], user_id=w.user_id)
            for w in ctx.workers()
        ]
    # Departments: those with any figure in the area and period. A department works for the
    # whole district, so its board is read at district level only (as frozen rows are).
    if ctx.area.up < DISTRICT_UP:
        raise InvalidInput(
            "部门考核按全区统计，只能在区级查看（不能限定到镇街、社区或网格）",
            code="department_board_district_only",
        )
    keys: set[int] = set()
    for item in items:
        if BY_CODE[item.indicator].source == "case":
            ranked = analytics.ranking(
                ctx.session, item.indicator, "department", ctx.query, actor=ctx.actor
            )
            keys |= {int(r.key) for r in ranked}
    names = orgs.names_of(ctx.session, sorted(keys))
    root = ctx.area.nodes[0]
    return [_Target(str(k), names.get(k, str(k)), root, department_id=k) for k in sorted(keys)]


def _values(
    ctx: _Context, target_type: str, indicator: AssessmentIndicator, targets: Sequence[_Target]
) -> dict[str, tuple[float | None, float | None, float | None]]:
    """(value, numerator, denominator) of one indicator for every target."""
    out: dict[str, tuple[float | None, float | None, float | None]] = {}
    if indicator.source == "case" and target_type != "worker":
        ranked = {
            r.key: r.value
            for r in analytics.ranking(
                ctx.session, indicator.code, target_type, ctx.query, actor=ctx.actor
            )
        }
        for t in targets:
            v = ranked.get(t.key)
            if v is None:
                sums: dict[str, float] = {}
                out[t.key] = (value_of(indicator, sums), 0, 0 if indicator.denominator else None)
            else:
                out[t.key] = (v.value, v.numerator, v.denominator)
        return out
    if indicator.source == "case":
        per_counter = {c: ctx.reporter_counter(c) for c in _counters_of(indicator)}
        per_target = {
            t.key: {c: per_counter[c].get(t.user_id or 0, 0.0) for c in per_counter}
            for t in targets
        }
    else:
        work = ctx.work()
        if target_type == "worker":
            per_target = {t.key: work.get(t.user_id or 0, {}) for t in targets}
        else:
            per_target = _work_by_region(ctx, targets, work)
    for t in targets:
        sums = per_target.get(t.key, {})
        out[t.key] = (
            value_of(indicator, sums),
            sums.get(indicator.numerator, 0.0),
            sums.get(indicator.denominator, 0.0) if indicator.denominator else None,
        )
    return out


def _counters_of(indicator: AssessmentIndicator) -> tuple[str, ...]:
    return (indicator.numerator,) + ((indicator.denominator,) if indicator.denominator else ())


def _work_by_region(
    ctx: _Context, targets: Sequence[_Target], work: dict[int, dict[str, float]]
) -> dict[str, dict[str, float]]:
    """Field work summed per region: each worker counts in the region of their first grid."""
    sums: dict[str, dict[str, float]] = {}
    for t in targets:
        total: dict[str, float] = defaultdict(float)
        for w in ctx.workers():
            if w.grid_paths[0].startswith(t.region_path):
                for name, value in work.get(w.user_id, {}).items():
                    total[name] += value
        sums[t.key] = dict(total)
    return sums


def _rank_rows(rows: list[ScoreRow]) -> list[ScoreRow]:
    rows.sort(key=lambda r: (-r.score, r.target_key))
    previous: float | None = None
    for n, row in enumerate(rows, start=1):
        row.rank = rows[n - 2].rank if previous == row.score else n
        previous = row.score
    return rows


def compute(
    session: Session,
    scheme: Scheme,
    month: date,
    *,
    actor: Actor,
    region_code: str | None = None,
    shared: dict[Any, Any] | None = None,
) -> tuple[list[ScoreRow], date, date, str]:
    """Every target's parts, points, weighted score and rank for the month (live)."""
    first, last = _month_days(month)
    if first > last:
        raise InvalidInput("该月尚未开始", code="month_not_started")
    ctx = _Context(
        session,
        actor,
        analytics.area(session, region_code, actor=actor),
        first,
        last,
        region_code,
        shared=shared if shared is not None else {},
    )
    items = _items(scheme)
    targets = _targets(ctx, scheme.target_type, items)
    keys = [t.key for t in targets]
    parts: dict[str, list[ScorePart]] = {k: [] for k in keys}
    for item in items:
        indicator = BY_CODE[item.indicator]
        values = _values(ctx, scheme.target_type, indicator, targets)
        points = item_points(item, {k: values[k][0] for k in keys})
        for k in keys:
            value, numerator, denominator = values[k]
            parts[k].append(
                ScorePart(item.indicator, value, item.weight, points[k], numerator, denominator)
            )
    rows = [
        ScoreRow(
            0,
            t.key,
            t.label,
            weighted_score([(p.weight, p.points) for p in parts[t.key]]),
            parts[t.key],
            t.region_path,
            t.department_id,
        )
        for t in targets
    ]
    return _rank_rows(rows), first, last, ctx.area.name


def scores(
    session: Session,
    *,
    actor: Actor,
    scheme_code: str | None = None,
    target_type: str | None = None,
    month: date,
    region_code: str | None = None,
) -> ScoreBoard:
    """The month's board of a scheme: read from its frozen snapshot when the month is frozen
    (never recomputed), otherwise computed now over the reader's area."""
    _require_reader(actor)
    scheme = _scheme_for(session, scheme_code, target_type)
    month = month.replace(day=1)
    if month > this_month():
        raise InvalidInput("不能查看未来月份的考核", code="month_in_future")
    snapshot = repository.snapshot_for(session, scheme.code, month)
    if snapshot is not None:
        return _frozen_board(session, snapshot, actor=actor, region_code=region_code)
    rows, first, last, area_name = compute(
        session, scheme, month, actor=actor, region_code=region_code
    )
    return ScoreBoard(
        scheme.code,
        scheme.name,
        scheme.version,
        scheme.target_type,
        month,
        False,
        rows,
        _items(scheme),
        first,
        last,
        area_name=area_name,
    )


def _frozen_board(
    session: Session, snapshot: Snapshot, *, actor: Actor, region_code: str | None
) -> ScoreBoard:
    scheme = repository.scheme_by_id(session, snapshot.scheme_id)
    assert scheme is not None
    region_path = None
    area_name = "全部"
    if region_code:
        region = regions.get_region(session, region_code, actor=actor)
        region_path, area_name = region.path, region.name
    found = repository.frozen_scores(session, actor.scope, snapshot.id, region_path=region_path)
    first, _ = _month_days(snapshot.month)
    rows = [_row_of(s) for s in found]
    return ScoreBoard(
        scheme.code,
        scheme.name,
        scheme.version,
        snapshot.target_type,
        snapshot.month,
        True,
        rows,
        _items(scheme),
        first,
        next_month(snapshot.month) - timedelta(days=1),
        frozen_at=snapshot.frozen_at,
        area_name=area_name,
    )


def _row_of(score: Score) -> ScoreRow:
    return ScoreRow(
        score.rank,
        score.target_key,
        score.target_label,
        score.score,
        [
            ScorePart(
                p["indicator"],
                p["value"],
                p["weight"],
                p["points"],
                p.get("numerator"),
                p.get("denominator"),
            )
            for p in score.parts
        ],
        score.region_path,
        score.department_id,
    )


# =============================================================================================
# Freezing
# =============================================================================================


@dataclass
class Frozen:
    snapshot: Snapshot
    created: bool


def freeze(
    session: Session,
    scheme_code: str,
    month: date,
    *,
    actor: Actor,
    shared: dict[Any, Any] | None = None,
) -> Frozen:
    """Freeze a finished month of a scheme: compute it once over the whole territory and keep
    the rows. Freezing a frozen month returns the snapshot as it is."""
    actor.require(Perm.ASSESSMENT_WRITE)
    scheme = repository.current_scheme(session, scheme_code)
    if scheme is None:
        raise NotFound(f"考核方案 {scheme_code} 不存在", code="scheme_not_found")
    month = month.replace(day=1)
    if month >= this_month():
        raise InvalidInput("只能冻结已经结束的月份", code="month_not_over")
    existing = repository.snapshot_for(session, scheme.code, month)
    if existing is not None:
        return Frozen(existing, False)
    platform = Actor.system(SYSTEM)
    rows, _, _, _ = compute(session, scheme, month, actor=platform, shared=shared)
    snapshot = repository.add_snapshot(
        session,
        Snapshot(
            scheme_id=scheme.id,
            scheme_code=scheme.code,
            month=month,
            target_type=scheme.target_type,
            rows=len(rows),
            frozen_at=now(),
            frozen_by=actor.username,
        ),
        [
            {
                "target_key": r.target_key,
                "target_label": r.target_label,
                "region_path": r.region_path,
                "department_id": r.department_id,
                "rank": r.rank,
                "score": r.score,
                "parts": [p.as_dict() for p in r.parts],
            }
            for r in rows
        ],
    )
    audit.record(
        session,
        actor=actor,
        action="assessment.freeze",
        object_type="assessment_snapshot",
        object_id=snapshot.id,
        summary=f"冻结 {month:%Y-%m} {scheme.name}（版本 {scheme.version}，{len(rows)} 个对象）",
    )
    return Frozen(snapshot, True)


def list_snapshots(
    session: Session, *, actor: Actor, scheme_code: str | None = None
) -> list[Snapshot]:
    _require_reader(actor)
    return repository.snapshots(session, scheme_code)


def freeze_due(session: Session, *, actor: Actor) -> list[Frozen]:
    """The monthly job: freeze last month for every active scheme not frozen yet."""
    month = previous_month()
    done = []
    shared: dict[Any, Any] = {}
    for scheme in repository.current_schemes(session):
        if scheme.is_active and repository.snapshot_for(session, scheme.code, month) is None:
            done.append(freeze(session, scheme.code, month, actor=actor, shared=shared))
    return done


# =============================================================================================
# Drill-down
# =============================================================================================


@dataclass
class Drill:
    kind: str  # cases | patrols | visits | none
    ids: list[int]
    counter: str
    label: str
    note: str = ""
    link: str | None = None


def drill(
    session: Session,
    *,
    actor: Actor,
    scheme_code: str | None,
    month: date,
    target_key: str,
    indicator: str,
    part: str = "numerator",
    region_code: str | None = None,
) -> Drill:
    """The rows behind one part of a target's score: case ids, patrol ids or visit ids. They
    are read now: for a frozen month they are today's rows behind the figure (a case changed
    after freezing shows here but not in the frozen score)."""
    _require_reader(actor)
    scheme = _scheme_for(session, scheme_code, None)
    spec = BY_CODE.get(indicator)
    if spec is None or indicator not in {i.indicator for i in _items(scheme)}:
        raise NotFound(f"方案中没有指标 {indicator}", code="indicator_not_found")
    if part not in ("numerator", "denominator") or (part == "denominator" and not spec.denominator):
        raise InvalidInput("part 应为 numerator 或 denominator（该指标有分母时）", code="bad_part")
    counter = spec.numerator if part == "numerator" else str(spec.denominator)
    first, last = _month_days(month.replace(day=1))
    label = spec.numerator_label if part == "numerator" else str(spec.denominator_label)
    target = scheme.target_type
    if spec.source == "case" and target in REGION_TARGETS:
        q = analytics.Query(target_key, first, last)
        ids = analytics.case_ids(session, counter, q, actor=actor)
        link = (
            f"/analytics/cases?indicator={indicator}&part={part}&region_code={target_key}"
            f"&start={first}&end={last}"
        )
        return Drill("cases", ids, counter, label, link=link)
    if spec.source == "case" and target == "department":
        q = analytics.Query(region_code, first, last, department_id=_int(target_key))
        return Drill("cases", analytics.case_ids(session, counter, q, actor=actor), counter, label)
    if target != "worker":
        return Drill("none", [], counter, label, note="区域的工作量指标请查看其网格员的考核明细")
    user_id = _int(target_key)
    ctx = _Context(
        session, actor, analytics.area(session, region_code, actor=actor), first, last, region_code
    )
    if user_id not in {w.user_id for w in ctx.workers()}:
        raise NotFound(f"网格员 {target_key} 不存在或不在您的管辖范围内", code="worker_not_found")
    if spec.source == "case":
        rows = facts.reported_by(session, ctx.case_query(counter), [user_id], actor=actor)
        return Drill("cases", [r[1] for r in rows], counter, label)
    if counter.startswith("patrol") or counter == "coverage_sum":
        stored = patrol.stored_figures(session, [user_id], first, last, actor=actor)
        if counter in ("coverage_sum", "patrols_covered"):
            stored = [f for f in stored if not f.open and f.coverage is not None]
        return Drill("patrols", [f.patrol_id for f in stored], counter, label)
    if counter == "visits":
        start, end = _bounds(first, last)
        ids, page = [], 1
        while True:
            found, total = visits.list_visits(
                session,
                actor=actor,
                user_id=user_id,
                visited_from=start,
                visited_to=end,
                page=PageParams(page=page, page_size=500),
            )
            ids += [v.id for v in found]
            if page * 500 >= total or not found:
                break
            page += 1
        return Drill("visits", sorted(ids), counter, label)
    return Drill("none", [], counter, label, note="完成任务数暂无逐条明细")


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise NotFound(f"考核对象 {text} 不存在", code="target_not_found") from None


RULE_TEXT = RULE_LABELS

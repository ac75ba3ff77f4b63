"""Insights (热点与预测): hotspots, high-frequency persons and the volume forecast, read-only,
region-scoped and time-ranged like every analytics figure (the same ``Query``, area and
period resolution, and the same readers).

- **Hotspots**: cases per H3 cell in the period against the same cells over the equal periods
  before it (``hotspots.py`` holds the test); only id, lon, lat and created_at of the window's
  cases are read.
- **Frequent reporters**: citizens (an account, or an anonymous app user's key) and 12345
  callers (by the keyed hash of their phone) who reported at least twice in the period.
  Staff sources are not counted: reporting is their job.
- **Frequently involved persons**: dispute parties (矛盾纠纷当事人) in at least two disputes
  registered in the period, by the mediation feature's party key (registry person, ID-number
  hash, or name with phone hash).
- Every label is masked (masked phone, masked ID number, surname with asterisks) and every key
  is an opaque digest: nothing here reveals a person; revealing stays with the registry.
- **Forecast**: the analytics daily rollups (``analytics.services.trend``) of the history
  window, then ``forecasting.forecast``.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.analytics import services as analytics
from gridgov.analytics.services import Area, Period, Query
from gridgov.config import get_settings
from gridgov.events.models import Source
from gridgov.insights import forecasting, repository
from gridgov.insights import hotspots as spots
from gridgov.insights.forecasting import ForecastPoint
from gridgov.insights.repository import CaseFilter
from gridgov.kit.crypto import mask_id_number
from gridgov.kit.errors import InvalidInput

__all__ = ["ForecastPoint"]

MAX_BASELINE_PERIODS = 12
# Longest window read for hotspots (the period and its baseline together).
MAX_HOTSPOT_WINDOW_DAYS = 1_500
REPORTER_SOURCES = (Source.CITIZEN.value, Source.HOTLINE.value)
MIN_REPEATS = 2
MAX_LIMIT = 100
CASES_PER_PERSON = 100
HISTORY_DAYS = 182
MAX_HISTORY_DAYS = analytics.MAX_DAY_POINTS
MAX_HORIZON = 90


def _zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def _utc(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), _zone()).astimezone(UTC)


def _filter(where: Area, first: date, after_last: date, q: Query) -> CaseFilter:
    if q.source is not None and q.source not in {s.value for s in Source}:
        raise InvalidInput(f"未知的来源：{q.source}", code="bad_source")
    return CaseFilter(
        start=_utc(first),
        end=_utc(after_last),
        region_paths=where.nodes,
        category_code=q.category_code or None,
        source=q.source or None,
        department_id=q.department_id,
    )


def _opaque(identity: str) -> str:
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def _mask_name(name: str) -> str:
    """The surname and asterisks: 张三丰 → 张**."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


# =============================================================================================
# Hotspots
# =============================================================================================


class _Baselines:
    """A small in-process LRU of baseline counts per cell, each kept ``BASELINE_TTL``."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, tuple[float, Counter[int]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Counter[int] | None:
        with self._lock:
            found = self._items.get(key)
            if found is None or time.monotonic() - found[0] > BASELINE_TTL:
                return None
            self._items.move_to_end(key)
            return found[1]

    def put(self, key: Hashable, counts: Counter[int]) -> None:
        with self._lock:
            self._items[key] = (time.monotonic(), counts)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


BASELINE_TTL = 3_600.0
_BASELINES = _Baselines(256)


@dataclass
class Hotspot:
    cell: str
    lon: float
    lat: float
    count: int
    baseline: float  # mean cases per baseline period
    z: float
    event_ids: list[int]  # a sample, newest first
    expected: float = 0.0  # what the test expected (smoothed, scaled by the area's change)
    p_value: float = 1.0
    boundary: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class HotspotReport:
    area: Area
    period: Period
    resolution: int
    baseline_periods: int
    baseline_first: date
    cells: list[Hotspot]
    tested: int
    current_total: int
    baseline_total: float
    scale: float


def hotspot_report(
    session: Session,
    q: Query,
    *,
    actor: Actor,
    resolution: int = spots.DEFAULT_RESOLUTION,
    baseline_periods: int = spots.DEFAULT_BASELINE_PERIODS,
    min_count: int = spots.DEFAULT_MIN_COUNT,
    boundary: bool = False,
) -> HotspotReport:
    """The hotspot cells of the area and period, with what they were tested against."""
    if resolution not in spots.RESOLUTIONS:
        raise InvalidInput("H3 分辨率应为 7、8 或 9", code="bad_resolution")
    if not 1 <= baseline_periods <= MAX_BASELINE_PERIODS:
        raise InvalidInput(f"基线期数应为 1–{MAX_BASELINE_PERIODS}", code="bad_baseline_periods")
    if min_count < 1:
        raise InvalidInput("最少案件数至少为 1", code="bad_min_count")
    where = analytics.area(session, q.region_code, actor=actor)
    p = analytics.period(q.start, q.end)
    if p.days * (baseline_periods + 1) > MAX_HOTSPOT_WINDOW_DAYS:
        raise InvalidInput(
            f"时段 × (基线期数 + 1) 最长 {MAX_HOTSPOT_WINDOW_DAYS} 天", code="period_too_long"
        )
    baseline_first = p.first - timedelta(days=p.days * baseline_periods)
    f = _filter(where, baseline_first, p.last + timedelta(days=1), q)
    # The baseline lies in the past: its counts per cell are kept for a while, so the next
    # question over the same window reads the period's cases only.
    key = (
        str(session.connection().engine.url),
        actor.scope,
        replace(f, end=_utc(p.first)),
        resolution,
    )
    before = _BASELINES.get(key)
    if before is None:
        rows = repository.case_points(session, actor.scope, f, _utc(p.first))
    else:
        rows = repository.case_points(
            session, actor.scope, replace(f, start=_utc(p.first)), f.start
        )
    found = spots.detect_rows(
        rows,
        resolution=resolution,
        baseline_periods=baseline_periods,
        min_count=min_count,
        boundary=boundary,
        before=before,
    )
    if before is None and p.first <= analytics.today():
        _BASELINES.put(key, found.before)
    cells = [
        Hotspot(
            c.cell,
            c.lon,
            c.lat,
            c.count,
            c.baseline,
            c.z,
            c.event_ids,
            c.expected,
            c.p_value,
            c.boundary,
        )
        for c in found.cells
    ]
    return HotspotReport(
        where,
        p,
        resolution,
        baseline_periods,
        baseline_first,
        cells,
        found.tested,
        found.current_total,
        found.baseline_total,
        found.scale,
    )


def hotspots(
    session: Session, q: Query, *, actor: Actor, resolution: int = spots.DEFAULT_RESOLUTION
) -> list[Hotspot]:
    return hotspot_report(session, q, actor=actor, resolution=resolution).cells


# =============================================================================================
# High-frequency persons
# =============================================================================================


@dataclass
class FrequentPerson:
    key: str  # opaque
    label: str  # masked
    count: int
    last_at: datetime
    categories: list[str]  # event category codes or dispute types, most frequent first
    kind: str = "reporter"  # reporter: a citizen or caller; involved: a dispute party
    channel: str = ""  # citizen, hotline, anonymous, dispute
    case_type: str = "event"  # what case_ids name: event or dispute
    case_ids: list[int] = field(default_factory=list)  # newest first, at most 100


@dataclass
class _Tally:
    label: str
    channel: str
    ids: list[int] = field(default_factory=list)
    categories: Counter[str] = field(default_factory=Counter)
    last_at: datetime | None = None

    def add(self, case_id: int, category: str, at: datetime) -> None:
        self.ids.append(case_id)
        self.categories[category] += 1
        if self.last_at is None or at > self.last_at:
            self.last_at = at


def _ranked(
    tallies: dict[str, _Tally], kind: str, case_type: str, limit: int
) -> list[FrequentPerson]:
    rows = [
        FrequentPerson(
            key=_opaque(identity),
            label=t.label,
            count=len(set(t.ids)),
            last_at=t.last_at,
            categories=[c for c, _ in t.categories.most_common()],
            kind=kind,
            channel=t.channel,
            case_type=case_type,
            case_ids=sorted(set(t.ids), reverse=True)[:CASES_PER_PERSON],
        )
        for identity, t in tallies.items()
        if t.last_at is not None and len(set(t.ids)) >= MIN_REPEATS
    ]
    rows.sort(key=lambda r: (-r.count, -r.last_at.timestamp(), r.key))
    return rows[:limit]


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"条数应为 1–{MAX_LIMIT}", code="bad_limit")


def frequent_reporters(
    session: Session, q: Query, *, actor: Actor, limit: int = 10
) -> list[FrequentPerson]:
    """Citizens and 12345 callers who reported at least twice in the period, most first."""
    _check_limit(limit)
    where = analytics.area(session, q.region_code, actor=actor)
    p = analytics.period(q.start, q.end)
    f = _filter(where, p.first, p.last + timedelta(days=1), q)
    # Counted per reporter in the database; only the top ones' cases are then read.
    totals: dict[str, list[Any]] = {}  # identity -> [channel, cases, last_at, user id]
    for source, reporter_id, reporter_key, phone_hash, cases, last_at in repository.reporter_counts(
        session, actor.scope, f, REPORTER_SOURCES
    ):
        if source == Source.HOTLINE.value:
            if not phone_hash:
                continue  # entered by the center with no caller: not a person's report
            identity, channel = f"tel:{phone_hash}", "hotline"
        elif reporter_id is not None:
            identity, channel = f"user:{reporter_id}", "citizen"
        else:
            identity, channel = f"key:{reporter_key}", "anonymous"
        entry = totals.setdefault(identity, [channel, 0, last_at, reporter_id])
        entry[1] += int(cases)
        entry[2] = max(entry[2], last_at)
    ranked = sorted(
        ((k, v) for k, v in totals.items() if v[1] >= MIN_REPEATS),
        key=lambda kv: (-kv[1][1], -kv[1][2].timestamp(), _opaque(kv[0])),
    )[:limit]
    if not ranked:
        return []
    keys = {
        f"user:{v[3]}" if v[0] == "citizen" else k.removeprefix("key:"): k
        for k, v in ranked
        if v[0] != "hotline"
    }
    phones = {k.removeprefix("tel:"): k for k, v in ranked if v[0] == "hotline"}
    tallies = {k: _Tally("", v[0], last_at=v[2]) for k, v in ranked}
    first_call: dict[str, int] = {}
    for event_id, source, reporter_key, phone_hash, category in repository.reporter_cases(
        session,
        actor.scope,
        f,
        reporter_keys=list(keys),
        phone_hashes=list(phones),
        sources=REPORTER_SOURCES,
    ):
        who = phones.get(phone_hash) if source == Source.HOTLINE.value else keys.get(reporter_key)
        if who is None:
            continue
        tallies[who].ids.append(int(event_id))
        tallies[who].categories[str(category)] += 1
        if source == Source.HOTLINE.value:
            first_call.setdefault(who, int(event_id))
    masks = repository.hotline_masks(session, actor.scope, f, list(first_call.values()))
    labels = repository.reporter_labels(
        session, [int(v[3]) for _, v in ranked if v[0] == "citizen"]
    )
    for identity, tally in tallies.items():
        if tally.channel == "hotline":
            tally.label = f"来电 {masks.get(first_call.get(identity, 0), '***')}"
        elif tally.channel == "citizen":
            phone, name = labels.get(int(identity.removeprefix("user:")), ("", ""))
            tally.label = f"市民 {phone}" if phone else f"市民 {_mask_name(name) or '***'}"
        else:
            tally.label = f"匿名用户 #{_opaque(identity)[:6]}"
    return _ranked(tallies, "reporter", "event", limit)


def frequent_involved(
    session: Session, q: Query, *, actor: Actor, limit: int = 10
) -> list[FrequentPerson]:
    """Dispute parties involved in at least two disputes registered in the period."""
    _check_limit(limit)
    actor.require(Perm.DISPUTES_READ)
    where = analytics.area(session, q.region_code, actor=actor)
    p = analytics.period(q.start, q.end)
    rows = repository.party_rows(
        session,
        actor.scope,
        start=_utc(p.first),
        end=_utc(p.last + timedelta(days=1)),
        region_paths=where.nodes,
    )
    tallies: dict[str, _Tally] = {}
    for dispute_id, party_key, name, id_masked, phone_masked, kind, created in rows:
        identity = f"party:{party_key}"
        tally = tallies.get(identity)
        if tally is None:
            detail = id_masked or phone_masked or ""
            if id_masked and "*" not in id_masked:
                detail = mask_id_number(id_masked)  # never trust a mask to be one
            label = " ".join(part for part in (_mask_name(str(name or "")), detail) if part)
            tally = tallies[identity] = _Tally(label or "当事人", "dispute")
        if int(dispute_id) not in tally.ids:
            tally.add(int(dispute_id), str(kind), created)
    return _ranked(tallies, "involved", "dispute", limit)


# =============================================================================================
# Forecast
# =============================================================================================


@dataclass
class Forecast:
    history: list[tuple[date, int]]
    points: list[ForecastPoint]
    method: str
    mape_backtest: float | None
    level: float = 0.8
    horizon: int = 7
    area: Area | None = None
    as_of: datetime | None = None
    note: str = ""


def forecast(
    session: Session, q: Query, *, actor: Actor, horizon: int = 7, level: float = 0.8
) -> Forecast:
    """Daily reported cases of the area (and filters) for the ``horizon`` days after the
    history, with an interval at ``level``. The history ends at ``q.end`` or yesterday (the
    last whole day) and starts at ``q.start`` or 182 days before its end."""
    if not 1 <= horizon <= MAX_HORIZON:
        raise InvalidInput(f"预测天数应为 1–{MAX_HORIZON}", code="bad_horizon")
    if level not in forecasting.LEVELS:
        raise InvalidInput("预测区间应为 0.8 或 0.95", code="bad_level")
    where = analytics.area(session, q.region_code, actor=actor)
    yesterday = analytics.today() - timedelta(days=1)
    last = min(q.end, yesterday) if q.end else yesterday
    first = q.start or last - timedelta(days=HISTORY_DAYS - 1)
    if first > last:
        raise InvalidInput("开始日期晚于预测起点", code="bad_period")
    if (last - first).days + 1 > MAX_HISTORY_DAYS:
        raise InvalidInput(f"历史最长 {MAX_HISTORY_DAYS} 天", code="period_too_long")
    window = Query(q.region_code, first, last, q.category_code, q.source, q.department_id)
    points = analytics.trend(session, window, "day", actor=actor)
    history = [(pt.first, pt.counters["reported"]) for pt in points]
    result = forecasting.forecast(history, horizon, level=level)
    note = ""
    if not any(v for _, v in history):
        note = "所选区域和时段没有案件，无法预测（预测值为 0）"
    elif result.method == forecasting.FALLBACK:
        note = "历史不足 14 天，按近期日均值预测"
    return Forecast(
        history,
        result.points,
        result.method,
        result.mape_backtest,
        level,
        horizon,
        where,
        analytics.as_of(session),
        note,
    )

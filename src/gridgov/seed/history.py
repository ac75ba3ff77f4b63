"""Three years of case history for the demo: 300,000 cases in the district tier.

What a district's records look like after three years of running the platform:

- **when**: yearly seasons per category (rubbish, noise and street stalls peak in summer; gas,
  water and heating faults, icy roads and dark street lights in winter; wage disputes before
  the Spring Festival), fewer staff reports at weekends while citizens report more, the Spring
  Festival and National Day dips, office hours for staff, evenings for citizens, round the
  clock for sensors and (less) the hotline, and a yearly growth as the platform is adopted;
- **what and who**: a skewed category mix (five categories make half the cases) and a source
  mix per category (grid workers the largest share, then citizens and the 12345 hotline,
  departments, communities and streets, and sensors for the kinds sensors see); citizens'
  reports come from a long tail of reporters with a few who report again and again, the demo
  accounts ``citizen1``…``citizen5`` among them;
- **where**: more cases in grids where more people live (residents per grid when the registry
  is seeded, otherwise an uneven draw), at random points inside the grid, with the special
  grids each point lies in;
- **how it went**: a share settled on the spot by grid workers (自办结, some drawn for a spot
  check), some voided or merged into a duplicate, the rest through the loop 受理 → 派遣 → 签收 →
  反馈 → 核查结案 → 评价 with returns, extensions, rework, yellow/red supervision cards, and the
  SLA job's automatic escalation of cases nobody dispatched in time. Handling time is
  log-normal around the category's time limit (in working hours), so about nine cases in ten
  close on time, a little better each year. The cases of the last days are still open, in
  every state.

Unlike ``seed/events.py``, which puts a thousand recent cases through the real services, this
generator writes rows in bulk straight to the database driver (``BulkWriter``): the real
intake costs milliseconds a case. It writes what the services would have written: each
timeline follows the workflow definition stored in the database (every step's from/to state
is looked up in its transitions; a step the definition does not allow stops the seed), the
case fields follow the same rules as ``events.services._after``, and each step is
hash-chained with the workflow engine's own ``step_hash``/``_hashed_fields``, so ``gridgov
audit verify`` checks these timelines like any other. Deadlines use the working calendar,
precomputed per day (``WorkingClock``). What the history does not invent: fields a transition
requires that need other rows (a photo for 自办结), assisting departments, notifications.

The same seed and the same "now" give the same history.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from operator import itemgetter
from statistics import NormalDist
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import shapely
from sqlalchemy import JSON, Table, func, select, text
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.models import GridAssignment, User
from gridgov.accounts.permissions import Role
from gridgov.config import Settings
from gridgov.db import UTCDateTime
from gridgov.events import search
from gridgov.events import services as events
from gridgov.events.catalog import DEFAULT_WORKFLOW
from gridgov.events.models import Event, Level, Source
from gridgov.kit.calendar import WorkCalendar
from gridgov.kit.clock import now
from gridgov.orgs.models import Organisation, OrgKind
from gridgov.registry.models import Person
from gridgov.seed.context import SeedContext, Tier
from gridgov.workflow import services as workflow
from gridgov.workflow.definition import SAME
from gridgov.workflow.models import WorkflowInstance, WorkflowStep

# The city tier keeps three years too, at a scale one machine seeds in minutes; DESIGN.md's
# five million cases a year is a load for benchmarks, not for a demo seed.
HISTORY_EVENTS = {Tier.DISTRICT: 300_000, Tier.CITY: 1_000_000}
YEARS = 3
CHUNK = 5_000
SQLITE_CACHE_KIB = 131_072
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# ---------------------------------------------------------------------------------------------
# The mix: categories, sources, urgency, texts (simulate.py draws from the same tables)
# ---------------------------------------------------------------------------------------------

# Relative frequency of each leaf category: a few dominate, as in every city's statistics.
CATEGORY_WEIGHTS: dict[str, float] = {
    "0101": 14.0,  # 垃圾堆放
    "0201": 11.0,  # 占道经营
    "0102": 9.0,  # 暴露垃圾
    "0202": 9.0,  # 违章停车
    "0103": 6.0,  # 乱贴乱画
    "0104": 6.0,  # 道路不洁
    "0203": 5.0,  # 噪音扰民
    "0501": 4.0,  # 邻里纠纷
    "0402": 3.5,  # 电动车进楼入梯
    "0204": 3.0,  # 私搭乱建
    "0302": 3.0,  # 路灯不亮
    "0303": 3.0,  # 道路破损
    "0502": 3.0,  # 物业纠纷
    "0401": 2.5,  # 消防通道占用
    "0701": 2.5,  # 大气污染
    "0304": 2.0,  # 供水供气故障
    "0601": 2.0,  # 社会保障
    "0604": 2.0,  # 市场监管
    "9901": 2.0,  # 其他
    "0301": 1.5,  # 井盖破损丢失
    "0503": 1.5,  # 劳资纠纷
    "0602": 1.0,  # 教育服务
    "0603": 1.0,  # 医疗卫生
    "0702": 1.0,  # 水体污染
    "0403": 0.8,  # 危险建筑
    "0404": 0.7,  # 燃气安全
}
DEFAULT_CATEGORY_WEIGHT = 1.0

SOURCES: tuple[Source, ...] = (
    Source.GRID_WORKER,
    Source.CITIZEN,
    Source.HOTLINE,
    Source.DEPARTMENT,
    Source.COMMUNITY,
    Source.STREET,
    Source.SENSOR,
)
# Weights in the order of SOURCES.
_SOURCES_DEFAULT = (52.0, 15.0, 15.0, 7.0, 7.0, 4.0, 0.0)
_SOURCES_DISPUTE = (30.0, 18.0, 30.0, 2.0, 15.0, 5.0, 0.0)
_SOURCES_SERVICE = (15.0, 25.0, 45.0, 5.0, 8.0, 2.0, 0.0)
_SOURCES_NOISE = (20.0, 35.0, 35.0, 2.0, 6.0, 2.0, 0.0)
# Kinds of problem that sensors and video analytics report on their own.
SENSOR_SHARE: dict[str, float] = {
    "0102": 8.0,  # bin fill-level sensors
    "0201": 6.0,  # video analytics: street stalls
    "0202": 12.0,  # video analytics: parking
    "0301": 15.0,  # manhole cover tilt sensors
    "0401": 8.0,  # fire lane cameras
    "0404": 20.0,  # gas detectors
    "0701": 15.0,  # air quality stations
    "0702": 10.0,  # water quality stations
}


def source_weights(category_code: str) -> tuple[float, ...]:
    """Weights of SOURCES for a category."""
    group = category_code[:2]
    if group == "05":
        base = _SOURCES_DISPUTE
    elif group == "06":
        base = _SOURCES_SERVICE
    elif category_code == "0203":
        base = _SOURCES_NOISE
    else:
        base = _SOURCES_DEFAULT
    return (*base[:-1], SENSOR_SHARE.get(category_code, 0.0))


# Shares of normal / urgent / critical cases.
URGENCY_WEIGHTS: dict[str, tuple[float, float, float]] = {
    "0404": (0.40, 0.40, 0.20),
    "0301": (0.60, 0.30, 0.10),
    "0401": (0.70, 0.22, 0.08),
    "0402": (0.70, 0.22, 0.08),
    "0403": (0.60, 0.30, 0.10),
}
DEFAULT_URGENCY = (0.85, 0.12, 0.03)
URGENCIES = ("normal", "urgent", "critical")

# Where a category goes when its default handler is not a department (utilities are
# enterprises; disputes and services have none): the department that supervises it.
DISPATCH_FALLBACK: dict[str, str] = {
    "ent-water": "dept-sw",
    "ent-gas": "dept-zj",
    "ent-power": "dept-zj",
    "ent-telecom": "dept-zj",
    "05": "dept-sf",
    "06": "dept-mz",
    "99": "dept-mz",
}
# Where a department sends back a case it says is not its own ends up instead.
RETURN_TARGETS = ("dept-cg", "dept-zj", "dept-hb", "dept-sj", "dept-mz")


def dispatch_department(category_code: str, default_code: str | None, known: set[str]) -> str:
    """The department code a category's cases are dispatched to, given the departments that
    exist (``known``)."""
    if default_code and default_code in known:
        return default_code
    if default_code and DISPATCH_FALLBACK.get(default_code) in known:
        return DISPATCH_FALLBACK[default_code]
    fallback = DISPATCH_FALLBACK.get(category_code[:2], "dept-cg")
    return fallback if fallback in known else sorted(known)[0]


PHRASES: dict[str, tuple[str, ...]] = {
    "0101": ("路边垃圾堆放未清运", "小区门口建筑垃圾乱倒", "绿化带内垃圾堆放"),
    "0102": ("垃圾桶满溢无人清理", "暴露垃圾散落路面", "垃圾桶周边蚊蝇滋生"),
    "0103": ("墙面小广告乱贴", "电线杆上乱贴小广告", "围墙涂鸦"),
    "0104": ("路面脏污泥土较多", "道路污水横流", "路面积雪结冰未清扫"),
    "0201": ("流动摊贩占道经营", "商铺出店经营占用人行道", "早市摆摊占道"),
    "0202": ("车辆违章停车堵住通道", "人行道上乱停车辆", "小区出入口违停"),
    "0203": ("夜间施工噪音扰民", "广场舞音响噪音扰民", "商铺喇叭噪声扰民"),
    "0204": ("楼顶私搭乱建", "院内违章建筑搭建", "占用绿地违建"),
    "0301": ("井盖破损存在隐患", "雨水井盖丢失", "井盖松动异响"),
    "0302": ("路灯不亮", "多盏路灯夜间不亮", "路灯杆倾斜"),
    "0303": ("路面坑洼破损", "道路塌陷", "人行道地砖破损"),
    "0304": ("自来水管漏水", "小区停水", "供暖管道漏水暖气不热"),
    "0401": ("消防通道被车辆占用", "杂物堵塞消防车道"),
    "0402": ("电动车进楼入梯", "楼道飞线充电"),
    "0403": ("危房墙体开裂", "老旧房屋存在倒塌隐患"),
    "0404": ("疑似燃气泄漏有煤气味", "燃气管道老化存在隐患"),
    "0501": ("邻里纠纷需调解", "邻居因漏水产生纠纷"),
    "0502": ("物业纠纷", "物业费收取争议", "物业不作为"),
    "0503": ("工地拖欠工资", "欠薪求助"),
    "0601": ("咨询社保医保办理", "低保申请求助"),
    "0602": ("咨询学校入学政策", "学校周边教育服务问题"),
    "0603": ("社区医院卫生服务问题", "疫苗接种咨询"),
    "0604": ("超市销售过期食品", "商户价格欺诈投诉"),
    "0701": ("露天焚烧垃圾烟尘", "工地扬尘污染", "餐馆油烟异味"),
    "0702": ("河道漂浮垃圾", "企业偷排污水"),
    "9901": ("其他问题反映", "群众求助"),
}
ASKS = (
    "请尽快处理。",
    "影响居民出行，请相关部门处理。",
    "群众反映强烈，请尽快解决。",
    "已持续多日，请督促整改。",
)


def case_text(
    category_code: str, category_name: str, place: str, rnd: random.Random
) -> tuple[str, str]:
    """A title and description for a case of a category at a place."""
    phrase = rnd.choice(PHRASES.get(category_code, (category_name,)))
    return f"{place}{phrase}", f"{place}附近{phrase}，{rnd.choice(ASKS)}"


# ---------------------------------------------------------------------------------------------
# The calendar of reporting
# ---------------------------------------------------------------------------------------------

# Monthly shapes (January … December), interpolated day by day.
_SUMMER = (0.70, 0.70, 0.85, 1.00, 1.15, 1.30, 1.45, 1.40, 1.15, 1.00, 0.80, 0.70)
_SUMMER_STRONG = (0.55, 0.55, 0.75, 0.95, 1.20, 1.50, 1.75, 1.70, 1.25, 0.95, 0.70, 0.55)
_WINTER = (1.50, 1.35, 1.05, 0.85, 0.70, 0.65, 0.65, 0.65, 0.75, 0.95, 1.25, 1.55)
_WINTER_STRONG = (2.00, 1.60, 1.05, 0.70, 0.55, 0.50, 0.50, 0.50, 0.60, 0.90, 1.60, 2.10)
_RAINY = (0.70, 0.70, 0.85, 0.95, 1.05, 1.30, 1.60, 1.55, 1.10, 0.85, 0.70, 0.70)
_SPRING = (0.70, 0.75, 1.30, 1.45, 1.35, 1.10, 0.95, 0.95, 1.00, 1.00, 0.80, 0.65)
_THAW = (1.10, 1.30, 1.45, 1.15, 0.90, 0.90, 1.15, 1.10, 0.85, 0.75, 0.75, 0.90)
_BEFORE_FESTIVAL = (1.70, 1.20, 0.85, 0.80, 0.80, 0.80, 0.80, 0.80, 0.85, 0.95, 1.30, 1.95)
_SCHOOL = (0.70, 0.80, 1.00, 0.90, 1.00, 1.40, 1.60, 1.70, 1.50, 0.80, 0.70, 0.70)
_BURNING = (1.45, 1.20, 0.90, 0.80, 0.85, 1.30, 0.75, 0.70, 0.80, 1.35, 1.25, 1.55)
_FLAT = (1.0,) * 12

SEASONS: dict[str, tuple[float, ...]] = {
    "0101": _SUMMER,
    "0102": _SUMMER_STRONG,  # heat, smell, flies and mosquitoes
    "0104": _WINTER,  # snow and ice on the roads
    "0201": _SUMMER,  # night markets
    "0203": _SUMMER_STRONG,  # open windows, square dancing, night works
    "0204": _SPRING,
    "0301": _RAINY,
    "0302": _WINTER,  # long nights
    "0303": _THAW,
    "0304": _WINTER_STRONG,  # heating season, frozen pipes
    "0402": _SUMMER,
    "0403": _RAINY,
    "0404": _WINTER_STRONG,
    "0501": _SUMMER,
    "0502": _WINTER,  # heating fees
    "0503": _BEFORE_FESTIVAL,  # wages owed before the Spring Festival
    "0602": _SCHOOL,
    "0603": _WINTER,
    "0604": _BEFORE_FESTIVAL,
    "0701": _BURNING,  # heating smog, harvest straw burning
    "0702": _SUMMER,
}

STAFF, PUBLIC, HOTLINE, SENSOR = 0, 1, 2, 3
SOURCE_CLASS = {
    Source.GRID_WORKER: STAFF,
    Source.DEPARTMENT: STAFF,
    Source.STREET: STAFF,
    Source.COMMUNITY: STAFF,
    Source.CITIZEN: PUBLIC,
    Source.HOTLINE: HOTLINE,
    Source.SENSOR: SENSOR,
}
# Monday … Sunday.
WEEKDAY = np.array(
    [
        (1.08, 1.05, 1.04, 1.03, 0.98, 0.30, 0.22),  # staff patrol and report on workdays
        (1.00, 0.98, 0.97, 0.98, 1.00, 1.12, 1.15),  # citizens have time at the weekend
        (1.05, 1.00, 1.00, 1.00, 1.00, 0.95, 0.95),
        (1.0,) * 7,
    ]
)
# Local hour 0 … 23.
HOURS = np.array(
    [
        (0, 0, 0, 0, 0, 0, 0.2, 1, 5, 9, 9, 7, 2, 2, 6, 8, 8, 5, 1.5, 0.5, 0.3, 0.2, 0.1, 0),
        (
            1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2.5, 4, 5, 5, 4.5,
            4, 3.5, 4, 4.5, 4.5, 5, 6, 7.5, 8, 7, 4.5, 2,
        ),
        (
            0.5, 0.3, 0.2, 0.2, 0.2, 0.3, 0.8, 2.5, 5, 6, 6, 5,
            3.5, 3.5, 5, 5.5, 5, 4.5, 3.5, 3.5, 3, 2.5, 1.5, 0.8,
        ),
        (1.0,) * 24,
    ]
)  # fmt: skip
# 春节 (the first day of the lunar year): the country stops for a week around it.
LUNAR_NEW_YEAR = tuple(
    date.fromisoformat(d)
    for d in (
        "2019-02-05", "2020-01-25", "2021-02-12", "2022-02-01", "2023-01-22", "2024-02-10",
        "2025-01-29", "2026-02-17", "2027-02-06", "2028-01-26", "2029-02-13", "2030-02-03",
        "2031-01-23", "2032-02-11", "2033-01-31", "2034-02-19", "2035-02-08",
    )
)  # fmt: skip
# Reporting during the festival week, the week before and the week after, per source class.
FESTIVAL = ((0.15, 0.60, 0.75), (0.50, 0.85, 0.90), (0.60, 0.90, 0.95), (1.0, 1.0, 1.0))
NATIONAL_DAY = (0.35, 0.85, 0.90, 1.0)
GROWTH_PER_YEAR = 0.12


def day_weights(days: Sequence[date], source_class: int) -> FloatArray:
    """Weekday, holiday and growth factors of each day for one source class."""
    weights = np.empty(len(days))
    first = days[0]
    for i, day in enumerate(days):
        w = WEEKDAY[source_class, day.weekday()] * (1 + GROWTH_PER_YEAR * (day - first).days / 365)
        for lny in LUNAR_NEW_YEAR:
            offset = (day - lny).days
            if -2 <= offset <= 6:
                w *= FESTIVAL[source_class][0]
            elif -9 <= offset <= -3:
                w *= FESTIVAL[source_class][1]
            elif 7 <= offset <= 14:
                w *= FESTIVAL[source_class][2]
        if day.month == 10 and day.day <= 7:
            w *= NATIONAL_DAY[source_class]
        weights[i] = w
    return weights


def season_weights(days: Sequence[date], category_code: str) -> FloatArray:
    shape = SEASONS.get(category_code, _FLAT)
    # Month shapes are values at mid-month; wrap around the year for a smooth curve.
    mids = [-15.5, *[(m * 30.5) + 15 for m in range(12)], 380.5]
    values = [shape[-1], *shape, shape[0]]
    doy = np.array([day.timetuple().tm_yday for day in days], dtype=np.float64)
    return np.interp(doy, mids, values)


# ---------------------------------------------------------------------------------------------
# Working time, precomputed
# ---------------------------------------------------------------------------------------------


def work_calendar(settings: Settings) -> WorkCalendar:
    """The same calendar as ``events.services.calendar()``, from the seed's settings."""
    return WorkCalendar(
        timezone=settings.timezone,
        holidays=settings.dates(settings.holidays),
        extra_workdays=settings.dates(settings.extra_workdays),
    )


class WorkingClock:
    """The working calendar over a span of days as a running count of office seconds, so that
    "this moment plus N working hours" is two bisections instead of a walk over the days.
    Moments are whole epoch seconds; ``add`` equals ``WorkCalendar.add_working_hours``."""

    def __init__(self, calendar: WorkCalendar, first: date, last: date) -> None:
        zone = ZoneInfo(calendar.timezone)
        self.day_starts: list[int] = []
        self.periods: list[tuple[tuple[int, int], ...]] = []
        self.cum_start: list[int] = []
        self.cum_end: list[int] = []
        total = 0
        day = first
        while day <= last:
            self.day_starts.append(int(datetime.combine(day, time(0), zone).timestamp()))
            periods: tuple[tuple[int, int], ...] = ()
            if calendar.is_workday(day):
                periods = tuple(
                    (
                        int(datetime.combine(day, begin, zone).timestamp()),
                        int(datetime.combine(day, end, zone).timestamp()),
                    )
                    for begin, end in calendar.periods
                )
            self.periods.append(periods)
            self.cum_start.append(total)
            total += sum(end - begin for begin, end in periods)
            self.cum_end.append(total)
            day += timedelta(days=1)

    def worked(self, moment: int) -> int:
        """Office seconds from the first day's start to ``moment``."""
        i = bisect_right(self.day_starts, moment) - 1
        if i < 0 or i >= len(self.day_starts) - 1:
            raise ValueError("moment outside the precomputed calendar")
        total = self.cum_start[i]
        for begin, end in self.periods[i]:
            if moment > begin:
                total += min(moment, end) - begin
        return total

    def moment(self, worked: int) -> int:
        """The earliest moment at which ``worked`` office seconds have passed."""
        i = bisect_left(self.cum_end, worked)
        if i >= len(self.cum_end):
            raise ValueError("working time beyond the precomputed calendar")
        remaining = worked - self.cum_start[i]
        for begin, end in self.periods[i]:
            if remaining <= end - begin:
                return begin + remaining
            remaining -= end - begin
        raise AssertionError("unreachable: cum_end covers the day")

    def add(self, moment: int, seconds: int) -> int:
        return self.moment(self.worked(moment) + seconds)


# ---------------------------------------------------------------------------------------------
# Who acts
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Who:
    """An actor as a timeline records it."""

    id: int | None
    username: str
    role: str

    @property
    def key(self) -> str:
        """The reporter key intake would store for this actor; a citizen without an account
        (a mini-program user, say) is known by their own key."""
        if self.id is not None:
            return f"user:{self.id}"
        return self.username if self.role == CITIZEN else f"system:{self.username}"


SYSTEM_IOT = Who(None, "iot", Role.ADMIN.value)
SLA = Who(None, events.SLA_ACTOR, Role.ADMIN.value)
CITIZEN, GRID_WORKER = Role.CITIZEN.value, Role.GRID_WORKER.value
LEVELS = [level.value for level in Level]  # grid, community, street, district
# Actions that change the case beyond its state (events.services._after).
EFFECTS = frozenset(
    {
        "dispatch",
        "reassign",
        "escalate",
        "request_extension",
        "approve_extension",
        "supervise",
        "merge",
        "self_settle",
        "spot_check_pass",
        "spot_check_fail",
        "rate",
    }
)
_inverse_normal = NormalDist().inv_cdf


@dataclass
class People:
    operators: list[Who]
    leader: Who | None
    citizens: list[Who]
    department_handler: dict[int, Who]
    street_staff: dict[str, Who]  # street code → account
    community_staff: dict[str, Who]  # community code → account
    grid_worker: dict[str, Who]  # basic grid path → account

    @classmethod
    def load(cls, session: Session) -> People:
        users = session.execute(
            select(User.id, User.username, User.role, User.department_id, User.scope_path)
            .where(User.is_active)
            .order_by(User.username)
        ).all()
        by_role: dict[str, list[tuple[Who, int | None, str | None]]] = {}
        for user_id, username, role, department_id, scope_path in users:
            by_role.setdefault(role, []).append(
                (Who(user_id, username, role), department_id, scope_path)
            )

        def code_of(path: str | None) -> str:
            return (path or "").rstrip("/").split("/")[-1]

        workers: dict[str, Who] = {}
        rows = session.execute(
            select(GridAssignment.region_path, User.id, User.username, GridAssignment.duty)
            .join(User, User.id == GridAssignment.user_id)
            .order_by(GridAssignment.duty.desc(), User.username)  # 专职 before 兼职
        ).all()
        for path, user_id, username, _duty in rows:
            workers.setdefault(path, Who(user_id, username, Role.GRID_WORKER.value))
        return cls(
            operators=[w for w, _, _ in by_role.get(Role.CENTER_OPERATOR.value, [])],
            leader=next((w for w, _, _ in by_role.get(Role.LEADER.value, [])), None),
            citizens=sorted(
                (w for w, _, _ in by_role.get(Role.CITIZEN.value, [])),
                key=lambda w: (len(w.username), w.username),
            ),
            department_handler={
                d: w for w, d, _ in reversed(by_role.get(Role.DEPARTMENT_HANDLER.value, [])) if d
            },
            street_staff={
                code_of(p): w for w, _, p in reversed(by_role.get(Role.STREET_STAFF.value, []))
            },
            community_staff={
                code_of(p): w for w, _, p in reversed(by_role.get(Role.COMMUNITY_STAFF.value, []))
            },
            grid_worker=workers,
        )


# ---------------------------------------------------------------------------------------------
# Bulk rows straight to the driver
# ---------------------------------------------------------------------------------------------


class BulkWriter:
    """Rows of one table straight to the database driver: ``executemany`` on SQLite, ``COPY``
    on PostgreSQL. SQLAlchemy's per-row parameter processing costs more than the database's
    own work at this volume, so values are converted here the way the columns' types would:
    aware datetimes to naive UTC (as ``db.UTCDateTime``; on SQLite in SQLAlchemy's text
    form), JSON to text. A column a row leaves out gets its Python-side default."""

    def __init__(self, session: Session, model: Any) -> None:
        self.table: Table = model.__table__
        self.dialect = session.get_bind().dialect.name
        # The session's own connection, inside its transaction; taken here so that ``write``
        # may run in another thread without touching the (not thread-safe) session.
        raw = session.connection().connection.driver_connection
        assert raw is not None
        self.raw: Any = raw

    def _converter(self, column: Any) -> Any:
        kind = column.type
        if isinstance(kind, UTCDateTime):
            if self.dialect == "sqlite":
                return _sqlite_datetime
            return lambda v: None if v is None else v.astimezone(UTC).replace(tzinfo=None)
        if isinstance(kind, JSON):
            return _json_text
        return None

    def _default(self, column: Any) -> Any:
        default = column.default
        return default.arg(None) if default.is_callable else default.arg

    def write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        # The rows' own columns, and those with a Python-side default; the rest (an
        # autoincrement id) are left to the database.
        columns = [c for c in self.table.columns if c.key in rows[0] or c.default is not None]
        missing = {c.key: self._default(c) for c in columns if c.key not in rows[0]}
        row_values = itemgetter(*(c.key for c in columns))
        conversions = [
            (i, f) for i, f in enumerate(self._converter(c) for c in columns) if f is not None
        ]
        tuples = []
        for row in rows:
            values = list(row_values({**missing, **row} if missing else row))
            for i, convert in conversions:
                values[i] = convert(values[i])
            tuples.append(values)
        names = ", ".join(c.name for c in columns)
        raw = self.raw
        if self.dialect == "postgresql":
            sql = f"COPY {self.table.name} ({names}) FROM STDIN"
            with raw.cursor() as cursor, cursor.copy(sql) as copy:
                for values in tuples:
                    copy.write_row(values)
        else:
            marks = ", ".join("?" for _ in columns)
            cursor = raw.cursor()
            try:
                cursor.executemany(
                    f"INSERT INTO {self.table.name} ({names}) VALUES ({marks})", tuples
                )
            finally:
                cursor.close()


def _sqlite_datetime(value: datetime | None) -> str | None:
    """SQLAlchemy's SQLite DATETIME text of a UTC moment, stored naive (as db.UTCDateTime)."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # "2025-01-02T03:04:05.000006+00:00" → "2025-01-02 03:04:05.000006"
    text = value.isoformat(" ", "microseconds")
    return text[:26]


_json_cache: dict[tuple[Any, ...], str] = {}


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if not value:
        return "[]" if isinstance(value, list) else "{}"
    if isinstance(value, dict):
        # Most step data repeat (a dispatch to one of twenty departments, a rating of 1–5):
        # flat ones are encoded once.
        try:
            key = tuple(value.items())
            found = _json_cache.get(key)
        except TypeError:  # a list inside: not hashable, not repeated
            return json.dumps(value)
        if found is None:
            found = _json_cache[key] = json.dumps(value)
        return found
    return json.dumps(value)


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    index: int
    code: str
    name: str
    limit_hours: float
    department_id: int
    department_name: str
    department_code: str
    suggested: str | None
    on_time_offset: float


# Categories that are harder (or easier) to close on time than the average.
ON_TIME_OFFSET = {
    "0204": -0.08,
    "0503": -0.06,
    "0403": -0.05,
    "0502": -0.05,
    "0303": -0.04,
    "0304": -0.02,
    "0202": 0.03,
    "0103": 0.03,
    "0102": 0.02,
}
# Share of grid workers' own reports they settle on the spot (自办结).
SELF_SETTLE = {"01": 0.50, "02": 0.40, "04": 0.35, "05": 0.40}
SELF_SETTLE_DEFAULT = 0.08
SELF_SETTLE_EXCLUDED = frozenset({"0204", "0303", "0304", "0403", "0404"})
# Loop cases closed on time: from the first year to the last (the district gets better).
ON_TIME_FIRST, ON_TIME_LAST = 0.785, 0.865
HANDLING_SIGMA = 0.6
URGENCY_FACTOR = {"normal": 1.0, "urgent": 0.5, "critical": 0.25}
SATISFACTION_ON_TIME = (0.02, 0.03, 0.08, 0.25, 0.62)  # 1 … 5
SATISFACTION_LATE = (0.06, 0.10, 0.20, 0.30, 0.34)
VOID_REASONS = ("重复上报", "不属于受理范围", "经核实情况不属实", "信息不全无法处理")
FEEDBACK = (
    "已现场处置完毕",
    "已安排人员整改到位",
    "已联系当事人处理完成",
    "已清理完毕，恢复原状",
    "已维修完成",
)
SETTLE = ("已现场劝导整改", "已现场清理", "已协调当事人处理完毕", "已现场处置")
EXTENSION_REASONS = ("需协调产权单位，申请延期", "需采购材料，申请延期", "涉及多方，协调中")
RATING_COMMENTS = {5: "处理及时，很满意", 4: "基本满意", 3: "一般", 2: "处理较慢", 1: "不满意"}
MERGE_WINDOW = 72 * 3600


@dataclass
class Step:
    at: int
    action: str
    who: Who
    comment: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def history_size(ctx: SeedContext) -> int:
    return ctx.history_events if ctx.history_events is not None else HISTORY_EVENTS[ctx.tier]


def generate(ctx: SeedContext) -> None:
    if ctx.territory is None:
        return
    total = history_size(ctx)
    if total <= 0:
        return
    events.install_defaults(ctx.session, actor=Actor.system("seed"))
    ctx.progress("历史事件", 0, total)
    History(ctx, total).write()
    ctx.progress("历史事件", total, total)


class History:
    def __init__(self, ctx: SeedContext, total: int) -> None:
        self.ctx = ctx
        self.session = ctx.session
        self.total = total
        self.np_rng = np.random.default_rng(ctx.seed * 7919 + 17)
        self.rnd = random.Random(ctx.seed * 104_729 + 3)
        self.zone = ZoneInfo(ctx.settings.timezone)
        self.warning_share = ctx.settings.sla_warning_share
        moment = now()
        self.now = int(moment.timestamp())
        self.start = int((moment - timedelta(days=round(365.25 * YEARS))).timestamp())
        first = datetime.fromtimestamp(self.start, self.zone).date()
        last = datetime.fromtimestamp(self.now, self.zone).date()
        self.days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        self.clock = WorkingClock(
            work_calendar(ctx.settings), first - timedelta(days=1), last + timedelta(days=400)
        )
        definition = workflow.current_definition(self.session, DEFAULT_WORKFLOW)
        if definition is None:
            raise RuntimeError("the default event workflow is not installed")
        self.definition_id = definition.id
        spec = workflow.spec_of(definition)
        self.initial = spec.initial
        self.finals = {name for name, state in spec.states.items() if state.final}
        self.moves = {(s, t.action): t.to for t in spec.transitions for s in t.sources}
        self.actions = {t.action for t in spec.transitions}
        self.people = People.load(self.session)
        if not self.people.operators:
            raise RuntimeError("the history needs the demo accounts (seed generator accounts)")
        self.categories = self._categories()
        self.grids = [r for r in ctx.regions if r.level == "grid"]
        self.names = {r.code: r.name for r in ctx.regions}
        self.drawn = getattr(events, "drawn_for_check", None)
        self.merge_candidates: dict[tuple[int, int], tuple[int, str, int, int]] = {}
        self.steps_written = 0
        self.citizen_seen = 0

    # -- reference data ----------------------------------------------------------------------

    def _categories(self) -> list[Category]:
        orgs = self.session.execute(
            select(Organisation.id, Organisation.code, Organisation.name).where(
                Organisation.kind == OrgKind.DEPARTMENT
            )
        ).all()
        # Departments someone can act for: those with a handler account.
        staffed = {
            code: (org_id, name)
            for org_id, code, name in orgs
            if org_id in self.people.department_handler
        }
        if not staffed:
            raise RuntimeError("the history needs department handler accounts")
        self.departments = staffed
        result: list[Category] = []
        for category in events.list_categories(self.session, actor=Actor.system("seed")):
            if category.parent_code is None or not category.is_active:
                continue
            if category.workflow_code != DEFAULT_WORKFLOW:
                continue
            code = dispatch_department(
                category.code, category.default_department_code, set(staffed)
            )
            org_id, name = staffed[code]
            result.append(
                Category(
                    index=len(result),
                    code=category.code,
                    name=category.name,
                    limit_hours=category.time_limit_hours,
                    department_id=org_id,
                    department_name=name,
                    department_code=code,
                    suggested=category.default_department_code,
                    on_time_offset=ON_TIME_OFFSET.get(category.code, 0.0),
                )
            )
        return result

    def _grid_weights(self) -> FloatArray:
        """More cases where more people live: residents per grid when the registry is seeded,
        else an uneven draw (a few busy grids, many quiet ones)."""
        residents = dict(
            self.session.execute(
                select(Person.region_path, func.count()).group_by(Person.region_path)
            ).all()
        )
        counts = np.array([residents.get(g.path, 0) for g in self.grids], dtype=np.float64)
        if counts.sum() > 0:
            return counts + 0.15 * float(counts.mean())
        return np.asarray(self.np_rng.lognormal(0.0, 0.6, len(self.grids)), dtype=np.float64)

    # -- the plan: when, what, who, where, for every case at once ----------------------------

    def _plan(self) -> dict[str, Any]:
        rng, n = self.np_rng, self.total
        cats = self.categories
        cat_p = np.array([CATEGORY_WEIGHTS.get(c.code, DEFAULT_CATEGORY_WEIGHT) for c in cats])
        cat = rng.choice(len(cats), size=n, p=cat_p / cat_p.sum())
        source = np.empty(n, dtype=np.int64)
        urgency = np.empty(n, dtype=np.int64)
        for i, c in enumerate(cats):
            members = np.flatnonzero(cat == i)
            sw = np.array(source_weights(c.code))
            source[members] = rng.choice(len(SOURCES), size=len(members), p=sw / sw.sum())
            uw = np.array(URGENCY_WEIGHTS.get(c.code, DEFAULT_URGENCY))
            urgency[members] = rng.choice(3, size=len(members), p=uw / uw.sum())
        classes = np.array([SOURCE_CLASS[s] for s in SOURCES])[source]
        created = self._moments(cat, classes)
        grid_w = self._grid_weights()
        grid = rng.choice(len(self.grids), size=n, p=grid_w / grid_w.sum())
        order = np.argsort(created, kind="stable")
        plan: dict[str, Any] = {
            "created": created[order],
            "cat": cat[order],
            "source": source[order],
            "urgency": urgency[order],
            "grid": grid[order],
        }
        plan["lon"], plan["lat"], plan["specials"] = self._points(plan["grid"])
        plan["reporter"] = self._citizen_pool(int((plan["source"] == 1).sum()))
        return plan

    def _moments(self, cat: IntArray, classes: IntArray) -> IntArray:
        rng = self.np_rng
        starts = np.array(
            [int(datetime.combine(d, time(0), self.zone).timestamp()) for d in self.days],
            dtype=np.int64,
        )
        created = np.empty(len(cat), dtype=np.int64)
        by_class = [day_weights(self.days, k) for k in range(4)]
        seasons = [season_weights(self.days, c.code) for c in self.categories]
        hours = HOURS / HOURS.sum(axis=1, keepdims=True)
        for i in range(len(self.categories)):
            for k in range(4):
                members = np.flatnonzero((cat == i) & (classes == k))
                pending = members
                while len(pending):
                    p = seasons[i] * by_class[k]
                    day = rng.choice(len(self.days), size=len(pending), p=p / p.sum())
                    hour = rng.choice(24, size=len(pending), p=hours[k])
                    second = rng.integers(0, 3600, size=len(pending))
                    moment = starts[day] + hour * 3600 + second
                    created[pending] = moment
                    # The first and last day are partial: draw again what fell outside.
                    pending = pending[(moment < self.start) | (moment >= self.now)]
        return created

    def _points(self, grid: IntArray) -> tuple[FloatArray, FloatArray, list[list[str]]]:
        """A random point inside its grid for every case, and the special grids it lies in."""
        rng = self.np_rng
        territory = self.ctx.territory
        assert territory is not None
        shapes = {r.code: r.polygon for r in territory.regions}
        lon = np.empty(len(grid))
        lat = np.empty(len(grid))
        for g in np.unique(grid):
            members = np.flatnonzero(grid == g)
            polygon = shapes[self.grids[g].code]
            x0, y0, x1, y1 = polygon.bounds
            got = 0
            while got < len(members):
                want = max(16, int((len(members) - got) * 2.5))
                xs = rng.uniform(x0, x1, want)
                ys = rng.uniform(y0, y1, want)
                inside = shapely.contains_xy(polygon, xs, ys)
                take = min(int(inside.sum()), len(members) - got)
                lon[members[got : got + take]] = xs[inside][:take]
                lat[members[got : got + take]] = ys[inside][:take]
                got += take
        lon, lat = np.round(lon, 7), np.round(lat, 7)
        special = [r for r in territory.regions if r.level == "special_grid"]
        specials: list[list[str]] = [[] for _ in range(len(grid))]
        if special:
            tree = shapely.STRtree([r.polygon for r in special])
            point_idx, special_idx = tree.query(shapely.points(lon, lat), predicate="covered_by")
            for p, s in zip(point_idx.tolist(), special_idx.tolist(), strict=True):
                specials[p].append(special[s].code)
            for codes in specials:
                codes.sort()
        return lon, lat, specials

    def _citizen_pool(self, count: int) -> IntArray:
        """Which reporter each citizen report comes from: a long tail of people who report
        once or twice and a few who report all the time (the demo accounts the most)."""
        pool = max(len(self.people.citizens) + 10, count // 3)
        weights = 1.0 / (np.arange(pool) + 20.0)
        return self.np_rng.choice(pool, size=count, p=weights / weights.sum())

    def _citizen(self, index: int) -> Who:
        if index < len(self.people.citizens):
            return self.people.citizens[index]
        digest = hashlib.sha256(f"{self.ctx.seed}:{index}".encode()).hexdigest()[:16]
        return Who(None, f"app:{digest}", Role.CITIZEN.value)

    # -- writing -----------------------------------------------------------------------------

    def write(self) -> None:
        plan = self._plan()
        session = self.session
        sqlite = session.get_bind().dialect.name == "sqlite"
        if sqlite:
            # Index pages of a gigabyte of new rows: keep more of them in memory while loading.
            cache = session.execute(text("PRAGMA cache_size")).scalar()
            session.execute(text(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}"))
        first_event = (session.scalar(select(func.max(Event.id))) or 0) + 1
        first_instance = (session.scalar(select(func.max(WorkflowInstance.id))) or 0) + 1
        writers = [BulkWriter(session, table) for table in (Event, WorkflowInstance, WorkflowStep)]

        def store(batches: tuple[list[dict[str, Any]], ...]) -> None:
            # Instances before their steps (a foreign key); events reference no new row.
            for writer, rows in zip(writers, batches, strict=True):
                writer.write(rows)

        # One chunk is written in a second thread while the next is made: the drivers let go
        # of the GIL while the database works. Leaving the block waits for the last write.
        writing: Future[None] | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="history") as background:
            for chunk_start in range(0, self.total, CHUNK):
                chunk_end = min(self.total, chunk_start + CHUNK)
                batches = self._chunk(plan, chunk_start, chunk_end, first_event, first_instance)
                if writing is not None:
                    writing.result()
                    self.ctx.progress("历史事件", chunk_start, self.total)
                writing = background.submit(store, batches)
                self.steps_written += len(batches[2])
        if writing is not None:
            writing.result()
        if sqlite:
            session.execute(text(f"PRAGMA cache_size={int(cache or -2000)}"))
        elif session.get_bind().dialect.name == "postgresql":
            # Rows came with their ids: move the id sequences past them.
            for table in ("events", "workflow_instances"):
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        self.ctx.counts["history_events"] = self.total
        self.ctx.counts["history_steps"] = self.steps_written

    def _chunk(
        self, plan: dict[str, Any], start: int, end: int, first_event: int, first_instance: int
    ) -> tuple[list[dict[str, Any]], ...]:
        """The rows of cases ``start`` to ``end`` (in time order): events, instances, steps."""
        batches: tuple[list[dict[str, Any]], ...] = ([], [], [])
        for i in range(start, end):
            source = SOURCES[int(plan["source"][i])]
            reporter_index = -1
            if source == Source.CITIZEN:
                reporter_index = int(plan["reporter"][self.citizen_seen])
                self.citizen_seen += 1
            event, instance, steps = self._case(
                event_id=first_event + i,
                instance_id=first_instance + i,
                created=int(plan["created"][i]),
                category=self.categories[int(plan["cat"][i])],
                source=source,
                urgency=URGENCIES[int(plan["urgency"][i])],
                grid_index=int(plan["grid"][i]),
                lon=float(plan["lon"][i]),
                lat=float(plan["lat"][i]),
                specials=plan["specials"][i],
                reporter_index=reporter_index,
            )
            batches[0].append(event)
            batches[1].append(instance)
            batches[2].extend(steps)
        return batches

    # -- one case ----------------------------------------------------------------------------

    def _reporter(self, source: Source, category: Category, grid_index: int, index: int) -> Who:
        people, rnd = self.people, self.rnd
        grid = self.grids[grid_index]
        codes = [part for part in grid.path.split("/") if part]
        if source == Source.CITIZEN:
            return self._citizen(index)
        if source == Source.GRID_WORKER and grid.path in people.grid_worker:
            return people.grid_worker[grid.path]
        if source == Source.STREET and len(codes) >= 3 and codes[-3] in people.street_staff:
            return people.street_staff[codes[-3]]
        if source == Source.COMMUNITY and len(codes) >= 2 and codes[-2] in people.community_staff:
            return people.community_staff[codes[-2]]
        if source == Source.SENSOR:
            return SYSTEM_IOT
        # Hotline calls and departments' reports are entered by the center (department
        # handlers handle cases; they do not report them).
        return rnd.choice(people.operators)

    def _case(
        self,
        *,
        event_id: int,
        instance_id: int,
        created: int,
        category: Category,
        source: Source,
        urgency: str,
        grid_index: int,
        lon: float,
        lat: float,
        specials: list[str],
        reporter_index: int,
    ) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
        rnd, clock = self.rnd, self.clock
        grid = self.grids[grid_index]
        reporter = self._reporter(source, category, grid_index, reporter_index)
        limit = round(category.limit_hours * URGENCY_FACTOR[urgency] * 3600)
        w0 = clock.worked(created)
        deadline = clock.moment(w0 + limit)
        code = f"SJ{datetime.fromtimestamp(created, self.zone):%Y%m%d}{event_id:07d}"
        steps = [
            Step(
                created, "start", reporter, data={"source": source.value, "category": category.code}
            )
        ]
        self_settle = (
            source == Source.GRID_WORKER
            and reporter.role == GRID_WORKER
            and category.code not in SELF_SETTLE_EXCLUDED
            and rnd.random() < SELF_SETTLE.get(category.code[:2], SELF_SETTLE_DEFAULT)
        )
        roll = rnd.random()
        key = (grid_index, category.index)
        if self_settle:
            self._plan_self_settled(steps, created, reporter, grid, code)
        elif roll < 0.025:
            self._plan_void(steps, w0)
        elif roll < 0.04 and self._merge_target(key, created) is not None:
            target = self._merge_target(key, created)
            assert target is not None
            at = clock.moment(w0 + rnd.randint(300, 3600))
            if target[3] > at:
                steps.append(
                    Step(
                        at,
                        "merge",
                        rnd.choice(self.people.operators),
                        "与已受理事件重复，合并办理",
                        {"target_id": target[0], "target_code": target[1]},
                    )
                )
            else:
                self._plan_void(steps, w0)
        else:
            self._plan_loop(steps, created, w0, limit, deadline, category, reporter)
        # Steps are planned in the order the loop takes them; where two planned times cross
        # (a card planned during an extension request, say), the replay keeps the order and
        # moves the later one up.
        event, instance, rows = self._replay(
            steps,
            event_id=event_id,
            instance_id=instance_id,
            code=code,
            created=created,
            deadline=deadline,
            category=category,
            source=source,
            urgency=urgency,
            grid_index=grid_index,
            lon=lon,
            lat=lat,
            specials=specials,
            reporter=reporter,
        )
        end = event["closed_at"] or (instance["ended_at"] if instance["ended_at"] else None)
        end_ts = int(end.timestamp()) if end is not None else self.now + 10**9
        if event["status"] != "voided":
            self.merge_candidates[key] = (event_id, code, created, end_ts)
        return event, instance, rows

    def _merge_target(self, key: tuple[int, int], created: int) -> tuple[int, str, int, int] | None:
        found = self.merge_candidates.get(key)
        if found is None or created - found[2] > MERGE_WINDOW:
            return None
        return found

    def _plan_void(self, steps: list[Step], w0: int) -> None:
        at = self.clock.moment(w0 + self.rnd.randint(300, 3 * 3600))
        steps.append(
            Step(at, "void", self.rnd.choice(self.people.operators), self.rnd.choice(VOID_REASONS))
        )

    def _plan_self_settled(
        self, steps: list[Step], created: int, worker: Who, grid: Any, code: str
    ) -> None:
        rnd = self.rnd
        settled = created + int(min(6 * 3600, max(300, rnd.lognormvariate(math.log(2400), 0.8))))
        steps.append(Step(settled, "self_settle", worker, rnd.choice(SETTLE)))
        codes = [part for part in grid.path.split("/") if part]
        checker = self.people.community_staff.get(codes[-2]) if len(codes) >= 2 else None
        if checker is None:
            return
        after = settled
        if "spot_check_pass" in self.actions and self.drawn is not None and self.drawn(code):
            after = settled + rnd.randint(86_400, 4 * 86_400)
            if rnd.random() < 0.93:
                steps.append(Step(after, "spot_check_pass", checker))
            else:
                steps.append(Step(after, "spot_check_fail", checker, "抽查发现未整改到位"))
                after += rnd.randint(3600, 86_400)
                steps.append(Step(after, "feedback", worker, "已重新整改到位"))
                after = self.clock.add(after, rnd.randint(1800, 8 * 3600))
                steps.append(Step(after, "approve", checker))
        if rnd.random() < 0.2:
            self._plan_rating(steps, after, on_time=True, rater=checker, office=True)

    def _plan_loop(
        self,
        steps: list[Step],
        created: int,
        w0: int,
        limit: int,
        deadline: int,
        category: Category,
        reporter: Who,
    ) -> None:
        rnd, clock, people = self.rnd, self.clock, self.people
        operator = rnd.choice(people.operators)
        handler = people.department_handler[category.department_id]
        # Handling time in working seconds: log-normal around the time limit, so that the
        # year's on-time share is met on average.
        years = (created - self.start) / (365.25 * 86_400 * YEARS)
        p = ON_TIME_FIRST + (ON_TIME_LAST - ON_TIME_FIRST) * years + category.on_time_offset
        mu = -_inverse_normal(min(0.98, max(0.5, p))) * HANDLING_SIGMA
        used = int(min(6 * limit, max(600, limit * math.exp(rnd.gauss(mu, HANDLING_SIGMA)))))
        late = used > limit
        w_close = w0 + used
        w_accept = w0 + max(60, int(used * rnd.uniform(0.01, 0.05)))
        w_dispatch = w_accept + max(60, int(used * rnd.uniform(0.01, 0.05)))
        stuck_before_dispatch = late and rnd.random() < 0.3
        if stuck_before_dispatch:
            # Nobody dispatched it in time: the SLA job escalates it at the deadline.
            w_dispatch = w0 + limit + max(600, int((used - limit) * rnd.uniform(0.05, 0.3)))
        w_receive = w_dispatch + max(60, int((w_close - w_dispatch) * rnd.uniform(0.03, 0.12)))
        w_feedback = w_receive + int((w_close - w_receive) * rnd.uniform(0.80, 0.95))
        w_feedback = max(w_feedback, w_receive + 60)
        w_close = max(w_close, w_feedback + 60)

        accept_at = clock.moment(w_accept)
        dispatch_at = clock.moment(w_dispatch)
        dispatch = {"department_id": category.department_id, "department": category.department_name}
        if dispatch_at > deadline:
            escalated_at = deadline + rnd.randint(30, 300)
            if accept_at < escalated_at:
                steps.append(Step(accept_at, "accept", operator))
            steps.append(Step(escalated_at, "escalate", SLA, "超过办结时限，自动升级"))
            dispatch_at = max(dispatch_at, escalated_at + 60)
        else:
            steps.append(Step(accept_at, "accept", operator))
        steps.append(Step(dispatch_at, "dispatch", operator, data=dispatch))
        receive_at = clock.moment(w_receive)
        if rnd.random() < 0.04 and w_receive - w_dispatch >= 900:
            # Sent back as not its own; the center sends it to another department.
            others = [
                c for c in RETURN_TARGETS if c in self.departments and c != category.department_code
            ]
            if others:
                other_id, other_name = self.departments[rnd.choice(others)]
                returned = clock.moment(w_dispatch + (w_receive - w_dispatch) // 3)
                redispatched = clock.moment(w_dispatch + 2 * (w_receive - w_dispatch) // 3)
                steps.append(Step(returned, "return", handler, "不属于本部门职责，请重新派遣"))
                steps.append(
                    Step(
                        redispatched,
                        "dispatch",
                        operator,
                        data={"department_id": other_id, "department": other_name},
                    )
                )
                handler = people.department_handler[other_id]
        steps.append(Step(receive_at, "receive", handler))
        final_deadline_w = w0 + limit
        if late and not stuck_before_dispatch and rnd.random() < 0.45:
            w_request = max(w_receive + 60, w0 + int(limit * rnd.uniform(0.5, 0.9)))
            if w_request < w_feedback - 1200:
                w_answer = w_request + min(
                    (w_feedback - w_request) // 3, rnd.randint(600, 4 * 3600)
                )
                steps.append(
                    Step(
                        clock.moment(w_request),
                        "request_extension",
                        handler,
                        rnd.choice(EXTENSION_REASONS),
                        {"hours": 0.0},  # set below
                    )
                )
                request = steps[-1]
                hours = 4 * math.ceil((used - limit) / 3600 * rnd.uniform(1.1, 1.5) / 4)
                request.data = {"hours": float(min(720, max(4, hours)))}
                if rnd.random() < 0.85 and "approve_extension" in self.actions:
                    steps.append(Step(clock.moment(w_answer), "approve_extension", operator))
                    final_deadline_w += int(request.data["hours"] * 3600)
                else:
                    steps.append(
                        Step(clock.moment(w_answer), "reject_extension", operator, "请按期办结")
                    )
        late = w_close > final_deadline_w
        # The center supervises dispatched cases that run late (those it had not yet
        # dispatched were escalated above).
        if late and clock.moment(final_deadline_w) >= dispatch_at and rnd.random() < 0.6:
            w_card = final_deadline_w + rnd.randint(1800, 6 * 3600)
            supervisor = people.leader if (people.leader and rnd.random() < 0.1) else operator
            if w_card < w_feedback - 60:
                steps.append(
                    Step(
                        clock.moment(w_card),
                        "supervise",
                        supervisor,
                        "已超过办结时限，请加快办理",
                        {"card": "yellow"},
                    )
                )
                w_red = w_card + limit // 2
                if w_red < w_feedback - 60 and rnd.random() < 0.5:
                    steps.append(
                        Step(
                            clock.moment(w_red),
                            "supervise",
                            supervisor,
                            "严重超期，红牌督办",
                            {"card": "red"},
                        )
                    )
        if people.leader and rnd.random() < 0.003 and w_feedback - w_receive > 1200:
            steps.append(
                Step(
                    clock.moment((w_receive + w_feedback) // 2),
                    "instruct",
                    people.leader,
                    "请相关部门高度重视，限期解决并反馈",
                )
            )
        feedback_at = clock.moment(w_feedback)
        steps.append(Step(feedback_at, "feedback", handler, rnd.choice(FEEDBACK)))
        if rnd.random() < 0.03 and w_close - w_feedback >= 1200:
            steps.append(
                Step(
                    clock.moment(w_feedback + (w_close - w_feedback) // 3),
                    "rework",
                    operator,
                    "现场核查未整改到位，请返工",
                )
            )
            steps.append(
                Step(
                    clock.moment(w_feedback + 2 * (w_close - w_feedback) // 3),
                    "feedback",
                    handler,
                    "已返工整改到位",
                )
            )
        closed_at = clock.moment(w_close)
        steps.append(Step(closed_at, "approve", operator))
        if reporter.role == CITIZEN:
            if rnd.random() < 0.8:
                self._plan_rating(steps, closed_at, on_time=not late, rater=reporter, office=False)
        elif rnd.random() < 0.6:
            self._plan_rating(steps, closed_at, on_time=not late, rater=operator, office=True)

    def _plan_rating(
        self, steps: list[Step], closed_at: int, *, on_time: bool, rater: Who, office: bool
    ) -> None:
        rnd = self.rnd
        weights = SATISFACTION_ON_TIME if on_time else SATISFACTION_LATE
        score = rnd.choices((1, 2, 3, 4, 5), weights=weights)[0]
        if office:  # a call-back (回访) by staff, in office hours
            at = self.clock.add(closed_at, rnd.randint(3600, 16 * 3600))
        else:  # the reporter, whenever they look at their phone
            at = closed_at + int(
                min(7 * 86_400, max(60, rnd.lognormvariate(math.log(18_000), 1.0)))
            )
        steps.append(Step(at, "rate", rater, RATING_COMMENTS[score], {"satisfaction": score}))

    # -- replay: the state machine and the case fields, as the services would set them ------

    def _replay(
        self,
        steps: list[Step],
        *,
        event_id: int,
        instance_id: int,
        code: str,
        created: int,
        deadline: int,
        category: Category,
        source: Source,
        urgency: str,
        grid_index: int,
        lon: float,
        lat: float,
        specials: list[str],
        reporter: Who,
    ) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
        grid = self.grids[grid_index]
        state = self.initial
        level = LEVELS[0]
        levels = LEVELS
        department_id: int | None = None
        closed_at: int | None = None
        ended_at: int | None = None
        entered = created
        deadline_w = self.clock.worked(deadline)
        extra: dict[str, Any] = (
            {"suggested_department": category.suggested} if category.suggested else {}
        )
        rows: list[dict[str, Any]] = []
        view = SimpleNamespace()  # the step as the engine's _hashed_fields reads it
        prev_hash = workflow.GENESIS
        last_at = created
        requested_hours = 0.0
        escalated = False
        for seq, step in enumerate(steps, start=1):
            at = max(step.at, last_at + (1 if seq > 1 else 0))
            if at > self.now:
                break
            if step.action == "start":
                target = self.initial
                from_state: str | None = None
            else:
                found = self.moves.get((state, step.action))
                if found is None:
                    raise RuntimeError(
                        f"history: the workflow has no “{step.action}” from “{state}” ({code})"
                    )
                target, from_state = found, state
            new_state = state if target == SAME else target
            # What the action changes on the case (events.services._after).
            action = step.action
            if action not in EFFECTS:
                pass
            elif action in ("dispatch", "reassign"):
                department_id = step.data["department_id"]
                level = LEVELS[-1]
            elif step.action == "escalate":
                level = levels[levels.index(level) + 1]
                escalated = escalated or step.who == SLA
            elif step.action == "request_extension":
                requested_hours = float(step.data["hours"])
            elif step.action == "approve_extension":
                deadline_w += int(requested_hours * 3600)
                deadline = self.clock.moment(deadline_w)
            elif step.action == "supervise":
                extra["cards"] = [*extra.get("cards", []), step.data["card"]]
            elif step.action == "merge":
                extra["merged_into"] = step.data["target_code"]
            elif step.action == "self_settle":
                extra["self_settled"] = True
                if (
                    self.drawn is not None
                    and "spot_check_pass" in self.actions
                    and self.drawn(code)
                ):
                    extra["spot_check"] = "pending"
            elif step.action == "spot_check_pass":
                extra["spot_check"] = "passed"
            elif step.action == "spot_check_fail":
                extra["spot_check"] = "failed"
            elif step.action == "rate":
                extra["satisfaction"] = step.data["satisfaction"]
            if target == "closed":  # entering it: an act that stays ("=") is no closing
                closed_at = at
            if new_state != state:
                entered = at
            if new_state in self.finals:
                ended_at = at
            state = new_state
            row = {
                "instance_id": instance_id,
                "seq": seq,
                "action": step.action,
                "from_state": from_state,
                "to_state": target,
                "actor_id": step.who.id,
                "actor_username": step.who.username,
                "actor_role": step.who.role,
                "at": datetime.fromtimestamp(at, UTC),
                "comment": step.comment,
                "data": step.data,
            }
            # The engine's own hashed fields, read from the very values that are inserted.
            vars(view).update(row)
            fields = workflow._hashed_fields(view)  # type: ignore[arg-type]
            row["prev_hash"] = prev_hash
            row["hash"] = prev_hash = workflow.step_hash(prev_hash, fields)
            rows.append(row)
            last_at = at
        created_dt = datetime.fromtimestamp(created, UTC)
        deadline_dt = datetime.fromtimestamp(deadline, UTC)
        warn_dt = created_dt + (deadline_dt - created_dt) * self.warning_share
        # How far the SLA scan has got with the case (what it does once a case is overdue
        # happened in the timeline above: escalation a few minutes after the deadline).
        running = state not in self.finals and state != "closed"
        until = self.now if running else (closed_at or ended_at or self.now)
        sla_stage = 0
        if escalated or deadline + 300 <= until:
            sla_stage = 2
        elif warn_dt.timestamp() <= until:
            sla_stage = 1
        title, description = case_text(
            category.code, category.name, self.names.get(grid.code, ""), self.rnd
        )
        codes = [part for part in grid.path.split("/") if part]
        address = "".join(self.names.get(c, "") for c in codes[-3:]) + "附近"
        title = ("【12345】" if source == Source.HOTLINE else "") + title
        event = {
            "id": event_id,
            "code": code,
            "title": title,
            "search_text": search.document(title, address),
            "description": description,
            "category_code": category.code,
            "source": source.value,
            "urgency": urgency,
            "lon": lon,
            "lat": lat,
            "address": address,
            "region_path": grid.path,
            "special_grids": specials,
            "status": state,
            "level": level,
            "department_id": department_id,
            "reporter_id": reporter.id,
            "reporter_key": reporter.key,
            "idempotency_key": None,
            "deadline_at": deadline_dt,
            "warn_at": warn_dt,
            "sla_stage": sla_stage,
            "workflow_instance_id": instance_id,
            "classified_by": "reporter",
            "created_at": created_dt,
            "updated_at": datetime.fromtimestamp(last_at, UTC),
            "closed_at": datetime.fromtimestamp(closed_at, UTC) if closed_at else None,
            "extra": extra,
        }
        instance = {
            "id": instance_id,
            "definition_id": self.definition_id,
            "subject_type": events.SUBJECT,
            "subject_id": event_id,
            "state": state,
            "version": len(rows),
            "region_path": grid.path,
            "started_at": created_dt,
            "state_entered_at": datetime.fromtimestamp(entered, UTC),
            "ended_at": datetime.fromtimestamp(ended_at, UTC) if ended_at else None,
        }
        return event, instance, rows

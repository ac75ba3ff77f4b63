"""The counters of the rollups and the KPI indicator library: pure data and functions.

A **counter** counts cases (or sums a value over them) on one *anchor* day of each case:

- ``report``: the local day the case was reported (``events.created_at``);
- ``due``: the local day its deadline falls (``events.deadline_at``), voided cases excluded;
- ``closed``: the local day it closed (``events.closed_at``; set on 结案, kept by 评价,
  cleared again when a case is reopened or fails a spot check).

and selects the cases by named conditions (``CONDITIONS``). The same names are turned into SQL
twice: over ``analytics_case_facts`` when the rollups are built, and over ``events`` (with the
timeline's steps) when a figure is drilled down into its cases, so a figure and the list
behind it are the same predicate. ``tests/analytics`` checks that they agree.

An **indicator** is a ratio (or a count, or an average) of counters with its Chinese name,
formula text, and the definitions of its numerator and denominator.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Anchor(StrEnum):
    REPORT = "report"
    DUE = "due"
    CLOSED = "closed"


ANCHOR_LABELS = {Anchor.REPORT: "上报日", Anchor.DUE: "办结时限到期日", Anchor.CLOSED: "结案日"}

# Which cases a condition keeps, in words (the SQL is in analytics/repository.py for the facts
# and events/repository.py for the cases).
CONDITIONS: dict[str, str] = {
    "voided": "已作废（含合并到重复事件）",
    "not_voided": "未作废",
    "accepted": "已受理立案：状态不是“已上报（待受理）”也不是“已作废”",
    "closed": "已结案：结案时间不为空（状态为已结案或已评价）",
    "open": "未结案：结案时间为空",
    "on_time": "按期：结案时间不晚于办结时限",
    "self_settled": "自办结：时间线中有“自办结”步骤",
    "reworked": "返工：时间线中有“返工”（核查不通过）步骤",
    "escalated": "升级：时间线中有“升级”步骤（人工或超时自动）",
    "rated": "已评价：有满意度评分（1–5 分）",
    "satisfied": "满意：评分 4 或 5 分",
    "dissatisfied": "不满意：评分 1 或 2 分",
    "level_grid": "结案时层级为网格",
    "level_community": "结案时层级为社区",
    "level_street": "结案时层级为镇街",
    "level_district": "结案时层级为区级（含派遣给区直部门的）",
    "st_pending": "当前状态：待受理（已上报）",
    "st_in_progress": "当前状态：办理中（已受理至待核查、延期申请中）",
    "st_suspended": "当前状态：已挂起",
    "st_closed": "当前状态：已结案或已评价",
}

STATUS_GROUPS = ("pending", "in_progress", "suspended", "closed", "voided")
STATUS_GROUP_LABELS = {
    "pending": "待受理",
    "in_progress": "办理中",
    "suspended": "已挂起",
    "closed": "已结案",
    "voided": "已作废",
}
LEVELS = ("grid", "community", "street", "district")
LEVEL_LABELS = {"grid": "网格", "community": "社区", "street": "镇街", "district": "区级"}


@dataclass(frozen=True)
class Counter:
    name: str
    label: str
    anchor: Anchor
    where: tuple[str, ...] = ()
    # A value summed over the cases instead of counting them: a column of the case facts.
    value: str | None = None

    @property
    def definition(self) -> str:
        parts = [f"按{ANCHOR_LABELS[self.anchor]}统计"] + [CONDITIONS[c] for c in self.where]
        what = {"handling_seconds": "处置时长（上报至结案，秒）之和", "satisfaction": "评分之和"}
        if self.value:
            parts.append(what[self.value])
        return "；".join(parts)


COUNTERS: tuple[Counter, ...] = (
    Counter("reported", "上报数", Anchor.REPORT),
    Counter("accepted", "立案数", Anchor.REPORT, ("accepted",)),
    Counter("voided", "作废数", Anchor.REPORT, ("voided",)),
    Counter("st_pending", "待受理", Anchor.REPORT, ("st_pending",)),
    Counter("st_in_progress", "办理中", Anchor.REPORT, ("st_in_progress",)),
    Counter("st_suspended", "已挂起", Anchor.REPORT, ("st_suspended",)),
    Counter("st_closed", "已结案", Anchor.REPORT, ("st_closed",)),
    Counter("due", "应结案数", Anchor.DUE, ("not_voided",)),
    Counter("due_closed", "应结已结数", Anchor.DUE, ("not_voided", "closed")),
    Counter("due_on_time", "按期结案数", Anchor.DUE, ("not_voided", "closed", "on_time")),
    Counter("due_open", "到期未结数", Anchor.DUE, ("not_voided", "open")),
    Counter("closed", "结案数", Anchor.CLOSED, ("closed",)),
    Counter("closed_on_time", "结案中按期数", Anchor.CLOSED, ("closed", "on_time")),
    Counter("self_settled", "自办结数", Anchor.CLOSED, ("closed", "self_settled")),
    Counter("reworked", "返工数", Anchor.CLOSED, ("closed", "reworked")),
    Counter("escalated", "升级数", Anchor.CLOSED, ("closed", "escalated")),
    Counter("settled_grid", "网格层级办结", Anchor.CLOSED, ("closed", "level_grid")),
    Counter("settled_community", "社区层级办结", Anchor.CLOSED, ("closed", "level_community")),
    Counter("settled_street", "镇街层级办结", Anchor.CLOSED, ("closed", "level_street")),
    Counter("settled_district", "区级办结", Anchor.CLOSED, ("closed", "level_district")),
    Counter("handling_seconds", "处置时长合计", Anchor.CLOSED, ("closed",), "handling_seconds"),
    Counter("rated", "评价数", Anchor.CLOSED, ("closed", "rated")),
    Counter("satisfaction_sum", "评分合计", Anchor.CLOSED, ("closed", "rated"), "satisfaction"),
    Counter("satisfied", "满意数", Anchor.CLOSED, ("closed", "satisfied")),
    Counter("dissatisfied", "不满意数", Anchor.CLOSED, ("closed", "dissatisfied")),
)
COUNTER_NAMES = tuple(c.name for c in COUNTERS)
BY_NAME = {c.name: c for c in COUNTERS}
STATUS_COUNTERS = {g: f"st_{g}" for g in STATUS_GROUPS if g != "voided"} | {"voided": "voided"}
LEVEL_COUNTERS = {level: f"settled_{level}" for level in LEVELS}


class Kind(StrEnum):
    RATIO = "ratio"  # numerator ÷ denominator, shown as a percentage
    COUNT = "count"  # the numerator alone
    AVERAGE = "average"  # numerator ÷ denominator in the indicator's own unit


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    kind: Kind
    formula: str
    numerator: str
    denominator: str | None
    unit: str = ""
    # Divide the numerator's sum by this before dividing (seconds → hours).
    scale: float = 1.0
    # True when a higher value is better (rankings sort by it).
    higher_is_better: bool = True
    description: str = ""

    @property
    def counters(self) -> tuple[str, ...]:
        return (self.numerator,) + ((self.denominator,) if self.denominator else ())


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "closure_rate",
        "结案率",
        Kind.RATIO,
        "结案率 = 应结已结数 ÷ 应结案数 × 100%",
        "due_closed",
        "due",
        "%",
        description="办结时限落在统计期内的未作废案件中，至今已结案的比例。",
    ),
    Indicator(
        "on_time_rate",
        "按期结案率",
        Kind.RATIO,
        "按期结案率 = 按期结案数 ÷ 应结案数 × 100%",
        "due_on_time",
        "due",
        "%",
        description="办结时限落在统计期内的未作废案件中，在时限内（含时限当刻）结案的比例。",
    ),
    Indicator(
        "rework_rate",
        "返工率",
        Kind.RATIO,
        "返工率 = 返工数 ÷ 结案数 × 100%",
        "reworked",
        "closed",
        "%",
        higher_is_better=False,
        description="统计期内结案的案件中，曾被核查退回返工的比例。",
    ),
    Indicator(
        "satisfaction",
        "满意度",
        Kind.RATIO,
        "满意度 = 满意数（4–5 分） ÷ 评价数 × 100%",
        "satisfied",
        "rated",
        "%",
        description="统计期内结案并已评价的案件中，评分为 4 或 5 分的比例。",
    ),
    Indicator(
        "avg_handling_hours",
        "平均处置时长",
        Kind.AVERAGE,
        "平均处置时长 = 处置时长合计（上报至结案） ÷ 结案数",
        "handling_seconds",
        "closed",
        "小时",
        scale=3600.0,
        higher_is_better=False,
        description="统计期内结案的案件从上报到结案的平均自然时长（小时）。",
    ),
    Indicator(
        "self_settle_rate",
        "自办结率",
        Kind.RATIO,
        "自办结率 = 自办结数 ÷ 结案数 × 100%",
        "self_settled",
        "closed",
        "%",
        description="统计期内结案的案件中，由网格员现场自行处置结案（自办结）的比例。",
    ),
    Indicator(
        "grid_settle_rate",
        "小事不出格率",
        Kind.RATIO,
        "小事不出格率 = 网格层级办结数 ÷ 结案数 × 100%",
        "settled_grid",
        "closed",
        "%",
        description="统计期内结案的案件中，结案时仍在网格层级（未上交社区、镇街或区级）的比例。",
    ),
    Indicator(
        "events_reported",
        "上报事件数",
        Kind.COUNT,
        "上报事件数 = 统计期内上报的案件数（含作废）",
        "reported",
        None,
        "件",
        description="统计期内各渠道上报的案件总数。",
    ),
    Indicator(
        "overdue_open",
        "到期未结数",
        Kind.COUNT,
        "到期未结数 = 办结时限落在统计期内、至今未结案的未作废案件数",
        "due_open",
        None,
        "件",
        higher_is_better=False,
        description="办结时限已到（统计期截至今日）而尚未结案的案件数。",
    ),
)
INDICATOR_BY_CODE = {i.code: i for i in INDICATORS}
HEADLINE = ("events_reported", "closure_rate", "on_time_rate", "self_settle_rate",
            "satisfaction", "avg_handling_hours", "rework_rate", "overdue_open")  # fmt: skip


def value_of(indicator: Indicator, sums: dict[str, int]) -> float | None:
    """The indicator's value from summed counters; None when the denominator is zero."""
    numerator = sums.get(indicator.numerator, 0)
    if indicator.denominator is None:
        return float(numerator)
    denominator = sums.get(indicator.denominator, 0)
    if denominator == 0:
        return None
    if indicator.kind == Kind.RATIO:
        return round(100.0 * numerator / denominator, 2)
    return round(numerator / indicator.scale / denominator, 2)

"""The assessment indicator library and the scoring arithmetic: pure data and functions.

Two kinds of indicator:

- **case indicators**, the analytics library (``analytics.indicators.INDICATORS``: 结案率,
  按期结案率, 返工率, 满意度, 平均处置时长, 自办结率, 小事不出格率, 上报事件数, 到期未结数). For a
  street, community, grid or department they are the analytics figures; for a **worker** they
  are computed over the cases that worker reported (``events.reporter_id``), with the same
  counters and conditions.
- **work indicators** (``WORK_INDICATORS``), a grid worker's field work in the month: patrol
  hours, distance and days, grid coverage (the mean of the patrols' stored coverage), visits
  and tasks done. For a grid, community or
  street they are the sums over the workers whose (first) grid lies inside it.

Scoring an item (``points``): a **linear** rule gives 0 points at ``floor`` and 100 at
``target`` (and beyond), in the indicator's direction; a **rank** rule gives 100 to the best
target with a value and 0 to the worst, linearly by rank in between. An item whose value is
null (nothing to divide by) is not scored: the target's score is the weighted mean of the
items that are, so an empty denominator neither rewards nor punishes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gridgov.analytics.indicators import BY_NAME, INDICATORS, Indicator

TARGET_TYPES = ("worker", "grid", "community", "street", "department")
TARGET_LABELS = {
    "worker": "网格员",
    "grid": "网格",
    "community": "社区",
    "street": "镇街",
    "department": "部门",
}
RULES = ("linear", "rank")
RULE_LABELS = {"linear": "线性（保底值→目标值）", "rank": "按名次"}
REGION_TARGETS = ("grid", "community", "street")


@dataclass(frozen=True)
class AssessmentIndicator:
    """One indicator as the assessment sees it: the analytics shape (code, name, formula,
    numerator, denominator, unit, direction) plus which targets it applies to and where it
    comes from (``case`` or ``work``)."""

    code: str
    name: str
    formula: str
    numerator: str
    numerator_label: str
    denominator: str | None
    denominator_label: str | None
    unit: str
    higher_is_better: bool
    targets: tuple[str, ...]
    source: str  # case | work
    kind: str  # ratio | count | average
    scale: float = 1.0
    description: str = ""


def _from_case(indicator: Indicator) -> AssessmentIndicator:
    denominator = BY_NAME[indicator.denominator] if indicator.denominator else None
    return AssessmentIndicator(
        code=indicator.code,
        name=indicator.name,
        formula=indicator.formula,
        numerator=indicator.numerator,
        numerator_label=BY_NAME[indicator.numerator].label,
        denominator=indicator.denominator,
        denominator_label=denominator.label if denominator else None,
        unit=indicator.unit,
        higher_is_better=indicator.higher_is_better,
        targets=TARGET_TYPES,
        source="case",
        kind=indicator.kind.value,
        scale=indicator.scale,
        description=indicator.description + " 对网格员：按其本人上报的案件统计（reporter）。",
    )


# Work counters: what the field-work services report per worker and month.
WORK_COUNTERS = {
    "patrol_seconds": "巡查时长合计（秒）",
    "patrol_distance_m": "巡查里程合计（米）",
    "patrol_days": "有巡查的天数",
    "coverage_sum": "各次巡查的网格覆盖率之和（%）",
    "patrols_covered": "已结束并算出覆盖率的巡查次数",
    "visits": "走访次数",
    "tasks_done": "完成任务数",
}

WORK_TARGETS = ("worker", *REGION_TARGETS)

WORK_INDICATORS: tuple[AssessmentIndicator, ...] = (
    AssessmentIndicator(
        "patrol_hours",
        "巡查时长",
        "巡查时长 = 当月各次巡查时长之和 ÷ 3600（小时）",
        "patrol_seconds",
        WORK_COUNTERS["patrol_seconds"],
        None,
        None,
        "小时",
        True,
        WORK_TARGETS,
        "work",
        "count",
        scale=3600.0,
        description="当月开始的巡查的时长合计（开始至结束，去除噪点后的轨迹统计）。",
    ),
    AssessmentIndicator(
        "patrol_km",
        "巡查里程",
        "巡查里程 = 当月各次巡查里程之和 ÷ 1000（公里）",
        "patrol_distance_m",
        WORK_COUNTERS["patrol_distance_m"],
        None,
        None,
        "公里",
        True,
        WORK_TARGETS,
        "work",
        "count",
        scale=1000.0,
        description="当月开始的巡查的轨迹里程合计。",
    ),
    AssessmentIndicator(
        "patrol_days",
        "巡查天数",
        "巡查天数 = 当月有巡查记录的天数",
        "patrol_days",
        WORK_COUNTERS["patrol_days"],
        None,
        None,
        "天",
        True,
        WORK_TARGETS,
        "work",
        "count",
        description="当月有至少一次巡查的自然日数（按本地日期）；区域为其网格员之和（人·天）。",
    ),
    AssessmentIndicator(
        "grid_coverage",
        "网格覆盖率",
        "网格覆盖率 = 各次巡查的网格覆盖率之和 ÷ 巡查次数（已结束的）",
        "coverage_sum",
        WORK_COUNTERS["coverage_sum"],
        "patrols_covered",
        WORK_COUNTERS["patrols_covered"],
        "%",
        True,
        WORK_TARGETS,
        "work",
        "average",
        description="当月已结束的巡查，每次轨迹（两侧各一定距离内）覆盖其网格面积的比例的平均值。",
    ),
    AssessmentIndicator(
        "visits",
        "走访次数",
        "走访次数 = 当月入户走访记录数",
        "visits",
        WORK_COUNTERS["visits"],
        None,
        None,
        "次",
        True,
        WORK_TARGETS,
        "work",
        "count",
        description="当月登记的入户走访（含特殊人群走访）。",
    ),
    AssessmentIndicator(
        "tasks_done",
        "完成任务数",
        "完成任务数 = 当月完成的任务数",
        "tasks_done",
        WORK_COUNTERS["tasks_done"],
        None,
        None,
        "项",
        True,
        WORK_TARGETS,
        "work",
        "count",
        description="当月标记为完成的任务（按接收人）。",
    ),
)

LIBRARY: tuple[AssessmentIndicator, ...] = (
    *(_from_case(i) for i in INDICATORS),
    *WORK_INDICATORS,
)
BY_CODE = {i.code: i for i in LIBRARY}


def value_of(indicator: AssessmentIndicator, sums: dict[str, float]) -> float | None:
    """The indicator's value from summed counters (2 decimals); None when the denominator
    is zero. The same arithmetic as ``analytics.indicators.value_of``."""
    numerator = sums.get(indicator.numerator, 0)
    if indicator.denominator is None:
        return round(numerator / indicator.scale, 2)
    denominator = sums.get(indicator.denominator, 0)
    if not denominator:
        return None
    if indicator.kind == "ratio":
        return round(100.0 * numerator / denominator, 2)
    return round(numerator / indicator.scale / denominator, 2)


# --- scoring -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    indicator: str
    weight: float
    rule: str = "linear"
    floor: float | None = None
    target: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator,
            "weight": self.weight,
            "rule": self.rule,
            "floor": self.floor,
            "target": self.target,
        }

    @classmethod
    def of(cls, data: dict[str, Any]) -> Item:
        return cls(
            str(data["indicator"]),
            float(data["weight"]),
            str(data.get("rule") or "linear"),
            None if data.get("floor") is None else float(data["floor"]),
            None if data.get("target") is None else float(data["target"]),
        )


def check_items(target_type: str, items: Sequence[Item]) -> list[str]:
    """Every problem of a scheme's items, in Chinese (empty when it is valid)."""
    problems: list[str] = []
    if target_type not in TARGET_TYPES:
        problems.append(f"考核对象类型应为 {'、'.join(TARGET_TYPES)} 之一，而不是“{target_type}”")
    if not items:
        problems.append("考核方案至少需要一个考核项")
    seen: set[str] = set()
    for n, item in enumerate(items, start=1):
        where = f"第 {n} 项"
        indicator = BY_CODE.get(item.indicator)
        if indicator is None:
            problems.append(f"{where}：指标“{item.indicator}”不存在")
        else:
            where = f"第 {n} 项（{indicator.name}）"
            if target_type in TARGET_TYPES and target_type not in indicator.targets:
                label = TARGET_LABELS[target_type]
                problems.append(f"{where}：该指标不适用于考核对象“{label}”")
        if item.indicator in seen:
            problems.append(f"{where}：指标重复")
        seen.add(item.indicator)
        if not item.weight > 0:
            problems.append(f"{where}：权重应大于 0")
        if item.rule not in RULES:
            problems.append(f"{where}：计分规则应为 linear（线性）或 rank（按名次）")
        elif item.rule == "linear":
            if item.floor is None or item.target is None:
                problems.append(f"{where}：线性计分需要保底值和目标值")
            elif indicator is not None:
                better = indicator.higher_is_better
                if better and not item.target > item.floor:
                    problems.append(f"{where}：该指标越高越好，目标值应大于保底值")
                if not better and not item.target < item.floor:
                    problems.append(f"{where}：该指标越低越好，目标值应小于保底值")
    total = round(sum(i.weight for i in items), 6)
    if items and abs(total - 100.0) > 0.01:
        problems.append(f"权重之和应为 100，现为 {total:g}")
    return problems


def linear_points(value: float, floor: float, target: float) -> float:
    """0 at the floor, 100 at the target, clipped; works in either direction."""
    share = (value - floor) / (target - floor)
    return round(100.0 * min(1.0, max(0.0, share)), 2)


def rank_positions(values: dict[str, float | None], higher_is_better: bool) -> dict[str, int]:
    """Competition ranks (1, 2, 2, 4) of the keys with a value, best first."""
    present = [(k, v) for k, v in values.items() if v is not None]
    sign = -1.0 if higher_is_better else 1.0
    present.sort(key=lambda kv: sign * float(kv[1] or 0.0))
    ranks: dict[str, int] = {}
    previous: float | None = None
    for n, (key, value) in enumerate(present, start=1):
        assert value is not None
        ranks[key] = ranks[present[n - 2][0]] if previous == value else n
        previous = value
    return ranks


def rank_points(ranks: dict[str, int]) -> dict[str, float]:
    """100 for the first, 0 for the last, linear in between (a single target gets 100)."""
    n = len(ranks)
    if n == 0:
        return {}
    if n == 1:
        return dict.fromkeys(ranks, 100.0)
    return {k: round(100.0 * (n - r) / (n - 1), 2) for k, r in ranks.items()}


def item_points(item: Item, values: dict[str, float | None]) -> dict[str, float | None]:
    """Points of one item for every target (None where the value is None)."""
    indicator = BY_CODE[item.indicator]
    if item.rule == "rank":
        points = rank_points(rank_positions(values, indicator.higher_is_better))
        return {k: points.get(k) for k in values}
    assert item.floor is not None and item.target is not None
    return {
        k: None if v is None else linear_points(v, item.floor, item.target)
        for k, v in values.items()
    }


def weighted_score(parts: Sequence[tuple[float, float | None]]) -> float:
    """Σ weight × points ÷ Σ weight over the scored parts (weight, points); 0 if none is."""
    scored = [(w, p) for w, p in parts if p is not None]
    total = sum(w for w, _ in scored)
    if total <= 0:
        return 0.0
    return round(sum(w * p for w, p in scored) / total, 2)

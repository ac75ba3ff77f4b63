"""Routing rules as data: ordered conditions → who handles a case. First match wins.

A rule set is a JSON document an admin edits; it is parsed by Pydantic and checked against the
categories and departments that exist, never evaluated as code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

SOURCES = ("citizen", "grid_worker", "department", "street", "community", "hotline", "sensor")
URGENCIES = ("normal", "urgent", "critical")
LEVELS = ("grid", "community", "street", "district")
Mode = Literal["auto", "recommend"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HoursWindow(_Strict):
    """Local hours [start, end); a window that wraps midnight (22→6) is allowed."""

    start: int = Field(ge=0, le=23)
    end: int = Field(ge=0, le=24)

    def covers(self, hour: int) -> bool:
        if self.start == self.end:
            return True
        if self.start < self.end:
            return self.start <= hour < self.end
        return hour >= self.start or hour < self.end


class Conditions(_Strict):
    """Every condition given must hold; a list matches when any of its items does."""

    categories: list[str] = Field(default_factory=list)  # a leaf code or a parent code
    regions: list[str] = Field(default_factory=list)  # region codes: the case lies inside one
    sources: list[str] = Field(default_factory=list)
    urgencies: list[str] = Field(default_factory=list)
    weekdays: list[int] = Field(default_factory=list)  # ISO: 1 = Monday … 7 = Sunday
    hours: HoursWindow | None = None
    keywords: list[str] = Field(default_factory=list)  # any of them in title or description

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        bad = [d for d in value if not 1 <= d <= 7]
        if bad:
            raise ValueError(f"星期应为 1–7：{bad}")
        return value


class Outcome(_Strict):
    department: str  # organisation code of the primary (主办) department
    assisting: list[str] = Field(default_factory=list, max_length=5)
    level: str | None = None
    time_limit_hours: float | None = Field(default=None, gt=0, le=24 * 90)
    mode: Mode = "auto"


class Rule(_Strict):
    id: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=100)
    enabled: bool = True
    when: Conditions = Field(default_factory=Conditions)
    then: Outcome


class Thresholds(_Strict):
    """Model confidence at or above which a case is dispatched with no operator. ``None``
    (the default) means the model only ever recommends."""

    default: float | None = Field(default=None, ge=0, le=1)
    by_category: dict[str, float | None] = Field(default_factory=dict)

    def for_category(self, code: str, parent_code: str | None) -> float | None:
        if code in self.by_category:
            return self.by_category[code]
        if parent_code and parent_code in self.by_category:
            return self.by_category[parent_code]
        return self.default


class RuleSetSpec(_Strict):
    rules: list[Rule] = Field(default_factory=list, max_length=500)
    thresholds: Thresholds = Field(default_factory=Thresholds)


@dataclass(frozen=True)
class CaseFacts:
    """What routing may look at: the case as reported, nothing about who handles it."""

    title: str
    description: str
    category_code: str
    parent_category_code: str | None
    region_path: str
    source: str
    urgency: str
    at_local: datetime

    @property
    def text(self) -> str:
        return f"{self.title} {self.description}"


def matches(rule: Rule, case: CaseFacts) -> bool:
    when = rule.when
    if when.categories and not (
        case.category_code in when.categories or case.parent_category_code in when.categories
    ):
        return False
    path_codes = case.region_path.split("/")
    if when.regions and not any(code in path_codes for code in when.regions):
        return False
    if when.sources and case.source not in when.sources:
        return False
    if when.urgencies and case.urgency not in when.urgencies:
        return False
    if when.weekdays and case.at_local.isoweekday() not in when.weekdays:
        return False
    if when.hours is not None and not when.hours.covers(case.at_local.hour):
        return False
    text = case.text
    return not when.keywords or any(word in text for word in when.keywords)


def first_match(spec: RuleSetSpec, case: CaseFacts) -> Rule | None:
    for rule in spec.rules:
        if rule.enabled and matches(rule, case):
            return rule
    return None


@dataclass(frozen=True)
class Known:
    """What a rule set may refer to."""

    categories: frozenset[str]
    departments: frozenset[str]
    regions: frozenset[str]


def check(document: dict[str, Any], known: Known) -> tuple[RuleSetSpec | None, list[str]]:
    """Parse and validate; the problems come back in Chinese, each naming the rule."""
    try:
        spec = RuleSetSpec.model_validate(document)
    except ValidationError as error:
        return None, [
            f"{'.'.join(str(part) for part in e['loc']) or '规则集'}：{e['msg']}"
            for e in error.errors()
        ]
    problems: list[str] = []
    seen: set[str] = set()
    for index, rule in enumerate(spec.rules, start=1):
        where = f"第 {index} 条规则（{rule.id}）"
        if rule.id in seen:
            problems.append(f"{where}：编号重复")
        seen.add(rule.id)
        problems += [
            f"{where}：未知的事件类别 {c}"
            for c in rule.when.categories
            if c not in known.categories
        ]
        problems += [
            f"{where}：未知的区域编码 {r}" for r in rule.when.regions if r not in known.regions
        ]
        problems += [f"{where}：未知的来源 {s}" for s in rule.when.sources if s not in SOURCES]
        problems += [
            f"{where}：未知的紧急程度 {u}" for u in rule.when.urgencies if u not in URGENCIES
        ]
        if rule.then.level is not None and rule.then.level not in LEVELS:
            problems.append(f"{where}：未知的层级 {rule.then.level}")
        for code in [rule.then.department, *rule.then.assisting]:
            if code not in known.departments:
                problems.append(f"{where}：{code} 不是区直部门")
        if rule.then.department in rule.then.assisting:
            problems.append(f"{where}：主办部门不能同时作为协办部门")
        if any(not word.strip() for word in rule.when.keywords):
            problems.append(f"{where}：关键词不能为空")
    problems += [
        f"阈值：未知的事件类别 {c}"
        for c in spec.thresholds.by_category
        if c not in known.categories
    ]
    return (spec if not problems else None), problems

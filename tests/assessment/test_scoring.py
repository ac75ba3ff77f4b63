"""The scoring arithmetic: linear and rank points, the weighted score, and the validation of a
scheme's items (every problem listed, in Chinese)."""

from __future__ import annotations

import pytest

from gridgov.assessment.indicators import (
    BY_CODE,
    Item,
    check_items,
    item_points,
    linear_points,
    rank_points,
    rank_positions,
    value_of,
    weighted_score,
)


def test_linear_points_in_both_directions() -> None:
    assert linear_points(80.0, 60.0, 100.0) == 50.0
    assert linear_points(59.0, 60.0, 100.0) == 0.0
    assert linear_points(120.0, 60.0, 100.0) == 100.0
    # Lower is better (返工率): floor 20 %, target 0 %.
    assert linear_points(5.0, 20.0, 0.0) == 75.0
    assert linear_points(25.0, 20.0, 0.0) == 0.0
    assert linear_points(0.0, 20.0, 0.0) == 100.0


def test_rank_points_share_ties_and_skip_missing_values() -> None:
    values: dict[str, float | None] = {"a": 90.0, "b": 70.0, "c": 90.0, "d": None, "e": 50.0}
    ranks = rank_positions(values, higher_is_better=True)
    assert ranks == {"a": 1, "c": 1, "b": 3, "e": 4}
    points = item_points(Item("closure_rate", 10, "rank"), values)
    # Four ranked targets: 100 × (4 − rank) ÷ 3.
    assert points == {"a": 100.0, "c": 100.0, "b": 33.33, "e": 0.0, "d": None}
    low = rank_positions({"x": 3.0, "y": 1.0}, higher_is_better=False)
    assert low == {"y": 1, "x": 2}
    assert rank_points({"only": 1}) == {"only": 100.0}


def test_weighted_score_reweights_over_the_scored_items() -> None:
    assert weighted_score([(40, 100.0), (60, 50.0)]) == 70.0
    # An item without a value (nothing to divide by) is left out, not counted as zero.
    assert weighted_score([(40, 100.0), (60, None)]) == 100.0
    assert weighted_score([(40, None)]) == 0.0


def test_work_indicator_values() -> None:
    hours = BY_CODE["patrol_hours"]
    assert value_of(hours, {"patrol_seconds": 5400}) == 1.5
    coverage = BY_CODE["grid_coverage"]
    assert value_of(coverage, {"coverage_sum": 150.0, "patrols_covered": 3}) == 50.0
    assert value_of(coverage, {"coverage_sum": 0.0, "patrols_covered": 0}) is None
    closure = BY_CODE["closure_rate"]
    assert value_of(closure, {"due_closed": 2, "due": 3}) == 66.67


def test_valid_scheme_has_no_problems() -> None:
    items = [
        Item("closure_rate", 60, "linear", 60, 100),
        Item("rework_rate", 30, "linear", 20, 0),
        Item("overdue_open", 10, "rank"),
    ]
    assert check_items("street", items) == []


@pytest.mark.parametrize(
    ("target_type", "items", "expected"),
    [
        ("street", [Item("closure_rate", 50, "linear", 60, 100)], ["权重之和应为 100，现为 50"]),
        (
            "department",
            [Item("patrol_hours", 100, "rank")],
            ["第 1 项（巡查时长）：该指标不适用于考核对象“部门”"],
        ),
        ("grid", [Item("nope", 100, "rank")], ["第 1 项：指标“nope”不存在"]),
        (
            "grid",
            [Item("rework_rate", 100, "linear", 0, 20)],
            ["第 1 项（返工率）：该指标越低越好，目标值应小于保底值"],
        ),
    ],
)
def test_each_problem_is_named(target_type: str, items: list[Item], expected: list[str]) -> None:
    assert check_items(target_type, items) == expected


def test_every_problem_is_listed_at_once() -> None:
    problems = check_items(
        "team",
        [
            Item("closure_rate", 0, "linear", None, 100),
            Item("closure_rate", 50, "best"),
        ],
    )
    assert problems == [
        "考核对象类型应为 worker、grid、community、street、department 之一，而不是“team”",
        "第 1 项（结案率）：权重应大于 0",
        "第 1 项（结案率）：线性计分需要保底值和目标值",
        "第 2 项（结案率）：指标重复",
        "第 2 项（结案率）：计分规则应为 linear（线性）或 rank（按名次）",
        "权重之和应为 100，现为 50",
    ]

"""Routing rules and the decision they lead to, without a database: conditions, order,
validation, thresholds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from gridgov.orgs.services import DepartmentRef
from gridgov.routing.rules import CaseFacts, Known, RuleSetSpec, check, first_match
from gridgov.routing.services import LoadedModel, decide_with

DIRECTORY = {
    code: DepartmentRef(id=n, code=code, name=name)
    for n, (code, name) in enumerate(
        [("dept-xf", "消防"), ("dept-hb", "生态环境"), ("dept-ga", "公安"), ("dept-cg", "城管")],
        start=1,
    )
}
KNOWN = Known(
    categories=frozenset({"02", "0203", "0201", "04", "0401"}),
    departments=frozenset(DIRECTORY),
    regions=frozenset({"370811002", "370811006"}),
)


def case(**changes: Any) -> CaseFacts:
    facts: dict[str, Any] = {
        "title": "楼下广场舞噪音扰民",
        "description": "每晚十点后音响很吵",
        "category_code": "0203",
        "parent_category_code": "02",
        "region_path": "370811/370811002/370811002001/370811002001001",
        "source": "citizen",
        "urgency": "normal",
        "at_local": datetime(2026, 11, 30, 23, 15),  # a Monday night
    }
    return CaseFacts(**{**facts, **changes})


def rule(rule_id: str, department: str, **when: Any) -> dict[str, Any]:
    return {"id": rule_id, "name": rule_id, "when": when, "then": {"department": department}}


def spec(*rules: dict[str, Any], **thresholds: Any) -> RuleSetSpec:
    parsed, problems = check({"rules": list(rules), "thresholds": thresholds}, KNOWN)
    assert parsed is not None, problems
    return parsed


@pytest.mark.parametrize(
    ("when", "facts", "hit"),
    [
        ({"categories": ["0203"]}, {}, True),
        ({"categories": ["02"]}, {}, True),  # a parent code covers its leaves
        ({"categories": ["0201"]}, {}, False),
        ({"regions": ["370811002"]}, {}, True),
        ({"regions": ["370811006"]}, {}, False),
        ({"sources": ["hotline"]}, {}, False),
        ({"sources": ["hotline"]}, {"source": "hotline"}, True),
        ({"urgencies": ["urgent"]}, {}, False),
        ({"weekdays": [1]}, {}, True),
        ({"weekdays": [6, 7]}, {}, False),
        ({"hours": {"start": 22, "end": 6}}, {}, True),  # wraps midnight
        ({"hours": {"start": 22, "end": 6}}, {"at_local": datetime(2026, 11, 30, 3, 0)}, True),
        ({"hours": {"start": 22, "end": 6}}, {"at_local": datetime(2026, 11, 30, 12, 0)}, False),
        ({"hours": {"start": 8, "end": 18}}, {}, False),
        ({"keywords": ["音响", "喇叭"]}, {}, True),
        ({"keywords": ["喇叭"]}, {}, False),
        ({"categories": ["0203"], "sources": ["citizen"], "keywords": ["吵"]}, {}, True),
        ({"categories": ["0203"], "sources": ["grid_worker"]}, {}, False),  # all must hold
    ],
)
def test_each_condition(when: dict[str, Any], facts: dict[str, Any], hit: bool) -> None:
    found = first_match(spec(rule("r", "dept-hb", **when)), case(**facts))
    assert (found is not None) is hit


def test_rules_are_ordered_and_the_first_match_wins() -> None:
    rules = spec(
        rule("noise-any-time", "dept-hb", categories=["0203"]),
        rule("noise-at-night", "dept-ga", categories=["0203"], hours={"start": 22, "end": 6}),
    )
    found = first_match(rules, case())
    assert found is not None and found.id == "noise-any-time"
    swapped = RuleSetSpec(rules=list(reversed(rules.rules)))
    found = first_match(swapped, case())
    assert found is not None and found.id == "noise-at-night"


def test_a_disabled_rule_is_skipped() -> None:
    first = {**rule("off", "dept-ga", categories=["0203"]), "enabled": False}
    found = first_match(spec(first, rule("on", "dept-hb")), case())
    assert found is not None and found.id == "on"


def test_validation_names_every_problem() -> None:
    parsed, problems = check(
        {
            "rules": [
                rule("a", "dept-unknown", categories=["9999"], regions=["110101"]),
                {
                    **rule("a", "dept-hb", sources=["fax"]),
                    "then": {"department": "dept-hb", "assisting": ["dept-hb"], "level": "city"},
                },
            ],
            "thresholds": {"by_category": {"7777": 0.5}},
        },
        KNOWN,
    )
    assert parsed is None
    text = "\n".join(problems)
    for expected in ("dept-unknown", "9999", "110101", "编号重复", "fax", "city", "协办", "7777"):
        assert expected in text, (expected, problems)


@pytest.mark.parametrize(
    "document",
    [
        {"rules": [{"id": "x", "name": "x", "then": {}}]},  # no department
        {"rules": [{"id": "x", "name": "x", "then": {"department": "dept-hb"}, "if": {}}]},
        {"rules": [rule("x", "dept-hb", weekdays=[8])]},
        {"rules": [rule("x", "dept-hb", hours={"start": 25, "end": 3})]},
        {"thresholds": {"default": 1.5}},
        {"rules": "not a list"},
    ],
)
def test_malformed_documents_are_refused(document: dict[str, Any]) -> None:
    parsed, problems = check(document, KNOWN)
    assert parsed is None and problems


def test_thresholds_fall_back_from_leaf_to_parent_to_default() -> None:
    rules = spec(default=0.9, by_category={"02": 0.7, "0203": None})
    assert rules.thresholds.for_category("0203", "02") is None
    assert rules.thresholds.for_category("0201", "02") == 0.7
    assert rules.thresholds.for_category("0401", "04") == 0.9


class FakeModel:
    """Stands in for a trained model: decide_with only reads its version."""


def loaded() -> LoadedModel:
    return LoadedModel(version=7, department=FakeModel(), category=None)  # type: ignore[arg-type]


PROBABILITIES = [("dept-hb", 0.82), ("dept-ga", 0.1), ("dept-cg", 0.05), ("dept-xf", 0.03)]


def decide(rules: RuleSetSpec | None, probabilities: Any = PROBABILITIES) -> Any:
    return decide_with(
        case(),
        directory=DIRECTORY,
        default_department="dept-cg",
        rule_set_version=3,
        spec=rules,
        model=loaded() if probabilities else None,
        probabilities=probabilities,
    )


def test_a_rule_decides_before_the_model_and_says_so() -> None:
    decision = decide(spec(rule("night", "dept-ga", categories=["0203"])))
    assert (decision.mode, decision.decided_by, decision.department_code) == (
        "auto",
        "rule",
        "dept-ga",
    )
    assert (decision.rule_id, decision.rule_set_version, decision.confidence) == ("night", 3, 1.0)
    # The model's other candidates follow the rule's department, without repeating it.
    assert [c.department_code for c in decision.candidates] == ["dept-ga", "dept-hb", "dept-cg"]


@pytest.mark.parametrize(
    ("threshold", "mode"), [(0.8, "auto"), (0.82, "auto"), (0.83, "recommend"), (None, "recommend")]
)
def test_the_model_dispatches_only_at_or_above_the_threshold(
    threshold: float | None, mode: str
) -> None:
    decision = decide(spec(default=threshold))
    assert (decision.mode, decision.decided_by, decision.model_version) == (mode, "model", 7)
    assert [c.department_code for c in decision.candidates] == ["dept-hb", "dept-ga", "dept-cg"]
    assert decision.confidence == pytest.approx(0.82)


def test_a_recommend_rule_never_dispatches() -> None:
    quiet = rule("noise", "dept-hb")
    quiet["then"]["mode"] = "recommend"
    assert decide(spec(quiet)).mode == "recommend"


def test_without_rules_or_model_the_category_default_is_recommended() -> None:
    decision = decide(None, probabilities=None)
    assert (decision.mode, decision.decided_by, decision.department_code) == (
        "recommend",
        "category",
        "dept-cg",
    )

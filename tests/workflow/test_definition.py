from __future__ import annotations

import copy
from typing import Any

import pytest

from gridgov.events.catalog import EVENT_WORKFLOW
from gridgov.kit.errors import InvalidInput
from gridgov.workflow.definition import parse


def _broken(change: Any) -> list[str]:
    definition = copy.deepcopy(EVENT_WORKFLOW)
    change(definition)
    with pytest.raises(InvalidInput) as caught:
        parse(definition)
    errors: list[str] = caught.value.details["errors"]
    return errors


def test_the_default_closed_loop_is_valid() -> None:
    spec = parse(EVENT_WORKFLOW)
    assert spec.initial == "reported"
    assert {name for name, state in spec.states.items() if state.final} == {"rated", "voided"}


def test_unreachable_state_is_refused() -> None:
    errors = _broken(lambda d: d["states"].update({"limbo": {"label": "悬空"}}))
    assert any("limbo" in e and "不可达" in e for e in errors)


def test_state_that_cannot_end_is_refused() -> None:
    def trap(d: dict[str, Any]) -> None:
        d["states"]["trap"] = {"label": "死循环"}
        d["transitions"].append(
            {"action": "enter_trap", "label": "进入", "from": ["handling"], "to": "trap"}
        )

    errors = _broken(trap)
    assert any("trap" in e and "无法到达任何终止状态" in e for e in errors)


def test_unknown_names_and_final_exits_are_refused() -> None:
    def bad(d: dict[str, Any]) -> None:
        d["transitions"].append(
            {
                "action": "resurrect",
                "label": "复活",
                "from": ["voided"],
                "to": "reported",
                "permissions": ["events.magic"],
            }
        )
        d["transitions"].append(
            {"action": "go", "label": "去", "from": ["nowhere"], "to": "closed"}
        )

    errors = _broken(bad)
    assert any("events.magic" in e for e in errors)
    assert any("终止状态 voided" in e for e in errors)
    assert any("nowhere" in e for e in errors)


def test_malformed_definition_is_refused_with_reasons() -> None:
    errors = _broken(lambda d: d.pop("initial"))
    assert errors


def _with(change: Any) -> dict[str, Any]:
    definition = copy.deepcopy(EVENT_WORKFLOW)
    change(definition)
    return definition


def test_step_limits_levels_and_escalation_rules_are_data() -> None:
    def add(d: dict[str, Any]) -> None:
        d["states"]["handling"]["time_limit_hours"] = 16
        d["transitions"][0]["levels"] = ["street", "district"]
        d["escalation"] = [
            {"state": "dispatched", "after_hours": 4, "notify": ["center_operator"]},
            {"state": "handling", "notify": ["street_staff"], "action": "escalate"},
        ]

    spec = parse(_with(add))
    assert spec.states["handling"].time_limit_hours == 16
    assert spec.transitions[0].levels == ["street", "district"]
    assert [r.action for r in spec.rules_for("handling")] == ["escalate"]


def test_bad_escalation_rules_are_refused_with_readable_reasons() -> None:
    def bad(d: dict[str, Any]) -> None:
        d["escalation"] = [
            {"state": "dispatched", "after_hours": 4, "action": "approve"},  # not from here
            {"state": "accepted", "after_hours": 4, "action": "dispatch"},  # needs a department
            {"state": "handling", "notify": ["center_operator"]},  # no limit, no hours
            {"state": "reported", "notify": ["mayor"]},
            {"state": "rated", "after_hours": 1, "notify": ["leader"]},
            {"state": "nowhere", "after_hours": 1, "notify": ["leader"]},
            {"state": "accepted", "after_hours": 1},
        ]

    errors = _broken(bad)
    assert "升级规则第 1 条（状态 dispatched）：该状态下没有动作 approve" in errors
    assert any(
        e.startswith("升级规则第 2 条") and "department_id" in e and "系统无法自动执行" in e
        for e in errors
    )
    assert any(e.startswith("升级规则第 3 条") and "after_hours" in e for e in errors)
    assert "升级规则第 4 条（状态 reported）：未知角色 mayor" in errors
    assert "升级规则第 5 条（状态 rated）：终止状态不能设置升级规则" in errors
    assert "升级规则第 6 条（状态 nowhere）：状态 nowhere 未定义" in errors
    assert any(e.startswith("升级规则第 7 条") and "至少填写一项" in e for e in errors)


def test_a_rule_action_limited_to_people_the_platform_is_not_is_refused() -> None:
    def bad(d: dict[str, Any]) -> None:
        d["escalation"] = [{"state": "reported", "after_hours": 1, "action": "self_settle"}]

    errors = _broken(bad)
    # 自办结 is the grid worker's own (and needs a comment the platform can write, but not the
    # role): the platform acts as a district administrator.
    assert any("self_settle" in e and "限定了角色或层级" in e for e in errors)


def test_time_limits_on_final_or_stopped_states_are_refused() -> None:
    def bad(d: dict[str, Any]) -> None:
        d["states"]["rated"]["time_limit_hours"] = 4
        d["states"]["suspended"]["time_limit_hours"] = 4

    errors = _broken(bad)
    assert "终止状态 rated 不能设置时限" in errors
    assert "状态 suspended 计时暂停，不能设置时限" in errors


def test_malformed_fields_are_named_where_they_are_in_chinese() -> None:
    def bad(d: dict[str, Any]) -> None:
        d["states"]["handling"]["time_limt_hours"] = 3  # a typo must not be ignored
        d["states"]["accepted"]["time_limit_hours"] = -1
        d["transitions"][0]["levels"] = ["town"]
        d["escalation"] = [{"state": "reported", "after_hours": "soon", "notify": []}]

    errors = _broken(bad)
    assert "states.handling.time_limt_hours：不认识的字段（请检查拼写）" in errors
    assert "states.accepted.time_limit_hours：必须大于 0" in errors
    assert any(e.startswith("transitions[0].levels[0]：只能是") and "district" in e for e in errors)
    assert "escalation[0].after_hours：应为数字" in errors

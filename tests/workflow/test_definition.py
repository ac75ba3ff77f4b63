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

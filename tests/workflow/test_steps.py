"""Step deadlines on the office calendar, and who may perform a level-limited transition."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import ROLE_PERMISSIONS, Role
from gridgov.accounts.scope import Scope
from gridgov.events.catalog import EVENT_WORKFLOW
from gridgov.kit.calendar import WorkCalendar
from gridgov.workflow.definition import parse
from gridgov.workflow.services import actor_level, may_perform
from gridgov.workflow.steps import entering, step_times

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2022, 12, day, hour, minute, tzinfo=SHANGHAI)


RULES: list[dict[str, Any]] = [
    {"state": "dispatched", "after_hours": 3, "notify": ["center_operator"]},
    {"state": "dispatched", "action": "escalate"},
]


def _spec(rules: list[dict[str, Any]] = RULES, **states: dict[str, Any]) -> Any:
    definition = copy.deepcopy(EVENT_WORKFLOW)
    for name, extra in states.items():
        definition["states"][name].update(extra)
    definition["escalation"] = rules
    return parse(definition)


def test_a_step_limit_counts_office_hours_only() -> None:
    spec = _spec(dispatched={"time_limit_hours": 2})
    friday_afternoon = local(2, 16, 30)  # 2022-12-02 was a Friday
    times = step_times(spec, "dispatched", friday_afternoon, WorkCalendar(), warning_share=0.8)
    # One hour on Friday (16:30–17:30), the second on Monday morning from 08:30.
    assert times.deadline_at == local(5, 9, 30)
    # Yellow at 80 % of the time between entering and the deadline.
    assert times.warn_at == friday_afternoon + (local(5, 9, 30) - friday_afternoon) * 0.8
    kinds = [(p.kind, p.at) for p in times.checkpoints]
    # The 3-hour rule falls after the limit (Monday 10:30); the rule without hours is due
    # at the limit itself, after the overdue notice.
    assert kinds == [
        ("warning", times.warn_at),
        ("overdue", local(5, 9, 30)),
        ("rule", local(5, 9, 30)),
        ("rule", local(5, 10, 30)),
    ]
    assert [p.rule.action for p in times.checkpoints if p.rule] == ["escalate", None]


def test_states_without_limit_or_rules_have_no_step_deadline() -> None:
    spec = _spec([{"state": "handling", "after_hours": 3, "notify": ["leader"]}])
    values = entering(spec, "closed", local(2, 10), WorkCalendar())
    assert values == {
        "step_deadline_at": None,
        "step_warn_at": None,
        "step_sla_stage": 0,
        "step_due_at": None,
    }
    # Rules alone still need the scan to look again, with no step limit to show.
    only_rules = entering(spec, "handling", local(2, 10), WorkCalendar())
    assert only_rules["step_deadline_at"] is None
    # 10:00 + 3 office hours: two before lunch, one after 13:30.
    assert only_rules["step_due_at"] == local(2, 14, 30)


def _actor(role: Role, paths: tuple[str, ...] | None) -> Actor:
    return Actor(
        id=1,
        username=role.value,
        role=role,
        scope=Scope(region_paths=paths),
        permissions=ROLE_PERMISSIONS[role],
    )


def test_levels_limit_who_may_perform_a_transition() -> None:
    definition = copy.deepcopy(EVENT_WORKFLOW)
    accept = definition["transitions"][0]
    assert accept["action"] == "accept"
    accept["permissions"] = ["events.report"]  # anyone reporting, but only at these levels
    accept["levels"] = ["street", "district"]
    transition = parse(definition).transitions[0]
    street = _actor(Role.STREET_STAFF, ("370811/370811002/",))
    community = _actor(Role.COMMUNITY_STAFF, ("370811/370811002/370811002001/",))
    worker = _actor(Role.GRID_WORKER, ("370811/370811002/370811002001/370811002001001/",))
    assert [actor_level(a) for a in (street, community, worker)] == ["street", "community", "grid"]
    assert may_perform(transition, street)
    assert not may_perform(transition, community)
    assert not may_perform(transition, worker)
    assert actor_level(Actor.system()) == "district" and may_perform(transition, Actor.system())
    assert actor_level(_actor(Role.DEPARTMENT_HANDLER, None)) == "district"
    assert actor_level(_actor(Role.CITIZEN, None)) is None

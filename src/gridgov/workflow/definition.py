"""Workflow definitions are data: states, an initial state, transitions naming who may perform
them and what they require, step time limits and escalation rules. This module validates one;
nothing in it is ever evaluated as code.

A definition is JSON::

    {
      "initial": "reported",
      "states": {"dispatched": {"label": "已派遣", "time_limit_hours": 4}, ...},
      "transitions": [{"action": "receive", "label": "签收", "from": ["dispatched"],
                       "to": "handling", "permissions": ["events.handle"],
                       "levels": ["district"], "required": ["comment"]}, ...],
      "escalation": [{"state": "dispatched", "after_hours": 4,
                      "notify": ["center_operator"], "action": "escalate"}]
    }

* ``time_limit_hours``: working hours (on the office calendar) an instance may stay in the
  state; it turns yellow at the configured share and is overdue after it.
* ``levels``: the region levels (grid, community, street, district) of the accounts allowed to
  perform a transition, on top of its permissions and roles (see ``services.actor_level``).
* ``escalation``: what happens when an instance stays in ``state`` for ``after_hours`` working
  hours (the state's time limit when left out): the roles in ``notify`` are told, and the
  transition ``action`` is performed by the platform itself. Such an action must exist from that
  state and need nothing but a comment, since no person fills it in.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from gridgov.accounts.permissions import Perm, Role
from gridgov.kit.errors import InvalidInput
from gridgov.kit.validation import describe_error

NAME = r"^[a-z][a-z0-9_]{0,39}$"
# A transition whose target is SAME records an act (a supervision card, an instruction)
# without moving the case.
SAME = "="
LEVELS = ("grid", "community", "street", "district")
LEVEL_LABELS = {"grid": "网格", "community": "社区", "street": "镇街", "district": "区级"}
Level = Literal["grid", "community", "street", "district"]
# What the platform itself can supply when it performs an escalation rule's action.
AUTOMATIC_FIELDS = frozenset({"comment"})
# The platform acts as a district-level administrator (``Actor.system``).
SYSTEM_ROLE = Role.ADMIN.value
SYSTEM_LEVEL = "district"
MAX_HOURS = 2_000


class StateSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=20)
    final: bool = False
    # Whether the SLA clock runs in this state (suspended cases stop it).
    clock: Literal["running", "stopped"] = "running"
    time_limit_hours: float | None = Field(default=None, gt=0, le=MAX_HOURS)


class TransitionSpec(BaseModel):
    """``to`` is a state name, or SAME ("=") to stay where the case is."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    action: str = Field(pattern=NAME)
    label: str = Field(min_length=1, max_length=20)
    sources: list[str] = Field(alias="from", min_length=1)
    to: str
    permissions: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    levels: list[Level] = Field(default_factory=list)
    required: list[str] = Field(default_factory=list, description="fields the action must carry")


class EscalationRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: str
    after_hours: float | None = Field(default=None, gt=0, le=MAX_HOURS)
    notify: list[str] = Field(default_factory=list)
    action: str | None = None


class DefinitionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    initial: str
    states: dict[str, StateSpec]
    transitions: list[TransitionSpec]
    escalation: list[EscalationRule] = Field(default_factory=list)

    def transition(self, state: str, action: str) -> TransitionSpec | None:
        return next(
            (t for t in self.transitions if t.action == action and state in t.sources), None
        )

    def rules_for(self, state: str) -> list[EscalationRule]:
        return [rule for rule in self.escalation if rule.state == state]


def parse(definition: dict[str, Any]) -> DefinitionSpec:
    """Validate a definition and return it parsed; every problem is named in the error."""
    spec, problems = check(definition)
    if problems or spec is None:
        message = "流程定义格式错误" if spec is None else "流程定义不合法"
        raise InvalidInput(message, code="invalid_workflow", errors=problems)
    return spec


def check(definition: dict[str, Any]) -> tuple[DefinitionSpec | None, list[str]]:
    """The parsed definition (None when malformed) and every problem found, in Chinese."""
    try:
        spec = DefinitionSpec.model_validate(definition)
    except ValidationError as exc:
        return None, [_format_error(e) for e in exc.errors()]
    problems: list[str] = []
    states = spec.states
    if spec.initial not in states:
        problems.append(f"初始状态 {spec.initial} 未定义")
    if not any(s.final for s in states.values()):
        problems.append("至少需要一个终止状态")
    for name, state in states.items():
        if state.time_limit_hours is not None and state.final:
            problems.append(f"终止状态 {name} 不能设置时限")
        elif state.time_limit_hours is not None and state.clock == "stopped":
            problems.append(f"状态 {name} 计时暂停，不能设置时限")
    known_permissions = {p.value for p in Perm}
    known_roles = {r.value for r in Role}
    seen: set[tuple[str, str]] = set()
    for t in spec.transitions:
        for source in t.sources:
            if source not in states:
                problems.append(f"动作 {t.action} 的起始状态 {source} 未定义")
            elif states[source].final:
                problems.append(f"终止状态 {source} 不能再有动作 {t.action}")
            if (source, t.action) in seen:
                problems.append(f"状态 {source} 下动作 {t.action} 重复")
            seen.add((source, t.action))
        if t.to != SAME and t.to not in states:
            problems.append(f"动作 {t.action} 的目标状态 {t.to} 未定义")
        problems += [
            f"动作 {t.action} 使用了未知权限 {p}"
            for p in t.permissions
            if p not in known_permissions
        ]
        problems += [f"动作 {t.action} 使用了未知角色 {r}" for r in t.roles if r not in known_roles]
    for number, rule in enumerate(spec.escalation, start=1):
        problems += _rule_problems(spec, number, rule, known_roles)
    if not problems:
        problems += _reachability(spec)
    return spec, problems


def _rule_problems(
    spec: DefinitionSpec, number: int, rule: EscalationRule, known_roles: set[str]
) -> list[str]:
    where = f"升级规则第 {number} 条（状态 {rule.state}）"
    state = spec.states.get(rule.state)
    if state is None:
        return [f"{where}：状态 {rule.state} 未定义"]
    problems: list[str] = []
    if state.final:
        problems.append(f"{where}：终止状态不能设置升级规则")
    if state.clock == "stopped":
        problems.append(f"{where}：该状态计时暂停，不能设置升级规则")
    if rule.after_hours is None and state.time_limit_hours is None:
        problems.append(f"{where}：该状态没有时限，请填写 after_hours（超过多少工作小时）")
    if not rule.notify and rule.action is None:
        problems.append(f"{where}：notify（通知的角色）和 action（自动执行的动作）至少填写一项")
    problems += [f"{where}：未知角色 {r}" for r in rule.notify if r not in known_roles]
    if rule.action is not None:
        transition = spec.transition(rule.state, rule.action)
        if transition is None:
            problems.append(f"{where}：该状态下没有动作 {rule.action}")
        else:
            missing = [f for f in transition.required if f not in AUTOMATIC_FIELDS]
            if missing:
                problems.append(
                    f"{where}：动作 {rule.action} 需要填写 {'、'.join(missing)}，系统无法自动执行"
                )
            if (transition.roles and SYSTEM_ROLE not in transition.roles) or (
                transition.levels and SYSTEM_LEVEL not in transition.levels
            ):
                problems.append(
                    f"{where}：动作 {rule.action} 限定了角色或层级，系统（区级管理员）无法自动执行"
                )
    return problems


def _reachability(spec: DefinitionSpec) -> list[str]:
    forward: dict[str, set[str]] = {name: set() for name in spec.states}
    backward: dict[str, set[str]] = {name: set() for name in spec.states}
    for t in spec.transitions:
        for source in t.sources:
            target = source if t.to == SAME else t.to
            forward[source].add(target)
            backward[target].add(source)
    reachable = _walk(spec.initial, forward)
    finals = [name for name, state in spec.states.items() if state.final]
    can_end: set[str] = set()
    for final in finals:
        can_end |= _walk(final, backward)
    problems = [f"状态 {name} 从初始状态不可达" for name in spec.states if name not in reachable]
    problems += [f"状态 {name} 无法到达任何终止状态" for name in spec.states if name not in can_end]
    return problems


def _walk(start: str, edges: dict[str, set[str]]) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in edges[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _format_error(error: ErrorDetails) -> str:
    return describe_error(error, "流程定义")

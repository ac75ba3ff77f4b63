"""Workflow definitions are data: states, an initial state, and transitions naming who may
perform them and what they require. This module validates one; nothing in it is ever
evaluated as code."""

from __future__ import annotations

from collections import deque
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from gridgov.accounts.permissions import Perm, Role
from gridgov.kit.errors import InvalidInput

NAME = r"^[a-z][a-z0-9_]{0,39}$"
# A transition whose target is SAME records an act (a supervision card, an instruction)
# without moving the case.
SAME = "="


class StateSpec(BaseModel):
    label: str = Field(min_length=1, max_length=20)
    final: bool = False
    # Whether the SLA clock runs in this state (suspended cases stop it).
    clock: Literal["running", "stopped"] = "running"


class TransitionSpec(BaseModel):
    """``to`` is a state name, or SAME ("=") to stay where the case is."""

    action: str = Field(pattern=NAME)
    label: str = Field(min_length=1, max_length=20)
    sources: list[str] = Field(alias="from", min_length=1)
    to: str
    permissions: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    required: list[str] = Field(default_factory=list, description="fields the action must carry")

    model_config = {"populate_by_name": True}


class DefinitionSpec(BaseModel):
    initial: str
    states: dict[str, StateSpec]
    transitions: list[TransitionSpec]


def parse(definition: dict[str, Any]) -> DefinitionSpec:
    """Validate a definition and return it parsed; every problem is named in the error."""
    try:
        spec = DefinitionSpec.model_validate(definition)
    except ValidationError as exc:
        raise InvalidInput(
            "流程定义格式错误", code="invalid_workflow", errors=[e["msg"] for e in exc.errors()]
        ) from exc
    problems: list[str] = []
    states = spec.states
    if spec.initial not in states:
        problems.append(f"初始状态 {spec.initial} 未定义")
    if not any(s.final for s in states.values()):
        problems.append("至少需要一个终止状态")
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
    if not problems:
        problems += _reachability(spec)
    if problems:
        raise InvalidInput("流程定义不合法", code="invalid_workflow", errors=problems)
    return spec


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

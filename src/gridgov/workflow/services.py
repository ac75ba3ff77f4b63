"""The engine: start an instance, perform an action, read the timeline, verify the chain.

Callers (events, disputes) decide whether their subject may be acted on by this actor; the
engine decides whether the action exists in the current state, whether the actor's role and
permissions allow it, whether the required fields are there, and whether the caller saw the
latest version."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.audit import services as audit
from gridgov.kit.clock import now
from gridgov.kit.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gridgov.workflow import repository
from gridgov.workflow.definition import SAME, DefinitionSpec, TransitionSpec, parse
from gridgov.workflow.models import WorkflowDefinition, WorkflowInstance, WorkflowStep

GENESIS = "0" * 64


def step_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the entry's content, in a canonical JSON form."""
    body = json.dumps(
        fields, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":")
    )
    return hashlib.sha256(f"{prev_hash}|{body}".encode()).hexdigest()


def _hashed_fields(step: WorkflowStep) -> dict[str, Any]:
    return {
        "instance_id": step.instance_id,
        "seq": step.seq,
        "action": step.action,
        "from": step.from_state,
        "to": step.to_state,
        "actor_id": step.actor_id,
        "actor": step.actor_username,
        "at": step.at.isoformat(),
        "comment": step.comment,
        "data": step.data,
    }


def save_definition(
    session: Session, code: str, name: str, definition: dict[str, Any], *, actor: Actor
) -> WorkflowDefinition:
    """A new version of a workflow; instances already running keep theirs."""
    actor.require(Perm.WORKFLOWS_WRITE)
    parse(definition)
    current = repository.current_definition(session, code)
    saved = WorkflowDefinition(
        code=code,
        version=(current.version + 1) if current else 1,
        name=name,
        definition=definition,
        created_by=actor.username,
    )
    repository.add_definition(session, saved)
    audit.record(
        session,
        actor=actor,
        action="workflow.save",
        object_type="workflow",
        object_id=f"{code}@{saved.version}",
        summary=f"保存流程 {name}（第 {saved.version} 版）",
    )
    return saved


# A saved version never changes, so each is parsed once per process.
_parsed: dict[int, DefinitionSpec] = {}


def spec_of(definition: WorkflowDefinition) -> DefinitionSpec:
    spec = _parsed.get(definition.id)
    if spec is None:
        spec = _parsed[definition.id] = parse(definition.definition)
    return spec


def definition_of(session: Session, instance: WorkflowInstance) -> DefinitionSpec:
    return spec_of(repository.get_definition(session, instance.definition_id))


def start(
    session: Session,
    code: str,
    *,
    subject_type: str,
    subject_id: int,
    region_path: str,
    actor: Actor,
    comment: str = "",
    data: dict[str, Any] | None = None,
) -> WorkflowInstance:
    definition = repository.current_definition(session, code)
    if definition is None:
        raise NotFound(f"流程 {code} 未定义", code="workflow_not_found")
    spec = spec_of(definition)
    moment = now()
    instance = WorkflowInstance(
        definition_id=definition.id,
        subject_type=subject_type,
        subject_id=subject_id,
        state=spec.initial,
        version=1,
        region_path=region_path,
        started_at=moment,
        state_entered_at=moment,
    )
    repository.add_instance(session, instance)
    _append(session, instance, "start", None, spec.initial, actor, comment, data or {}, moment)
    return instance


def _append(
    session: Session,
    instance: WorkflowInstance,
    action: str,
    from_state: str | None,
    to_state: str,
    actor: Actor,
    comment: str,
    data: dict[str, Any],
    moment: Any,
) -> WorkflowStep:
    last = repository.last_step(session, instance.id)
    step = WorkflowStep(
        instance_id=instance.id,
        seq=(last.seq + 1) if last else 1,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor.id,
        actor_username=actor.username,
        actor_role=actor.role.value,
        at=moment,
        comment=comment,
        data=data,
        prev_hash=last.hash if last else GENESIS,
        hash="",
    )
    step.hash = step_hash(step.prev_hash, _hashed_fields(step))
    repository.add_step(session, step)
    return step


def may_perform(transition: TransitionSpec, actor: Actor) -> bool:
    if transition.roles and actor.role.value not in transition.roles:
        return False
    return not transition.permissions or any(
        Perm(p) in actor.permissions for p in transition.permissions
    )


def available_actions(
    session: Session, instance: WorkflowInstance, *, actor: Actor
) -> list[TransitionSpec]:
    spec = definition_of(session, instance)
    return [t for t in spec.transitions if instance.state in t.sources and may_perform(t, actor)]


@dataclass(frozen=True)
class Moved:
    instance: WorkflowInstance
    step: WorkflowStep
    transition: TransitionSpec
    final: bool


def act(
    session: Session,
    instance: WorkflowInstance,
    action: str,
    *,
    actor: Actor,
    expected_version: int,
    comment: str = "",
    data: dict[str, Any] | None = None,
) -> Moved:
    data = data or {}
    spec = definition_of(session, instance)
    transition = next(
        (t for t in spec.transitions if t.action == action and instance.state in t.sources), None
    )
    if transition is None:
        state = (
            spec.states[instance.state].label if instance.state in spec.states else instance.state
        )
        raise InvalidInput(
            f"当前状态（{state}）不能执行“{action}”",
            code="action_not_allowed",
            state=instance.state,
        )
    if not may_perform(transition, actor):
        raise PermissionDenied(
            f"当前账号（{actor.role_label}）不能执行“{transition.label}”", code="permission_denied"
        )
    missing = [
        name
        for name in transition.required
        if not (comment if name == "comment" else data.get(name))
    ]
    if missing:
        raise InvalidInput(
            f"“{transition.label}”需要填写：{'、'.join(missing)}",
            code="fields_required",
            fields=missing,
        )
    moment = now()
    target = instance.state if transition.to == SAME else transition.to
    final = spec.states[target].final
    values: dict[str, object] = {"state": target}
    if target != instance.state:
        values["state_entered_at"] = moment
    if final:
        values["ended_at"] = moment
    if not repository.update_state(session, instance.id, expected_version, values):
        raise Conflict(
            "该案件已被他人处理，请刷新后重试", code="stale_version", version=instance.version
        )
    from_state = instance.state
    session.refresh(instance)
    step = _append(
        session, instance, action, from_state, transition.to, actor, comment, data, moment
    )
    return Moved(instance, step, transition, final)


def labels(session: Session, instance: WorkflowInstance) -> dict[str, str]:
    """Action and state labels of the instance's definition, for showing a timeline."""
    spec = definition_of(session, instance)
    names = {name: state.label for name, state in spec.states.items()}
    names.update({t.action: t.label for t in spec.transitions})
    names.setdefault("start", "上报")
    return names


@dataclass(frozen=True)
class ChainReport:
    instances: int
    steps: int
    broken: list[tuple[int, int]]  # (instance id, first bad step seq)


def verify_chains(session: Session, batch: int = 2_000) -> ChainReport:
    """Recompute every timeline's hash chain (the operator's `gridgov audit verify`)."""
    broken: list[tuple[int, int]] = []
    steps_checked = 0
    after = 0
    while True:
        steps = repository.all_steps_in_order(session, after, batch)
        if not steps:
            break
        current, prev, bad = -1, GENESIS, False
        for step in steps:
            if step.instance_id != current:
                current, prev, bad = step.instance_id, GENESIS, False
            expected = step_hash(prev, _hashed_fields(step))
            if not bad and (step.prev_hash != prev or step.hash != expected):
                broken.append((step.instance_id, step.seq))
                bad = True
            prev = step.hash
            steps_checked += 1
        after = steps[-1].instance_id
    return ChainReport(repository.count_instances(session), steps_checked, broken)


def instance_for(session: Session, subject_type: str, subject_id: int) -> WorkflowInstance:
    """The instance of a subject the caller has already been allowed to see."""
    instance = repository.instance_for_subject(session, subject_type, subject_id)
    if instance is None:
        raise NotFound("流程实例不存在", code="instance_not_found")
    return instance


def versions(session: Session, instance_ids: list[int]) -> dict[int, int]:
    return repository.versions(session, instance_ids)


def steps_for(session: Session, instance: WorkflowInstance) -> list[WorkflowStep]:
    """The timeline of an instance whose subject the caller has already been allowed to see."""
    return repository.subject_steps(session, instance.id)


def current_definition(session: Session, code: str) -> WorkflowDefinition | None:
    return repository.current_definition(session, code)


def initial_state(session: Session, code: str) -> str:
    definition = repository.current_definition(session, code)
    if definition is None:
        raise NotFound(f"流程 {code} 未定义（gridgov events init）", code="workflow_not_found")
    return spec_of(definition).initial


def state_labels(session: Session, code: str) -> dict[str, str]:
    definition = repository.current_definition(session, code)
    if definition is None:
        return {}
    return {name: state.label for name, state in spec_of(definition).states.items()}


def list_definitions(session: Session, *, actor: Actor) -> list[WorkflowDefinition]:
    actor.require(Perm.EVENTS_READ)
    return repository.list_definitions(session)

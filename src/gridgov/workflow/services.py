"""The engine: start an instance, perform an action, read the timeline, verify the chain.

Callers (events, disputes) decide whether their subject may be acted on by this actor; the
engine decides whether the action exists in the current state, whether the actor's role and
permissions allow it, whether the required fields are there, and whether the caller saw the
latest version."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm, Role
from gridgov.audit import services as audit
from gridgov.db import transaction_info_key
from gridgov.kit import refcache
from gridgov.kit.clock import now
from gridgov.kit.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gridgov.workflow import repository
from gridgov.workflow.definition import (
    LEVEL_LABELS,
    LEVELS,
    SAME,
    DefinitionSpec,
    TransitionSpec,
    check,
    parse,
)
from gridgov.workflow.models import (
    WorkflowBinding,
    WorkflowDefinition,
    WorkflowInstance,
    WorkflowStep,
)
from gridgov.workflow.steps import entering

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


def validate_definition(definition: dict[str, Any], *, actor: Actor) -> list[str]:
    """Every problem of a definition, without saving it (the editor's 校验 button)."""
    actor.require(Perm.WORKFLOWS_WRITE)
    return check(definition)[1]


def definition_versions(session: Session, code: str, *, actor: Actor) -> list[WorkflowDefinition]:
    """Every version of a workflow, newest first."""
    actor.require(Perm.EVENTS_READ)
    found = repository.definition_versions(session, code)
    if not found:
        raise NotFound(f"流程 {code} 未定义", code="workflow_not_found")
    return found


def running_counts(session: Session, code: str, *, actor: Actor) -> dict[int, int]:
    """Instances still running per version: saving a new one leaves them on theirs."""
    actor.require(Perm.WORKFLOWS_WRITE)
    return repository.running_counts(session, code)


# A saved version never changes, so each is parsed once per process. The id alone is not the
# key: one process may serve several databases (tests do), whose ids coincide; comparing the
# stored JSON with the one parsed (microseconds) tells them apart.
_parsed: dict[int, tuple[dict[str, Any], DefinitionSpec]] = {}


def spec_of(definition: WorkflowDefinition) -> DefinitionSpec:
    cached = _parsed.get(definition.id)
    if cached is not None and cached[0] == definition.definition:
        return cached[1]
    spec = parse(definition.definition)
    _parsed[definition.id] = (copy.deepcopy(definition.definition), spec)
    return spec


def definition_of(session: Session, instance: WorkflowInstance) -> DefinitionSpec:
    # Every case page and action asks: kept per process like the other reference rows
    # (kit.refcache), which also tells one database's definition ids from another's.
    def load() -> DefinitionSpec:
        return spec_of(repository.get_definition(session, instance.definition_id))

    return refcache.cached(session, ("workflow_definition_id", instance.definition_id), load)


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
    current = _current_spec(session, code)
    if current is None:
        raise NotFound(f"流程 {code} 未定义", code="workflow_not_found")
    definition_id, spec = current
    moment = now()
    instance = WorkflowInstance(
        definition_id=definition_id,
        subject_type=subject_type,
        subject_id=subject_id,
        state=spec.initial,
        version=1,
        region_path=region_path,
        started_at=moment,
        state_entered_at=moment,
        **entering(spec, spec.initial, moment),
    )
    repository.add_instance(session, instance)
    step = _append(
        session, instance, "start", None, spec.initial, actor, comment, data or {}, moment, True
    )
    session.info.setdefault(_STARTED, {})[instance.id] = (instance, step)
    return instance


# Each instance started in this transaction with its start step: until it is acted on (its
# version is still 1), that step is its whole timeline, so the answer to a new case reads
# neither again (held here, the instance also stays in the session's weak identity map).
# Forgotten when the transaction ends: a long session (a seed, the simulator) would otherwise
# hold every instance it ever started, and after a commit others may have moved them.
_STARTED = transaction_info_key("gridgov.workflow.started")


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
    first: bool = False,
) -> WorkflowStep:
    last = None if first else repository.last_step(session, instance.id)
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
    repository.add_step(session, step, flush=not first)
    return step


# The region level an account works at. With the accounts as built, a role's scope is always a
# region of one level (street staff see their street, community staff their community, grid
# workers their grids, the center and leaders the district) and department handlers act for
# the district, so the level follows from the role; citizens have none. The platform itself
# (``Actor.system``) is a district administrator.
ROLE_LEVELS: dict[Role, str | None] = {
    Role.ADMIN: "district",
    Role.LEADER: "district",
    Role.CENTER_OPERATOR: "district",
    Role.DEPARTMENT_HANDLER: "district",
    Role.STREET_STAFF: "street",
    Role.COMMUNITY_STAFF: "community",
    Role.GRID_WORKER: "grid",
    Role.CITIZEN: None,
    Role.SOCIAL_ORG: None,
    Role.ENTERPRISE: None,
}


def actor_level(actor: Actor) -> str | None:
    """The level a transition's ``levels`` are matched against."""
    return ROLE_LEVELS[actor.role]


def may_perform(transition: TransitionSpec, actor: Actor) -> bool:
    if transition.roles and actor.role.value not in transition.roles:
        return False
    if transition.levels and actor_level(actor) not in transition.levels:
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
    if transition.to != SAME:
        # Entering a state, even the one it is in (改派 dispatches again): its step limit and
        # escalation rules start over. An act that stays ("=") leaves them running.
        values["state_entered_at"] = moment
        values.update(entering(spec, target, moment))
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


def instance_for(
    session: Session, subject_type: str, subject_id: int, instance_id: int | None = None
) -> WorkflowInstance:
    """The instance of a subject the caller has already been allowed to see. ``instance_id``,
    when the subject keeps it, finds it by key (no read when this session holds it already)."""
    if instance_id is not None:
        known = repository.get_instance(session, instance_id)
        if known is not None and (known.subject_type, known.subject_id) == (
            subject_type,
            subject_id,
        ):
            return known
    instance = repository.instance_for_subject(session, subject_type, subject_id)
    if instance is None:
        raise NotFound("流程实例不存在", code="instance_not_found")
    return instance


def versions(session: Session, instance_ids: list[int]) -> dict[int, int]:
    return repository.versions(session, instance_ids)


def steps_for(session: Session, instance: WorkflowInstance) -> list[WorkflowStep]:
    """The timeline of an instance whose subject the caller has already been allowed to see."""
    started: tuple[WorkflowInstance, WorkflowStep] | None = session.info.get(_STARTED, {}).get(
        instance.id
    )
    if started is not None and started[0] is instance and instance.version == 1:
        return [started[1]]
    return repository.subject_steps(session, instance.id)


def current_definition(session: Session, code: str) -> WorkflowDefinition | None:
    return repository.current_definition(session, code)


def _current_spec(session: Session, code: str) -> tuple[int, DefinitionSpec] | None:
    """The id and parsed form of the newest version of ``code``: every new case asks, so it
    is kept per process until a definition changes (``kit.refcache``)."""

    def load() -> tuple[int, DefinitionSpec] | None:
        definition = repository.current_definition(session, code)
        return None if definition is None else (definition.id, spec_of(definition))

    return refcache.cached(session, ("workflow_definition", code), load)


def initial_state(session: Session, code: str) -> str:
    current = _current_spec(session, code)
    if current is None:
        raise NotFound(f"流程 {code} 未定义（gridgov events init）", code="workflow_not_found")
    return current[1].initial


def state_labels(session: Session, code: str) -> dict[str, str]:
    current = _current_spec(session, code)
    if current is None:
        return {}
    return {name: state.label for name, state in current[1].states.items()}


def list_definitions(session: Session, *, actor: Actor) -> list[WorkflowDefinition]:
    actor.require(Perm.EVENTS_READ)
    return repository.list_definitions(session)


@dataclass(frozen=True)
class Binding:
    """One row of the bindings table: ``""`` for a category or level means any."""

    category_code: str
    level: str
    workflow_code: str


def list_bindings(session: Session, subject_type: str, *, actor: Actor) -> list[WorkflowBinding]:
    actor.require(Perm.EVENTS_READ)
    return repository.list_bindings(session, subject_type)


def replace_bindings(
    session: Session,
    subject_type: str,
    rows: list[Binding],
    *,
    actor: Actor,
    known_categories: Collection[str],
) -> list[WorkflowBinding]:
    """Replace a subject type's whole bindings table (the editor saves it as one table).
    ``known_categories`` are the category codes the subject's own feature knows."""
    actor.require(Perm.WORKFLOWS_WRITE)
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for number, row in enumerate(rows, start=1):
        where = f"第 {number} 行"
        if row.category_code and row.category_code not in known_categories:
            problems.append(f"{where}：类别 {row.category_code} 不存在")
        if row.level and row.level not in LEVELS:
            problems.append(f"{where}：层级 {row.level} 不存在（grid/community/street/district）")
        if (row.category_code, row.level) in seen:
            problems.append(f"{where}：与前面的行类别和层级相同")
        seen.add((row.category_code, row.level))
        if repository.current_definition(session, row.workflow_code) is None:
            problems.append(f"{where}：流程 {row.workflow_code} 未定义")
    if problems:
        raise InvalidInput("流程绑定不合法", code="invalid_bindings", errors=problems)
    repository.delete_bindings(session, subject_type)
    moment = now()
    repository.add_bindings(
        session,
        [
            WorkflowBinding(
                subject_type=subject_type,
                category_code=row.category_code,
                level=row.level,
                workflow_code=row.workflow_code,
                updated_at=moment,
                updated_by=actor.username,
            )
            for row in rows
        ],
    )
    audit.record(
        session,
        actor=actor,
        action="workflow.bind",
        object_type="workflow_bindings",
        object_id=subject_type,
        summary=f"设置流程绑定（{len(rows)} 条）",
        details={
            "bindings": [
                f"{r.category_code or '*'}/{r.level or '*'}→{r.workflow_code}" for r in rows
            ]
        },
    )
    return repository.list_bindings(session, subject_type)


def bound_workflow(
    session: Session, subject_type: str, category_codes: list[str], level: str, default: str
) -> str:
    """The workflow a new subject starts. ``category_codes`` go from the most specific (the
    leaf) to the least (its group). The most specific binding wins: category and level, then
    category, for each category in turn, then level alone, then a binding for everything;
    ``default`` (the category's own workflow) when nothing is bound."""
    codes = tuple(code for code in category_codes if code)

    def load() -> str:
        found = {
            (b.category_code, b.level): b.workflow_code
            for b in repository.matching_bindings(session, subject_type, codes, level)
        }
        for code in [*codes, ""]:
            for wanted in (level, ""):
                if (code, wanted) in found:
                    return found[(code, wanted)]
        return default

    # Every new case asks: kept per process until a binding changes (kit.refcache).
    key = ("bound_workflow", subject_type, codes, level, default)
    return refcache.cached(session, key, load)


def level_label(level: str) -> str:
    return LEVEL_LABELS.get(level, level) if level else "任意层级"

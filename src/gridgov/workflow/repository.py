"""Every query of the workflow engine."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from gridgov.accounts.scope import unscoped
from gridgov.workflow.models import (
    WorkflowBinding,
    WorkflowDefinition,
    WorkflowInstance,
    WorkflowStep,
)


@unscoped("definitions are district-wide configuration")
def current_definition(session: Session, code: str) -> WorkflowDefinition | None:
    # One request asks several times (intake, the answer's labels); a save drops the cache.
    cache: dict[str, WorkflowDefinition | None] = session.info.setdefault(_CURRENT, {})
    if code not in cache:
        stmt = (
            select(WorkflowDefinition)
            .where(WorkflowDefinition.code == code)
            .order_by(WorkflowDefinition.version.desc())
        )
        cache[code] = session.scalars(stmt).first()
    return cache[code]


_CURRENT = "gridgov.workflow.current_definitions"


@unscoped("definitions are district-wide configuration")
def get_definition(session: Session, definition_id: int) -> WorkflowDefinition:
    return session.get_one(WorkflowDefinition, definition_id)


@unscoped("definitions are district-wide configuration")
def list_definitions(session: Session) -> list[WorkflowDefinition]:
    stmt = select(WorkflowDefinition).order_by(WorkflowDefinition.code, WorkflowDefinition.version)
    return list(session.scalars(stmt))


@unscoped("definitions are district-wide configuration")
def definition_versions(session: Session, code: str) -> list[WorkflowDefinition]:
    stmt = select(WorkflowDefinition).where(WorkflowDefinition.code == code)
    return list(session.scalars(stmt.order_by(WorkflowDefinition.version.desc())))


@unscoped("a count per version for the definitions page; it names no instance")
def running_counts(session: Session, code: str) -> dict[int, int]:
    """Instances not yet ended, per version of the workflow ``code``."""
    stmt = (
        select(WorkflowDefinition.version, func.count(WorkflowInstance.id))
        .join(WorkflowInstance, WorkflowInstance.definition_id == WorkflowDefinition.id)
        .where(WorkflowDefinition.code == code, WorkflowInstance.ended_at.is_(None))
        .group_by(WorkflowDefinition.version)
    )
    return {version: count for version, count in session.execute(stmt).all()}


def add_definition(session: Session, definition: WorkflowDefinition) -> None:
    session.info.pop(_CURRENT, None)
    session.add(definition)
    session.flush()


def add_instance(session: Session, instance: WorkflowInstance) -> None:
    session.add(instance)
    session.flush()


def add_step(session: Session, step: WorkflowStep, *, flush: bool = True) -> None:
    """``flush=False`` leaves the row to the next flush (a start step: nothing reads it back
    in the same request but through a query, which flushes first)."""
    session.add(step)
    if flush:
        session.flush()


def update_state(
    session: Session, instance_id: int, expected_version: int, values: dict[str, object]
) -> bool:
    """Move an instance only if nobody moved it since ``expected_version``; False if stale."""
    result = session.execute(
        update(WorkflowInstance)
        .where(WorkflowInstance.id == instance_id, WorkflowInstance.version == expected_version)
        .values(version=WorkflowInstance.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def update_step_progress(
    session: Session, instance_id: int, seen_version: int, values: dict[str, object]
) -> bool:
    """Record the step scan's progress on an instance, unless someone moved it meanwhile. The
    version is not bumped: a form opened before the scan stays valid."""
    result = session.execute(
        update(WorkflowInstance)
        .where(WorkflowInstance.id == instance_id, WorkflowInstance.version == seen_version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@unscoped("the step SLA scan is the platform's own job over every instance")
def due_steps(session: Session, moment: datetime, limit: int) -> list[WorkflowInstance]:
    stmt = select(WorkflowInstance).where(WorkflowInstance.step_due_at <= moment)
    stmt = stmt.order_by(WorkflowInstance.step_due_at, WorkflowInstance.id).limit(limit)
    return list(session.scalars(stmt))


@unscoped("bindings are district-wide configuration")
def list_bindings(session: Session, subject_type: str) -> list[WorkflowBinding]:
    stmt = select(WorkflowBinding).where(WorkflowBinding.subject_type == subject_type)
    order = (WorkflowBinding.category_code, WorkflowBinding.level)
    return list(session.scalars(stmt.order_by(*order)))


@unscoped("bindings are district-wide configuration")
def matching_bindings(
    session: Session, subject_type: str, category_codes: Sequence[str], level: str
) -> list[WorkflowBinding]:
    """The bindings that could apply to a new subject: its categories or any, its level or any."""
    stmt = select(WorkflowBinding).where(
        WorkflowBinding.subject_type == subject_type,
        WorkflowBinding.category_code.in_([*category_codes, ""]),
        WorkflowBinding.level.in_([level, ""]),
    )
    return list(session.scalars(stmt))


def delete_bindings(session: Session, subject_type: str) -> None:
    session.execute(delete(WorkflowBinding).where(WorkflowBinding.subject_type == subject_type))


def add_bindings(session: Session, bindings: list[WorkflowBinding]) -> None:
    session.add_all(bindings)
    session.flush()


@unscoped("the timeline's last hash is needed to append, whoever reads the case")
def last_step(session: Session, instance_id: int) -> WorkflowStep | None:
    stmt = (
        select(WorkflowStep)
        .where(WorkflowStep.instance_id == instance_id)
        .order_by(WorkflowStep.seq.desc())
    )
    return session.scalars(stmt).first()


@unscoped("chain verification reads every timeline; it is the operator's CLI")
def all_steps_in_order(session: Session, after_instance: int, limit: int) -> list[WorkflowStep]:
    """Steps of the next ``limit`` instances after ``after_instance``, ordered for checking."""
    ids = select(WorkflowInstance.id).where(WorkflowInstance.id > after_instance)
    ids = ids.order_by(WorkflowInstance.id).limit(limit)
    stmt = (
        select(WorkflowStep)
        .where(WorkflowStep.instance_id.in_(ids.scalar_subquery()))
        .order_by(WorkflowStep.instance_id, WorkflowStep.seq)
    )
    return list(session.scalars(stmt))


@unscoped("a count for the operator's CLI")
def count_instances(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(WorkflowInstance)) or 0


@unscoped("the subject's own service has already checked access to the subject")
def get_instance(session: Session, instance_id: int) -> WorkflowInstance | None:
    return session.get(WorkflowInstance, instance_id)


@unscoped("the subject's own service has already checked access to the subject")
def instance_for_subject(
    session: Session, subject_type: str, subject_id: int
) -> WorkflowInstance | None:
    stmt = select(WorkflowInstance).where(
        WorkflowInstance.subject_type == subject_type, WorkflowInstance.subject_id == subject_id
    )
    return session.scalars(stmt).first()


@unscoped("versions of instances whose subjects the caller has already read through scope")
def versions(session: Session, instance_ids: list[int]) -> dict[int, int]:
    if not instance_ids:
        return {}
    stmt = select(WorkflowInstance.id, WorkflowInstance.version).where(
        WorkflowInstance.id.in_(instance_ids)
    )
    return dict(session.execute(stmt).all())


@unscoped("the subject's own service has already checked access to the subject")
def subject_steps(session: Session, instance_id: int) -> list[WorkflowStep]:
    stmt = select(WorkflowStep).where(WorkflowStep.instance_id == instance_id)
    return list(session.scalars(stmt.order_by(WorkflowStep.seq)))

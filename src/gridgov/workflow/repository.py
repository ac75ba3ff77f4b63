"""Every query of the workflow engine."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gridgov.accounts.scope import unscoped
from gridgov.workflow.models import WorkflowDefinition, WorkflowInstance, WorkflowStep


@unscoped("definitions are district-wide configuration")
def current_definition(session: Session, code: str) -> WorkflowDefinition | None:
    stmt = (
        select(WorkflowDefinition)
        .where(WorkflowDefinition.code == code)
        .order_by(WorkflowDefinition.version.desc())
    )
    return session.scalars(stmt).first()


@unscoped("definitions are district-wide configuration")
def get_definition(session: Session, definition_id: int) -> WorkflowDefinition:
    return session.get_one(WorkflowDefinition, definition_id)


@unscoped("definitions are district-wide configuration")
def list_definitions(session: Session) -> list[WorkflowDefinition]:
    stmt = select(WorkflowDefinition).order_by(WorkflowDefinition.code, WorkflowDefinition.version)
    return list(session.scalars(stmt))


def add_definition(session: Session, definition: WorkflowDefinition) -> None:
    session.add(definition)
    session.flush()


def add_instance(session: Session, instance: WorkflowInstance) -> None:
    session.add(instance)
    session.flush()


def add_step(session: Session, step: WorkflowStep) -> None:
    session.add(step)
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

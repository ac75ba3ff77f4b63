"""Every query of routing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from gridgov.accounts.scope import unscoped
from gridgov.db import year_month
from gridgov.routing.models import RoutingDecision, RoutingModel, RoutingRuleSet, RoutingStatus


@unscoped("rule sets are district-wide configuration")
def list_rule_sets(session: Session) -> list[RoutingRuleSet]:
    return list(session.scalars(select(RoutingRuleSet).order_by(RoutingRuleSet.version.desc())))


@unscoped("rule sets are district-wide configuration")
def get_rule_set(session: Session, version: int) -> RoutingRuleSet | None:
    return session.scalars(select(RoutingRuleSet).where(RoutingRuleSet.version == version)).first()


@unscoped("rule sets are district-wide configuration")
def active_rule_set(session: Session) -> RoutingRuleSet | None:
    stmt = select(RoutingRuleSet).where(RoutingRuleSet.status == RoutingStatus.ACTIVE)
    return session.scalars(stmt).first()


@unscoped("version numbers are district-wide")
def next_rule_set_version(session: Session) -> int:
    return (session.scalar(select(func.max(RoutingRuleSet.version))) or 0) + 1


def add_rule_set(session: Session, rule_set: RoutingRuleSet) -> RoutingRuleSet:
    session.add(rule_set)
    session.flush()
    return rule_set


def update_rule_sets_retire_active(session: Session) -> None:
    session.execute(
        update(RoutingRuleSet)
        .where(RoutingRuleSet.status == RoutingStatus.ACTIVE)
        .values(status=RoutingStatus.RETIRED)
    )


@unscoped("model versions are district-wide configuration")
def list_models(session: Session) -> list[RoutingModel]:
    # The blobs stay unloaded: a list shows versions and figures, not megabytes of weights.
    stmt = select(
        RoutingModel.id,
        RoutingModel.version,
        RoutingModel.status,
        RoutingModel.params,
        RoutingModel.trained_on,
        RoutingModel.metrics,
        RoutingModel.created_at,
        RoutingModel.created_by,
        RoutingModel.activated_at,
    ).order_by(RoutingModel.version.desc())
    return [
        RoutingModel(**row._asdict(), department_model=b"", category_model=None)
        for row in session.execute(stmt)
    ]


@unscoped("model versions are district-wide configuration")
def get_model(session: Session, version: int) -> RoutingModel | None:
    return session.scalars(select(RoutingModel).where(RoutingModel.version == version)).first()


@unscoped("model versions are district-wide configuration")
def model_ref(session: Session, version: int | None) -> tuple[int, dict[str, Any]] | None:
    """(version, params) of a version, or of the active one when ``version`` is None, without
    reading the model's bytes."""
    stmt = select(RoutingModel.version, RoutingModel.params).where(
        RoutingModel.status == RoutingStatus.ACTIVE
        if version is None
        else RoutingModel.version == version
    )
    found = session.execute(stmt).first()
    return (found[0], found[1]) if found is not None else None


@unscoped("model versions are district-wide configuration")
def active_model_version(session: Session) -> int | None:
    stmt = select(RoutingModel.version).where(RoutingModel.status == RoutingStatus.ACTIVE)
    return session.scalar(stmt)


@unscoped("version numbers are district-wide")
def next_model_version(session: Session) -> int:
    return (session.scalar(select(func.max(RoutingModel.version))) or 0) + 1


def add_model(session: Session, model: RoutingModel) -> RoutingModel:
    session.add(model)
    session.flush()
    return model


def update_models_retire_active(session: Session) -> None:
    session.execute(
        update(RoutingModel)
        .where(RoutingModel.status == RoutingStatus.ACTIVE)
        .values(status=RoutingStatus.RETIRED)
    )


@unscoped("the caller has already read the case through its own scope")
def decision_for(session: Session, subject_type: str, subject_id: int) -> RoutingDecision | None:
    stmt = select(RoutingDecision).where(
        RoutingDecision.subject_type == subject_type, RoutingDecision.subject_id == subject_id
    )
    return session.scalars(stmt).first()


def add_decision(session: Session, decision: RoutingDecision) -> RoutingDecision:
    session.add(decision)
    session.flush()
    return decision


@unscoped("training data for the district-wide model; only subject ids leave")
def corrected_subjects(session: Session, subject_type: str) -> dict[int, str]:
    """Cases whose department an operator or a returning department corrected, with the
    department that finally took them."""
    stmt = select(RoutingDecision.subject_id, RoutingDecision.final_department_code).where(
        RoutingDecision.subject_type == subject_type,
        RoutingDecision.final_department_code.is_not(None),
        (RoutingDecision.overridden.is_(True)) | (RoutingDecision.returned.is_(True)),
    )
    return {subject_id: code for subject_id, code in session.execute(stmt) if code}


@unscoped("district-wide routing figures: counts only, no case")
def monthly_figures(session: Session, subject_type: str, since: datetime) -> list[dict[str, Any]]:
    """Per month: decisions, automatic ones, automatic ones sent back, and how many proposals
    matched the department that finally took the case."""
    month = year_month(RoutingDecision.at).label("month")
    decided = RoutingDecision.final_department_code.is_not(None)
    stmt = (
        select(
            month,
            func.count(),
            func.sum(case((RoutingDecision.mode == "auto", 1), else_=0)),
            func.sum(
                case(((RoutingDecision.mode == "auto") & RoutingDecision.returned, 1), else_=0)
            ),
            func.sum(case((decided & RoutingDecision.department_code.is_not(None), 1), else_=0)),
            func.sum(
                case(
                    (
                        decided
                        & (
                            RoutingDecision.department_code == RoutingDecision.final_department_code
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
        )
        .where(RoutingDecision.subject_type == subject_type, RoutingDecision.at >= since)
        .group_by(month)
        .order_by(month)
    )
    return [
        {
            "month": m,
            "decisions": int(n or 0),
            "automatic": int(a or 0),
            "auto_returned": int(r or 0),
            "judged": int(j or 0),
            "correct": int(c or 0),
        }
        for m, n, a, r, j, c in session.execute(stmt)
    ]


@unscoped("replay compares against recorded decisions of cases the caller already read")
def decisions_for(
    session: Session, subject_type: str, subject_ids: Sequence[int]
) -> dict[int, RoutingDecision]:
    found: dict[int, RoutingDecision] = {}
    ids = list(subject_ids)
    for start in range(0, len(ids), 900):
        stmt = select(RoutingDecision).where(
            RoutingDecision.subject_type == subject_type,
            RoutingDecision.subject_id.in_(ids[start : start + 900]),
        )
        found.update({d.subject_id: d for d in session.scalars(stmt)})
    return found


@unscoped("model versions are district-wide configuration")
def latest_model_at(session: Session) -> datetime | None:
    return session.scalar(select(func.max(RoutingModel.created_at)))


@unscoped("model versions are district-wide configuration")
def active_model_metrics(session: Session) -> dict[str, Any] | None:
    stmt = select(RoutingModel.metrics).where(RoutingModel.status == RoutingStatus.ACTIVE)
    return session.scalar(stmt)

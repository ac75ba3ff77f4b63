from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from gridgov.events import dispatching
from gridgov.events.services import SUBJECT
from gridgov.http import ActorDep, SessionDep
from gridgov.routing import services
from gridgov.routing.models import RoutingModel, RoutingRuleSet
from gridgov.routing.schemas import (
    ModelOut,
    ReplayIn,
    ReplayOut,
    RuleSetCheckIn,
    RuleSetCheckOut,
    RuleSetIn,
    RuleSetOut,
)

router = APIRouter(prefix="/api/v1/routing", tags=["routing"])


def rule_set_out(row: RoutingRuleSet) -> RuleSetOut:
    return RuleSetOut.model_validate(row, from_attributes=True)


def model_out(row: RoutingModel) -> ModelOut:
    return ModelOut.model_validate(row, from_attributes=True)


@router.get("/rule-sets", response_model=list[RuleSetOut], summary="分拨规则集（各版本）")
def list_rule_sets(session: SessionDep, actor: ActorDep) -> list[RuleSetOut]:
    return [rule_set_out(r) for r in services.list_rule_sets(session, actor=actor)]


@router.post(
    "/rule-sets", response_model=RuleSetOut, status_code=201, summary="保存规则集（新草稿版本）"
)
def save_rule_set(data: RuleSetIn, session: SessionDep, actor: ActorDep) -> RuleSetOut:
    categories = dispatching.category_parents(session, actor=actor)
    row = services.save_rule_set(
        session, data.document, actor=actor, note=data.note, categories=categories
    )
    return rule_set_out(row)


@router.post("/rule-sets/validate", response_model=RuleSetCheckOut, summary="校验规则集（不保存）")
def validate_rule_set(
    data: RuleSetCheckIn, session: SessionDep, actor: ActorDep
) -> RuleSetCheckOut:
    categories = dispatching.category_parents(session, actor=actor)
    _, problems = services.validate_rule_set(
        session, data.document, actor=actor, categories=categories
    )
    return RuleSetCheckOut(valid=not problems, problems=problems)


@router.get("/rule-sets/{version}", response_model=RuleSetOut, summary="一个版本的规则集")
def get_rule_set(version: int, session: SessionDep, actor: ActorDep) -> RuleSetOut:
    return rule_set_out(services.get_rule_set(session, version, actor=actor))


@router.post(
    "/rule-sets/{version}/activate", response_model=RuleSetOut, summary="启用规则集（停用原版本）"
)
def activate_rule_set(version: int, session: SessionDep, actor: ActorDep) -> RuleSetOut:
    return rule_set_out(services.activate_rule_set(session, version, actor=actor))


@router.get("/models", response_model=list[ModelOut], summary="分拨模型（各版本及评估指标）")
def list_models(session: SessionDep, actor: ActorDep) -> list[ModelOut]:
    return [model_out(m) for m in services.list_models(session, actor=actor)]


@router.post("/models/{version}/activate", response_model=ModelOut, summary="启用模型版本")
def activate_model(version: int, session: SessionDep, actor: ActorDep) -> ModelOut:
    row = services.activate_model(session, version, actor=actor)
    return ModelOut(
        version=row.version,
        status=row.status,
        params=row.params,
        trained_on=row.trained_on,
        metrics=row.metrics,
        created_at=row.created_at,
        created_by=row.created_by,
        activated_at=row.activated_at,
    )


@router.post(
    "/replay", response_model=ReplayOut, summary="模拟回放：草稿规则或模型在历史案件上的效果"
)
def replay(data: ReplayIn, session: SessionDep, actor: ActorDep) -> ReplayOut:
    draft = None
    if data.document is not None or data.rule_set_version is not None:
        document = (
            data.document
            if data.document is not None
            else services.get_rule_set(session, data.rule_set_version or 0, actor=actor).document
        )
        spec = services.parse_rule_set(
            session,
            document,
            actor=actor,
            categories=dispatching.category_parents(session, actor=actor),
        )
        draft = (data.rule_set_version, spec)
    cases = dispatching.replay_cases(session, actor=actor, months=data.months, limit=data.limit)
    report = services.replay(
        session,
        cases,
        actor=actor,
        draft_rules=draft,
        draft_model_version=data.model_version,
    )
    return ReplayOut(**vars(report))


@router.get("/metrics", summary="分拨效果：自动转办占比、自动转办退回率、准确率（按月）")
def metrics(
    session: SessionDep, actor: ActorDep, months: int = Query(default=12, ge=1, le=36)
) -> dict[str, Any]:
    return services.metrics(session, SUBJECT, actor=actor, months=months)

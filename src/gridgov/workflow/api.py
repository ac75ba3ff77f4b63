from __future__ import annotations

from fastapi import APIRouter

from gridgov.events import services as events
from gridgov.http import ActorDep, SessionDep
from gridgov.workflow import services
from gridgov.workflow.models import WorkflowBinding, WorkflowDefinition
from gridgov.workflow.schemas import (
    BindingOut,
    BindingsIn,
    DefinitionCheckIn,
    DefinitionCheckOut,
    DefinitionIn,
    DefinitionOut,
    WorkflowOut,
)

router = APIRouter(prefix="/api/v1", tags=["workflows"])


def definition_out(definition: WorkflowDefinition) -> DefinitionOut:
    return DefinitionOut.model_validate(definition, from_attributes=True)


def binding_out(binding: WorkflowBinding) -> BindingOut:
    return BindingOut.model_validate(binding, from_attributes=True)


@router.get("/workflows", response_model=list[DefinitionOut], summary="流程定义（各版本）")
def list_definitions(session: SessionDep, actor: ActorDep) -> list[DefinitionOut]:
    return [definition_out(d) for d in services.list_definitions(session, actor=actor)]


@router.post(
    "/workflows", response_model=DefinitionOut, status_code=201, summary="保存流程定义（新版本）"
)
def save_definition(data: DefinitionIn, session: SessionDep, actor: ActorDep) -> DefinitionOut:
    return definition_out(
        services.save_definition(session, data.code, data.name, data.definition, actor=actor)
    )


@router.post(
    "/workflows/validate",
    response_model=DefinitionCheckOut,
    summary="校验流程定义（不保存）",
)
def validate_definition(data: DefinitionCheckIn, actor: ActorDep) -> DefinitionCheckOut:
    problems = services.validate_definition(data.definition, actor=actor)
    return DefinitionCheckOut(valid=not problems, problems=problems)


@router.get("/workflows/{code}", response_model=WorkflowOut, summary="一个流程及其全部版本")
def get_workflow(code: str, session: SessionDep, actor: ActorDep) -> WorkflowOut:
    versions = services.definition_versions(session, code, actor=actor)
    return WorkflowOut(
        code=code,
        name=versions[0].name,
        current_version=versions[0].version,
        versions=[definition_out(v) for v in versions],
    )


@router.get(
    "/workflow-bindings", response_model=list[BindingOut], summary="事件类别与层级绑定的流程"
)
def list_bindings(session: SessionDep, actor: ActorDep) -> list[BindingOut]:
    return [binding_out(b) for b in services.list_bindings(session, events.SUBJECT, actor=actor)]


@router.put(
    "/workflow-bindings",
    response_model=list[BindingOut],
    summary="设置流程绑定（整表替换）",
)
def replace_bindings(data: BindingsIn, session: SessionDep, actor: ActorDep) -> list[BindingOut]:
    # Categories belong to events: the engine is told which codes exist.
    categories = {c.code for c in events.list_categories(session, actor=actor)}
    rows = [services.Binding(b.category_code, b.level, b.workflow_code) for b in data.bindings]
    saved = services.replace_bindings(
        session, events.SUBJECT, rows, actor=actor, known_categories=categories
    )
    return [binding_out(b) for b in saved]

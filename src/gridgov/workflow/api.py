from __future__ import annotations

from fastapi import APIRouter

from gridgov.http import ActorDep, SessionDep
from gridgov.workflow import services
from gridgov.workflow.models import WorkflowDefinition
from gridgov.workflow.schemas import DefinitionIn, DefinitionOut

router = APIRouter(prefix="/api/v1", tags=["workflows"])


def definition_out(definition: WorkflowDefinition) -> DefinitionOut:
    return DefinitionOut.model_validate(definition, from_attributes=True)


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

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from gridgov.http import ActorDep, SessionDep
from gridgov.kit.pagination import Page, PageParams, page_params
from gridgov.orgs import services
from gridgov.orgs.models import ORG_KIND_LABELS, Organisation, OrgKind
from gridgov.orgs.schemas import OrganisationCreate, OrganisationOut, OrganisationUpdate

router = APIRouter(prefix="/api/v1", tags=["organisations"])


def organisation_out(org: Organisation) -> OrganisationOut:
    kind = OrgKind(org.kind)
    return OrganisationOut(
        id=org.id,
        code=org.code,
        name=org.name,
        short_name=org.short_name,
        kind=kind,
        kind_label=ORG_KIND_LABELS[kind],
        region_code=org.region_path.rstrip("/").split("/")[-1],
        parent_id=org.parent_id,
        phone=org.phone,
        is_active=org.is_active,
    )


@router.get("/organisations", response_model=Page[OrganisationOut], summary="组织机构列表")
def list_organisations(
    session: SessionDep,
    actor: ActorDep,
    page: Annotated[PageParams, Depends(page_params)],
    kind: OrgKind | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[OrganisationOut]:
    rows, total = services.list_organisations(session, actor=actor, kind=kind, query=q, page=page)
    return Page.of([organisation_out(o) for o in rows], total, page)


@router.get("/organisations/{org_id}", response_model=OrganisationOut, summary="组织详情")
def get_organisation(org_id: int, session: SessionDep, actor: ActorDep) -> OrganisationOut:
    return organisation_out(services.get_organisation(session, org_id, actor=actor))


@router.post("/organisations", response_model=OrganisationOut, status_code=201, summary="新建组织")
def create_organisation(
    data: OrganisationCreate, session: SessionDep, actor: ActorDep
) -> OrganisationOut:
    return organisation_out(services.create_organisation(session, data, actor=actor))


@router.patch("/organisations/{org_id}", response_model=OrganisationOut, summary="修改组织")
def update_organisation(
    org_id: int, data: OrganisationUpdate, session: SessionDep, actor: ActorDep
) -> OrganisationOut:
    return organisation_out(services.update_organisation(session, org_id, data, actor=actor))

"""Organisations: departments, offices and committees that accounts belong to."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.audit import services as audit
from gridgov.kit.errors import Conflict, InvalidInput, NotFound
from gridgov.kit.pagination import PageParams
from gridgov.orgs import repository
from gridgov.orgs.models import Organisation, OrgKind
from gridgov.orgs.schemas import OrganisationCreate, OrganisationUpdate
from gridgov.regions import services as regions


def is_department(org: Organisation) -> bool:
    return org.kind == OrgKind.DEPARTMENT


def get_organisation(session: Session, org_id: int, *, actor: Actor) -> Organisation:
    actor.require(Perm.ORGS_READ)
    org = repository.get_organisation(session, actor.scope, org_id)
    if org is None:
        raise NotFound(f"组织 {org_id} 不存在或不在您的管辖范围内", code="organisation_not_found")
    return org


def list_organisations(
    session: Session,
    *,
    actor: Actor,
    kind: OrgKind | None = None,
    query: str | None = None,
    page: PageParams,
) -> tuple[list[Organisation], int]:
    actor.require(Perm.ORGS_READ)
    return repository.list_organisations(
        session, actor.scope, kind=kind.value if kind else None, query=query, page=page
    )


def create_organisation(
    session: Session, data: OrganisationCreate, *, actor: Actor
) -> Organisation:
    actor.require(Perm.ORGS_WRITE)
    if repository.code_exists(session, data.code):
        raise Conflict(f"组织编码 {data.code} 已存在", code="organisation_code_taken")
    try:
        region = regions.get_region(session, data.region_code, actor=actor)
    except NotFound as exc:
        raise InvalidInput(
            f"所属区域 {data.region_code} 不存在或不在您的管辖范围内", code="region_not_found"
        ) from exc
    if data.parent_id is not None:
        get_organisation(session, data.parent_id, actor=actor)
    org = Organisation(
        code=data.code,
        name=data.name,
        short_name=data.short_name,
        kind=data.kind.value,
        region_id=region.id,
        region_path=region.path,
        parent_id=data.parent_id,
        phone=data.phone,
    )
    session.add(org)
    session.flush()
    session.info.pop(_DIRECTORY, None)
    audit.record(
        session,
        actor=actor,
        action="organisation.create",
        object_type="organisation",
        object_id=org.id,
        region_path=org.region_path,
        summary=f"新建组织“{org.name}”",
    )
    return org


def update_organisation(
    session: Session, org_id: int, data: OrganisationUpdate, *, actor: Actor
) -> Organisation:
    actor.require(Perm.ORGS_WRITE)
    org = get_organisation(session, org_id, actor=actor)
    changes: dict[str, object] = {}
    for field in ("name", "short_name", "phone", "is_active"):
        value = getattr(data, field)
        if value is not None and value != getattr(org, field):
            changes[field] = [getattr(org, field), value]
            setattr(org, field, value)
    if changes:
        session.info.pop(_DIRECTORY, None)
        audit.record(
            session,
            actor=actor,
            action="organisation.update",
            object_type="organisation",
            object_id=org.id,
            region_path=org.region_path,
            summary=f"修改组织“{org.name}”",
            details={"changes": changes},
        )
    return org


def ids_for_codes(session: Session, codes: list[str], *, actor: Actor) -> dict[str, int]:
    """Organisation code → id, for files that name departments by code."""
    actor.require(Perm.REGISTRY_READ)
    return repository.ids_for_codes(session, codes)


def names_of(session: Session, ids: list[int]) -> dict[int, str]:
    """Names of organisations shown on something the caller may already see (a case)."""
    found = repository.names_of(session, ids)
    return {i: found[i] for i in ids if i in found}


@dataclass(frozen=True)
class DepartmentRef:
    id: int
    code: str
    name: str


def department_directory(session: Session) -> dict[str, DepartmentRef]:
    """Code → department, for routing: every active district department may be proposed.
    Read once per session: an intake that routes and dispatches asks several times."""
    cached: dict[str, DepartmentRef] | None = session.info.get(_DIRECTORY)
    if cached is None:
        cached = {
            code: DepartmentRef(id=i, code=code, name=name)
            for i, code, name in repository.department_directory(session)
        }
        session.info[_DIRECTORY] = cached
    return cached


_DIRECTORY = "gridgov.orgs.department_directory"

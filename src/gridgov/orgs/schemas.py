from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from gridgov.orgs.models import OrgKind


class OrganisationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    short_name: str | None
    kind: OrgKind
    kind_label: str
    region_code: str
    parent_id: int | None
    phone: str | None
    is_active: bool


class OrganisationCreate(BaseModel):
    code: str = Field(pattern=r"^[0-9A-Za-z_-]{2,40}$")
    name: str = Field(min_length=1, max_length=100)
    short_name: str | None = Field(default=None, max_length=40)
    kind: OrgKind
    region_code: str = Field(description="region the organisation belongs to")
    parent_id: int | None = None
    phone: str | None = Field(default=None, max_length=40)


class OrganisationUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    short_name: str | None = Field(default=None, max_length=40)
    phone: str | None = Field(default=None, max_length=40)
    is_active: bool | None = None

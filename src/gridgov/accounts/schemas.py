from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from gridgov.accounts.permissions import Role

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]{3,64}$"


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds")


class ScopeOut(BaseModel):
    region_code: str | None = Field(description="root of the visible region subtree; null = all")
    region_codes: list[str] = Field(description="every visible subtree root (grid workers: grids)")
    department_id: int | None


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    role_label: str
    organisation_id: int | None
    scope: ScopeOut
    is_active: bool
    last_login_at: datetime | None


class MeOut(UserOut):
    permissions: list[str]


class UserCreate(BaseModel):
    username: str = Field(pattern=USERNAME_PATTERN)
    display_name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=256)
    role: Role
    organisation_id: int | None = None
    scope_region_code: str | None = Field(
        default=None, description="region whose subtree the account sees"
    )
    department_id: int | None = Field(default=None, description="department scope")


class UserUpdate(BaseModel):
    display_name: str | None = Field(default=None, min_length=1, max_length=64)
    role: Role | None = None
    is_active: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=256)


class AssignmentCreate(BaseModel):
    user_id: int
    duty: Literal["专职网格员", "兼职网格员", "网格长", "网格指导员"] = "专职网格员"

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class StepOut(BaseModel):
    seq: int
    action: str
    label: str
    from_state: str | None
    to_state: str
    actor_username: str
    actor_role: str
    at: datetime
    comment: str
    data: dict[str, Any]


class ActionOut(BaseModel):
    action: str
    label: str
    to: str
    required: list[str]


class DefinitionIn(BaseModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    name: str = Field(min_length=1, max_length=100)
    definition: dict[str, Any]


class DefinitionOut(BaseModel):
    code: str
    version: int
    name: str
    definition: dict[str, Any]
    created_at: datetime
    created_by: str


class DefinitionCheckIn(BaseModel):
    definition: dict[str, Any]


class DefinitionCheckOut(BaseModel):
    valid: bool
    problems: list[str] = Field(description="every problem found, in Chinese; empty when valid")


class WorkflowOut(BaseModel):
    code: str
    name: str
    current_version: int
    versions: list[DefinitionOut] = Field(description="every version, newest first")


class BindingIn(BaseModel):
    category_code: str = Field(
        default="", max_length=20, description="a category or a group (大类) code; empty: any"
    )
    level: Literal["", "grid", "community", "street", "district"] = Field(
        default="", description="the level the case starts at; empty: any"
    )
    workflow_code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")


class BindingsIn(BaseModel):
    bindings: list[BindingIn] = Field(max_length=1_000)


class BindingOut(BaseModel):
    category_code: str
    level: str
    workflow_code: str
    updated_at: datetime
    updated_by: str

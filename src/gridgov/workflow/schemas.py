from __future__ import annotations

from datetime import datetime
from typing import Any

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

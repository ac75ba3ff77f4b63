from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class RuleSetIn(BaseModel):
    document: dict[str, Any] = Field(
        description='{"rules": [{"id", "name", "when": {...}, "then": {...}}], "thresholds": {...}}'
    )
    note: str = Field(default="", max_length=200)


class RuleSetCheckIn(BaseModel):
    document: dict[str, Any]


class RuleSetCheckOut(BaseModel):
    valid: bool
    problems: list[str]


class RuleSetOut(BaseModel):
    version: int
    status: str
    note: str
    document: dict[str, Any]
    created_at: datetime
    created_by: str
    activated_at: datetime | None
    activated_by: str | None


class ModelOut(BaseModel):
    version: int
    status: str
    params: dict[str, Any]
    trained_on: dict[str, Any]
    metrics: dict[str, Any]
    created_at: datetime
    created_by: str
    activated_at: datetime | None


class ReplayIn(BaseModel):
    months: int = Field(default=6, ge=1, le=36, description="closed cases of the last N months")
    limit: int = Field(default=20_000, ge=1, le=100_000, description="newest cases at most")
    rule_set_version: int | None = Field(default=None, description="a saved (draft) rule set")
    document: dict[str, Any] | None = Field(
        default=None, description="an unsaved rule set document, instead of a saved version"
    )
    model_version: int | None = Field(default=None, description="a trained (draft) model")


class ReplayOut(BaseModel):
    cases: int
    different_from_actual: int
    different_from_current: int
    projected_auto_share: float | None
    current_auto_share: float | None
    expected_return_rate: float | None
    examples: list[dict[str, Any]]


class CandidateOut(BaseModel):
    department_id: int | None
    department_code: str
    department_name: str
    confidence: float | None
    reason: str


class RecommendationOut(BaseModel):
    mode: str
    decided_by: str
    reason: str
    recorded: bool = Field(description="decided at intake and kept, or computed just now")
    candidates: list[CandidateOut]
    rule_set_version: int | None
    rule_id: str | None
    model_version: int | None
    confidence: float | None
    overridden: bool = False
    returned: bool = False
    responsible_unit: str | None = Field(
        default=None,
        description="一格多员: the departmental network unit covering the case's grid for its "
        "category, with its officer (phone masked)",
    )

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class KeyIn(BaseModel):
    name: str = Field(min_length=2, max_length=64, description="接入系统名称")
    contact: str = Field(default="", max_length=200, description="联系人与联系方式")
    requests_per_minute: int = Field(default=60, ge=1, le=6000)


class KeyUpdate(BaseModel):
    contact: str | None = Field(default=None, max_length=200)
    requests_per_minute: int | None = Field(default=None, ge=1, le=6000)
    is_active: bool | None = None


class KeyOut(BaseModel):
    id: int
    name: str
    contact: str
    key_prefix: str = Field(description="the first characters, to tell keys apart")
    requests_per_minute: int
    is_active: bool
    created_by: str
    created_at: datetime
    last_used_at: datetime | None


class KeyCreated(KeyOut):
    api_key: str = Field(description="shown once; only its hash is stored")

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from gridgov.events.schemas import Location

# Text a citizen types: long enough for a clear report, short enough to read on a phone.
MAX_DESCRIPTION = 1000
MAX_ADDRESS = 100


def _clean(value: str) -> str:
    """No control characters but line breaks; surrounding space trimmed."""
    return "".join(ch for ch in value if ch in "\n\t" or ch.isprintable()).strip()


class PhoneIn(BaseModel):
    phone: str = Field(pattern=r"^1[3-9]\d{9}$", description="中国大陆手机号（11 位）")


class VerifyIn(PhoneIn):
    code: str = Field(pattern=r"^\d{6}$")


class DeviceIn(BaseModel):
    token: str = Field(min_length=32, max_length=128, description="本设备保存的设备令牌")


class SessionOut(BaseModel):
    """Who the app is now, and the page token its next writes must send."""

    user_id: int
    kind: Literal["none", "anonymous", "phone", "account"]
    display_name: str
    phone_masked: str | None
    csrf_token: str
    device_token: str | None = Field(
        default=None, description="only when a new anonymous device was made: keep it"
    )


class CodeSentOut(BaseModel):
    sent: bool
    expires_in: int = Field(description="seconds")
    demo: bool = Field(description="true: no SMS gateway; the code is in the server log (演示)")


class AttributeValueOut(BaseModel):
    key: str
    name: str


class AttributeOut(BaseModel):
    code: str
    description: str
    datatype: str
    required: bool
    datatype_description: str
    values: list[AttributeValueOut]


class CitizenCategoryOut(BaseModel):
    code: str
    name: str
    group_code: str
    group_name: str
    include: str = Field(description="请说明：what a useful report says")
    not_here: str = Field(description="不在此受理：what belongs elsewhere")
    sensitive: bool = Field(description="shown publicly without text and with a blurred point")
    attributes: list[AttributeOut]


class ReportIn(BaseModel):
    category_code: str = Field(min_length=2, max_length=20)
    description: str = Field(min_length=5, max_length=MAX_DESCRIPTION)
    location: Location
    address: str = Field(default="", max_length=MAX_ADDRESS)
    attributes: dict[str, str] = Field(default_factory=dict, max_length=20)
    media_ids: list[int] = Field(default_factory=list, max_length=9)

    @field_validator("description", "address")
    @classmethod
    def printable(cls, value: str) -> str:
        return _clean(value)


class PhotoOut(BaseModel):
    id: int
    thumbnail_url: str


class StepNoteOut(BaseModel):
    label: str
    at: datetime
    note: str


class CitizenReportOut(BaseModel):
    id: int
    code: str
    title: str
    category_code: str
    category_name: str
    status: str
    status_label: str
    finished: bool = Field(description="closed, rated or voided")
    created_at: datetime
    closed_at: datetime | None
    deadline_at: datetime
    feedback: str | None = Field(description="the handling department's feedback, when given")
    satisfaction: int | None
    can_rate: bool
    can_reopen: bool
    version: int
    photos: list[PhotoOut]


class CitizenReportDetail(CitizenReportOut):
    description: str
    address: str
    lon: float
    lat: float
    timeline: list[StepNoteOut]


class RateIn(BaseModel):
    version: int = Field(ge=1)
    satisfaction: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=500)


class ReopenIn(BaseModel):
    version: int = Field(ge=1)
    comment: str = Field(min_length=2, max_length=500)


class PublicReportOut(BaseModel):
    """What anyone may see of a case: no reporter, phone, address or free text of a person."""

    code: str
    title: str
    category_code: str
    category_name: str
    status: Literal["open", "closed"]
    status_label: str
    reported_on: str = Field(description="the day, not the time")
    lon: float
    lat: float
    blurred: bool = Field(description="the point is the centre of a ~500 m cell")
    thumbnail_url: str | None


class PublicReportsOut(BaseModel):
    items: list[PublicReportOut]
    days: int
    truncated: bool


class OutlineOut(BaseModel):
    code: str
    name: str
    bbox: list[float]
    geometry: dict[str, object]

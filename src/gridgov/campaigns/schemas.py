from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from gridgov.campaigns.forms import KEY
from gridgov.campaigns.models import Phase, TargetKind, TargetStatus

MAX_TARGET_HOUSEHOLDS = 20_000


class FormIn(BaseModel):
    """A new form, or the next version of the form with this code."""

    code: str = Field(pattern=KEY, description="表单编码（小写字母、数字、下划线）")
    title: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=500)
    definition: dict[str, Any] = Field(description='表单定义：{"fields": [...]}')


class FormOut(BaseModel):
    id: int
    code: str
    version: int
    title: str
    description: str
    field_count: int
    latest: bool
    created_by: str
    created_at: datetime


class FormVersionOut(BaseModel):
    id: int
    version: int
    title: str
    created_by: str
    created_at: datetime


class FormDetail(FormOut):
    definition: dict[str, Any]
    versions: list[FormVersionOut]


class InstallOut(BaseModel):
    installed: list[str] = Field(description="本次安装的模板编码（已有的不重复安装）")


class CampaignIn(BaseModel):
    title: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    form_id: int
    region_codes: list[str] | None = Field(
        default=None, max_length=500, description="排查的街道、社区或基础网格编码"
    )
    household_ids: list[int] | None = Field(
        default=None, max_length=MAX_TARGET_HOUSEHOLDS, description="或：逐户指定"
    )
    starts_on: date
    ends_on: date
    create_tasks: bool = Field(
        default=False, description="为每个网格向其网格员下发一条专项排查任务"
    )


class RegionRef(BaseModel):
    code: str
    name: str
    level: str


class CampaignOut(BaseModel):
    id: int
    title: str
    description: str
    form_id: int
    form_code: str
    form_title: str
    form_version: int
    target_kind: TargetKind
    target_regions: list[RegionRef] = Field(description="指定的区域（仅列出您管辖范围内的）")
    target_count: int = Field(description="发起时的目标户数（全部）")
    starts_on: date
    ends_on: date
    status: str
    phase: Phase
    phase_label: str
    created_by: str
    created_at: datetime
    closed_at: datetime | None
    targeted: int = Field(description="您管辖范围内的目标户数")
    done: int = Field(description="您管辖范围内已排查户数")
    progress: float = Field(description="done / targeted")
    tasks_created: int | None = None


class ProgressOut(BaseModel):
    code: str
    name: str
    level: str
    targeted: int
    done: int
    progress: float


class CampaignDetail(CampaignOut):
    by_community: list[ProgressOut]


class TargetOut(BaseModel):
    household_id: int
    household_code: str
    address: str = Field(description="脱敏地址")
    members: int
    grid_code: str
    status: TargetStatus
    status_label: str
    done_at: datetime | None
    response_id: int | None
    versions: int


class ResponseIn(BaseModel):
    client_id: str = Field(min_length=1, max_length=64, description="客户端生成，离线重试不重复")
    household_id: int
    values: dict[str, Any]
    filled_at: datetime | None = Field(
        default=None, description="实际填写时间（离线填写后补传时）；缺省为收到时间"
    )


class ResponseOut(BaseModel):
    id: int
    campaign_id: int
    household_id: int
    grid_code: str
    version: int
    values: dict[str, Any] = Field(description="填写内容（电话等个人信息已脱敏）")
    filled_by: str
    filled_by_name: str
    filled_at: datetime
    client_id: str
    replaced_by: int | None
    created_at: datetime


class ValueCount(BaseModel):
    value: str
    label: str
    count: int


class FieldCounts(BaseModel):
    key: str
    label: str
    group: str | None = Field(description="所在分组（按分组中的每一项计数）")
    answered: int
    counts: list[ValueCount]


class EpidemicFigures(BaseModel):
    at_home: int
    residents_present: int
    households_with_symptoms: int
    outsiders: int
    outsiders_recent: int = Field(description="排查时近 14 天内到达的外来人员")
    outsiders_symptomatic: int
    outsiders_unvaccinated: int
    outsiders_monitored: int
    by_province: dict[str, int]
    doses: dict[str, int] = Field(description='接种剂次分布："0"…"4"')


class StatRow(BaseModel):
    code: str
    name: str
    targeted: int
    done: int
    progress: float
    epidemic: EpidemicFigures | None = None


class StatisticsOut(BaseModel):
    campaign_id: int
    level: str
    form_code: str
    rows: list[StatRow]
    total: StatRow
    fields: list[FieldCounts]

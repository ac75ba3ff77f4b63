"""Forms that pages render and ``static/js/form.js`` submits to the JSON API.

A field's ``name`` is its path in the request body ("location.lon", "attributes.seats"), its
``data_type`` how the browser converts the text before sending."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gridgov.registry.models import (
    Building,
    Camera,
    CameraStatus,
    Component,
    ComponentStatus,
    House,
    HouseUse,
    Place,
    ResidenceType,
    ResourceCategory,
    ResourceRecord,
    RiskLevel,
)
from gridgov.registry.schemas import PersonOut


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str = "text"  # text, select, multiselect, checkbox, textarea
    data_type: str = "text"  # text, number, integer, boolean, list, integer-list, json
    value: Any = None
    options: list[tuple[Any, str]] = field(default_factory=list)
    required: bool = False
    hint: str = ""


@dataclass(frozen=True)
class ApiForm:
    title: str
    api: str
    method: str
    fields: list[FormField]
    submit: str = "保存"
    next: str | None = None


def person_form(person: PersonOut) -> ApiForm:
    return ApiForm(
        "修改人员信息",
        f"/api/v1/persons/{person.id}",
        "PATCH",
        [
            FormField("name", "姓名", value=person.name),
            FormField("phone", "新电话号码", hint="留空则不改；当前号码已脱敏"),
            FormField(
                "residence_type",
                "人口类型",
                kind="select",
                value=person.residence_type.value,
                options=[(t.value, t.value) for t in ResidenceType],
            ),
            FormField("relation_to_head", "与户主关系", value=person.relation_to_head),
            FormField(
                "tags", "标签", data_type="list", value="、".join(person.tags), hint="用顿号分隔"
            ),
        ],
    )


def building_form(building: Building) -> ApiForm:
    return ApiForm(
        "修改楼栋信息",
        f"/api/v1/buildings/{building.id}",
        "PATCH",
        [
            FormField("name", "名称", value=building.name),
            FormField("address", "地址", value=building.address),
            FormField("use", "用途", value=building.use),
            FormField("floors", "层数", data_type="integer", value=building.floors),
            FormField("units", "单元数", data_type="integer", value=building.units),
        ],
    )


def component_form(component: Component) -> ApiForm:
    return ApiForm(
        "修改部件",
        f"/api/v1/components/{component.id}",
        "PATCH",
        [
            FormField(
                "status",
                "状态",
                kind="select",
                value=component.status,
                options=[(s.value, s.value) for s in ComponentStatus],
            ),
            FormField("address", "地址", value=component.address),
        ],
    )


def _attribute_fields(category: ResourceCategory, values: dict[str, Any]) -> list[FormField]:
    schema = category.attribute_schema
    required = set(schema.get("required", []))
    fields = []
    for key, rule in schema.get("properties", {}).items():
        value = values.get(key)
        name, label = f"attributes.{key}", key
        if "enum" in rule:
            numeric = all(isinstance(v, int) for v in rule["enum"])
            fields.append(
                FormField(
                    name,
                    label,
                    kind="select",
                    data_type="integer" if numeric else "text",
                    value=value,
                    options=[(v, str(v)) for v in rule["enum"]],
                    required=key in required,
                )
            )
        elif rule.get("type") == "boolean":
            fields.append(FormField(name, label, kind="checkbox", data_type="boolean", value=value))
        elif rule.get("type") in ("integer", "number"):
            fields.append(
                FormField(
                    name, label, data_type=rule["type"], value=value, required=key in required
                )
            )
        elif rule.get("type") == "array":
            shown = "、".join(str(v) for v in value) if isinstance(value, list) else None
            fields.append(
                FormField(
                    name,
                    label,
                    data_type="list",
                    value=shown,
                    required=key in required,
                    hint="用顿号分隔",
                )
            )
        else:
            fields.append(FormField(name, label, value=value, required=key in required))
    return fields


def record_create_form(category: ResourceCategory) -> ApiForm:
    location = (
        [
            FormField("location.lon", "经度", data_type="number", required=True),
            FormField("location.lat", "纬度", data_type="number", required=True),
            FormField(
                "location.crs",
                "坐标系",
                kind="select",
                value="wgs84",
                options=[
                    ("wgs84", "WGS-84"),
                    ("gcj02", "GCJ-02（高德/腾讯）"),
                    ("bd09", "BD-09（百度）"),
                ],
                required=True,
            ),
        ]
        if category.geometry_type == "point"
        else [
            FormField(
                "geometry", "几何（GeoJSON）", kind="textarea", data_type="json", required=True
            )
        ]
    )
    return ApiForm(
        f"新增{category.name}",
        f"/api/v1/resource-categories/{category.code}/records",
        "POST",
        [
            FormField("code", "编码", required=True),
            FormField("name", "名称", required=True),
            *location,
            *_attribute_fields(category, {}),
        ],
        submit="新增",
    )


def record_edit_form(record: ResourceRecord, category: ResourceCategory) -> ApiForm:
    return ApiForm(
        f"修改{category.name}",
        f"/api/v1/resource-records/{record.id}",
        "PATCH",
        [
            FormField("name", "名称", value=record.name),
            *_attribute_fields(category, record.attributes),
        ],
    )


def category_create_form() -> ApiForm:
    return ApiForm(
        "新建资源类别",
        "/api/v1/resource-categories",
        "POST",
        [
            FormField("code", "编码", required=True, hint="小写字母、数字、下划线，如 ev_charger"),
            FormField("name", "名称", required=True),
            FormField("group_name", "分组", required=True, hint="如 设施、场所、应急"),
            FormField(
                "geometry_type",
                "几何类型",
                kind="select",
                value="point",
                options=[("point", "点"), ("polygon", "面"), ("line", "线"), ("none", "无")],
                required=True,
            ),
            FormField(
                "attribute_schema",
                "属性（JSON Schema）",
                kind="textarea",
                data_type="json",
                value='{"type": "object", "properties": {}, "required": []}',
                required=True,
            ),
            FormField("description", "说明"),
        ],
        submit="新建",
        next="/resource-categories",
    )


def camera_form(camera: Camera) -> ApiForm:
    return ApiForm(
        "修改监控",
        f"/api/v1/cameras/{camera.id}",
        "PATCH",
        [
            FormField("name", "名称", value=camera.name),
            FormField(
                "status",
                "状态",
                kind="select",
                value=camera.status,
                options=[(s.value, s.value) for s in CameraStatus],
            ),
            FormField(
                "direction_deg", "朝向（度）", data_type="integer", value=camera.direction_deg
            ),
            FormField("stream_url", "视频流地址", value=camera.stream_url),
        ],
    )


def place_form(place: Place) -> ApiForm:
    return ApiForm(
        "修改场所",
        f"/api/v1/places/{place.id}",
        "PATCH",
        [
            FormField("name", "名称", value=place.name),
            FormField("industry", "行业", value=place.industry),
            FormField("address", "地址", value=place.address),
            FormField("credit_code", "统一社会信用代码", value=place.credit_code),
            FormField("employees", "从业人数", data_type="integer", value=place.employees),
        ],
    )


def house_form(house: House) -> ApiForm:
    return ApiForm(
        "修改房屋",
        f"/api/v1/houses/{house.id}",
        "PATCH",
        [
            FormField(
                "use",
                "用途",
                kind="select",
                value=house.use,
                options=[(u.value, u.value) for u in HouseUse],
            ),
            FormField("area_m2", "面积（m²）", data_type="number", value=house.area_m2),
        ],
    )


def special_group_form(member_id: int, group: str, risk: str, every: int) -> ApiForm:
    return ApiForm(
        f"{group}：走访与风险",
        f"/api/v1/special-groups/{member_id}",
        "PATCH",
        [
            FormField("visited_now", "刚刚完成走访", kind="checkbox", data_type="boolean"),
            FormField(
                "risk_level",
                "风险等级",
                kind="select",
                value=risk,
                options=[(r.value, r.value) for r in RiskLevel],
            ),
            FormField("visit_every_days", "走访周期（天）", data_type="integer", value=every),
            FormField("note", "备注"),
        ],
    )


# Actions where a photo or video is part of the answer (a workflow may also require one).
MEDIA_ACTIONS = frozenset(
    {"self_settle", "feedback", "assist_feedback", "return", "rework", "reopen", "spot_check_fail"}
)


def event_action_form(
    event_id: int,
    version: int,
    action: str,
    label: str,
    required: list[str],
    departments: list[tuple[int, str]],
    categories: list[tuple[str, str]] = (),  # type: ignore[assignment]
    duplicate_ids: list[int] = (),  # type: ignore[assignment]
    recommended: dict[int, str] | None = None,
    recommendation_reason: str = "",
) -> ApiForm:
    """One workflow action on a case; the version the page saw rides along for the 409 check.
    ``recommended``: department id → what routing says of it (推荐转办), listed first, the
    first one chosen."""
    fields = [FormField("version", "版本", data_type="integer", value=version, kind="hidden")]
    if action in ("dispatch", "reassign"):
        suggested = recommended or {}
        names = dict(departments)
        fields.append(
            FormField(
                "department_id",
                "主办部门",
                kind="select",
                data_type="integer",
                value=next(iter(suggested), None),
                options=[
                    (d, f"{names[d]}（{note}）") for d, note in suggested.items() if d in names
                ]
                + [(d, name) for d, name in departments if d not in suggested],
                required=True,
                hint=f"推荐依据：{recommendation_reason}" if recommendation_reason else "",
            )
        )
        fields.append(
            FormField(
                "assisting_department_ids",
                "协办部门（可多选）",
                kind="multiselect",
                data_type="integer-list",
                options=[(d, name) for d, name in departments],
            )
        )
    if action == "classify":
        fields.append(
            FormField(
                "category_code",
                "改为类别",
                kind="select",
                options=[(code, f"{code} {name}") for code, name in categories],
                required=True,
            )
        )
    if action == "rate":
        fields.append(
            FormField(
                "satisfaction",
                "满意度",
                kind="select",
                data_type="integer",
                options=[
                    (5, "5 非常满意"),
                    (4, "4 满意"),
                    (3, "3 一般"),
                    (2, "2 不满意"),
                    (1, "1 非常不满意"),
                ],
                required=True,
            )
        )
    if action == "request_extension":
        fields.append(FormField("hours", "延期工作小时数", data_type="number", required=True))
    if action == "supervise":
        fields.append(
            FormField(
                "card",
                "督办牌",
                kind="select",
                options=[("yellow", "黄牌"), ("red", "红牌")],
                required=True,
            )
        )
    if action == "merge":
        fields.append(
            FormField(
                "target_id",
                "合并到事件（ID）",
                data_type="integer",
                required=True,
                value=duplicate_ids[0] if duplicate_ids else None,
            )
        )
    if "media_ids" in required or action in MEDIA_ACTIONS:
        # Uploaded one by one to /api/v1/media by form.js, then sent as media_ids.
        fields.append(
            FormField(
                "media_ids",
                "处置后照片/视频" if action == "self_settle" else "照片/视频",
                kind="file",
                required="media_ids" in required,
                hint="JPEG、PNG、WebP 照片或 MP4、MOV、WebM 视频，可多选",
            )
        )
    fields.append(FormField("comment", "办理意见", required="comment" in required))
    return ApiForm(
        label, f"/api/v1/events/{event_id}/actions/{action}", "POST", fields, submit=label
    )

"""Form templates shipped with the platform, as data: the epidemic household screening form
(疫情防控入户排查) and the short province list it uses. Installed by the seed and by the admin's
"install templates" action (``services.install_templates``); nothing here runs at import."""

from __future__ import annotations

from typing import Any

EPIDEMIC_CODE = "epidemic_household_screening"

# The 34 provincial-level divisions (a short list shipped as data: the full administrative
# code tables are not read at run time).
PROVINCES: tuple[str, ...] = (
    "北京市",
    "天津市",
    "河北省",
    "山西省",
    "内蒙古自治区",
    "辽宁省",
    "吉林省",
    "黑龙江省",
    "上海市",
    "江苏省",
    "浙江省",
    "安徽省",
    "福建省",
    "江西省",
    "山东省",
    "河南省",
    "湖北省",
    "湖南省",
    "广东省",
    "广西壮族自治区",
    "海南省",
    "重庆市",
    "四川省",
    "贵州省",
    "云南省",
    "西藏自治区",
    "陕西省",
    "甘肃省",
    "青海省",
    "宁夏回族自治区",
    "新疆维吾尔自治区",
    "台湾省",
    "香港特别行政区",
    "澳门特别行政区",
)
OUTSIDE_CHINA = "境外"

HEALTH_STATUSES: tuple[tuple[str, str], ...] = (
    ("healthy", "健康"),
    ("fever", "发热"),
    ("cough", "咳嗽"),
    ("other", "其他症状"),
)
SYMPTOMS = frozenset({"fever", "cough", "other"})
RELATIONS: tuple[tuple[str, str], ...] = (
    ("relative", "亲属"),
    ("tenant", "租户"),
    ("visitor", "访客"),
    ("worker", "务工人员"),
    ("other", "其他"),
)
MAX_DOSES = 4
RECENT_DAYS = 14


def _options(pairs: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"value": value, "label": label} for value, label in pairs]


EPIDEMIC_FORM: dict[str, Any] = {
    "fields": [
        {
            "key": "at_home",
            "label": "是否在家",
            "type": "boolean",
            "required": True,
            "help": "无人在家时只需填写此项，可另行补填",
        },
        {
            "key": "residents_present",
            "label": "在家居住人数",
            "type": "integer",
            "required": True,
            "min": 0,
            "max": 50,
            "show_if": {"field": "at_home", "equals": True},
        },
        {
            "key": "has_outsiders",
            "label": "是否有外来人员",
            "type": "boolean",
            "required": True,
            "show_if": {"field": "at_home", "equals": True},
        },
        {
            "key": "outsiders",
            "label": "外来人员",
            "type": "group",
            "repeat": True,
            "max_items": 20,
            "required": True,
            "show_if": {"field": "has_outsiders", "equals": True},
            "help": "每人一项；只记姓氏，不记全名",
            "fields": [
                {
                    "key": "surname",
                    "label": "姓氏",
                    "type": "text",
                    "required": True,
                    "max_length": 2,
                },
                {
                    "key": "relation",
                    "label": "与本户关系",
                    "type": "select",
                    "required": True,
                    "options": _options(RELATIONS),
                },
                {
                    "key": "origin_province",
                    "label": "来源地（省）",
                    "type": "select",
                    "required": True,
                    "options": [{"value": p, "label": p} for p in (*PROVINCES, OUTSIDE_CHINA)],
                },
                {
                    "key": "origin_city",
                    "label": "来源地（市/县）",
                    "type": "text",
                    "max_length": 40,
                },
                {"key": "arrival_date", "label": "到达日期", "type": "date", "required": True},
                {
                    "key": "health_status",
                    "label": "健康状况",
                    "type": "select",
                    "required": True,
                    "options": _options(HEALTH_STATUSES),
                },
                {
                    "key": "symptom_note",
                    "label": "症状说明",
                    "type": "text",
                    "max_length": 100,
                    "show_if": {"field": "health_status", "equals": "other"},
                },
                {
                    "key": "vaccine_doses",
                    "label": "疫苗接种剂次",
                    "type": "integer",
                    "required": True,
                    "min": 0,
                    "max": MAX_DOSES,
                },
                {"key": "last_dose_date", "label": "末次接种日期", "type": "date"},
                {
                    "key": "under_monitoring",
                    "label": "是否纳入健康监测",
                    "type": "boolean",
                    "required": True,
                },
                {"key": "phone", "label": "联系电话", "type": "phone"},
            ],
        },
        {
            "key": "household_symptoms",
            "label": "本户常住人员是否有发热、咳嗽等症状",
            "type": "boolean",
            "show_if": {"field": "at_home", "equals": True},
        },
        {"key": "notes", "label": "备注", "type": "textarea", "max_length": 500},
    ]
}


TEMPLATES: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    (
        EPIDEMIC_CODE,
        "疫情防控入户排查",
        "逐户登记在家情况、外来人员（来源地、到达日期、健康状况、疫苗接种）与健康监测。",
        EPIDEMIC_FORM,
    ),
)

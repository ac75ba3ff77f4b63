"""Routing's starting data: the rule set a new installation is offered, and which department
each class of the public labelled messages belongs to. Department codes are the demo's
organisation codes (`dept-<short>`, see seed/orgs.py)."""

from __future__ import annotations

from typing import Any

# The public labelled messages (../shared/data/complaints) carry the province's seven
# first-level classes; each is one district department's business.
PUBLIC_LABEL_DEPARTMENTS: dict[str, str] = {
    "城乡建设": "dept-zj",
    "劳动和社会保障": "dept-rs",
    "教育文体": "dept-jy",
    "商贸旅游": "dept-sj",
    "环境保护": "dept-hb",
    "卫生计生": "dept-wj",
    "交通运输": "dept-jt",
}

# The first rule set, saved as a draft: the admin replays it over past cases, then activates it.
DEMO_RULES: dict[str, Any] = {
    "rules": [
        {
            "id": "fire-lane",
            "name": "占用消防通道→消防救援大队",
            "when": {"categories": ["0401"]},
            "then": {"department": "dept-xf", "level": "district", "time_limit_hours": 2},
        },
        {
            "id": "night-noise",
            "name": "夜间噪音扰民→公安分局，生态环境协办",
            "when": {"categories": ["0203"], "hours": {"start": 22, "end": 6}},
            "then": {"department": "dept-ga", "assisting": ["dept-hb"]},
        },
        {
            "id": "manhole",
            "name": "井盖破损丢失→水务局（4 小时）",
            "when": {"categories": ["0301"]},
            "then": {"department": "dept-sw", "time_limit_hours": 4},
        },
        {
            "id": "unpaid-wages",
            "name": "欠薪→人社局主办、司法局协办（推荐）",
            "when": {"keywords": ["欠薪", "拖欠工资", "讨薪"]},
            "then": {"department": "dept-rs", "assisting": ["dept-sf"], "mode": "recommend"},
        },
        {
            "id": "parking-hotline",
            "name": "12345 违停工单→交警大队",
            "when": {"categories": ["0202"], "sources": ["hotline"]},
            "then": {"department": "dept-jj"},
        },
    ],
    "thresholds": {"default": 0.9, "by_category": {"0501": None, "9901": None}},
}

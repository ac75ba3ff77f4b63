"""Form definitions are checked on save with every problem named where it is; values are
checked against them: types, required-when-shown, options, ranges, dates, phones, repeat
groups and unknown keys."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gridgov.campaigns import catalog, forms
from gridgov.kit.crypto import mask_phone
from gridgov.kit.errors import InvalidInput


def definition(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"fields": list(fields)}


YES_NO = {"key": "at_home", "label": "是否在家", "type": "boolean", "required": True}
PEOPLE = {
    "key": "people",
    "label": "人员",
    "type": "group",
    "repeat": True,
    "max_items": 2,
    "show_if": {"field": "at_home", "equals": True},
    "fields": [
        {"key": "surname", "label": "姓氏", "type": "text", "required": True, "max_length": 2},
        {"key": "arrived", "label": "到达日期", "type": "date", "required": True},
        {
            "key": "health",
            "label": "健康",
            "type": "select",
            "options": [{"value": "ok", "label": "健康"}, {"value": "other", "label": "其他"}],
        },
        {
            "key": "note",
            "label": "说明",
            "type": "text",
            "required": True,
            "show_if": {"field": "health", "equals": "other"},
        },
        {"key": "phone", "label": "电话", "type": "phone"},
    ],
}
COUNT = {
    "key": "present",
    "label": "在家人数",
    "type": "integer",
    "min": 0,
    "max": 10,
    "required": True,
    "show_if": {"field": "at_home", "equals": True},
}
FORM = forms.parse(definition(YES_NO, COUNT, PEOPLE))


def test_the_shipped_templates_are_valid() -> None:
    for _code, _title, _description, shipped in catalog.TEMPLATES:
        spec, problems = forms.check(shipped)
        assert spec is not None and problems == []


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ([YES_NO, {**YES_NO, "label": "重复"}], "fields[1]（at_home）：字段名 at_home 重复"),
        (
            [{"key": "kind", "label": "类型", "type": "select"}],
            "fields[0]（kind）：单选字段需要 options（选项）",
        ),
        (
            [{"key": "n", "label": "数", "type": "integer", "min": 5, "max": 1}],
            "fields[0]（n）：min（5）不能大于 max（1）",
        ),
        (
            [{"key": "t", "label": "文字", "type": "text", "min": 1}],
            "fields[0]（t）：只有整数、数值字段可以有 min / max",
        ),
        (
            [{**COUNT, "show_if": {"field": "later", "equals": True}}, YES_NO],
            "fields[0]（present）：show_if 引用的字段 later 不存在或不在本字段之前",
        ),
        (
            [{**COUNT, "show_if": {"field": "at_home", "equals": True}}, YES_NO],
            "fields[0]（present）：show_if 引用的字段 at_home 不存在或不在本字段之前",
        ),
        (
            [YES_NO, {**COUNT, "show_if": {"field": "at_home", "equals": "yes"}}],
            "fields[1]（present）：show_if 的 equals 应为 true 或 false",
        ),
        (
            [{"key": "t", "label": "文字", "type": "text", "fields": [YES_NO]}],
            "fields[0]（t）：只有分组（group）可以有 fields",
        ),
        (
            [{**PEOPLE, "show_if": None, "fields": [{**PEOPLE, "show_if": None}]}],
            "fields[0]（people）.fields[0]（people）：分组不能嵌套（最多两层）",
        ),
        (
            [{"key": "g", "label": "组", "type": "group", "max_items": 3, "fields": [YES_NO]}],
            "fields[0]（g）：max_items 只用于可重复的分组（repeat: true）",
        ),
        (
            [
                YES_NO,
                {
                    "key": "g",
                    "label": "组",
                    "type": "group",
                    "fields": [
                        {**COUNT, "show_if": {"field": "x", "equals": 1}},
                    ],
                },
            ],
            "fields[1]（g）.fields[0]（present）：show_if 引用的字段 x 不存在或不在本字段之前",
        ),
        (
            [
                {
                    "key": "c",
                    "label": "多选",
                    "type": "multiselect",
                    "options": [{"value": "a", "label": "甲"}, {"value": "a", "label": "乙"}],
                }
            ],
            "fields[0]（c）：选项值重复：a",
        ),
    ],
)
def test_bad_definitions_are_listed_with_where(fields: list[dict[str, Any]], expected: str) -> None:
    spec, problems = forms.check(definition(*fields))
    assert spec is not None
    assert expected in problems


def test_malformed_definitions_name_the_place_and_refuse_unknown_keys() -> None:
    _, problems = forms.check(
        definition(
            {"key": "Bad-Key", "label": "x", "type": "text"},
            {"key": "ok", "label": "y", "type": "colour"},
            {"key": "z", "label": "z", "type": "text", "requird": True},
        )
    )
    assert any(p.startswith("fields[0].key：") for p in problems)
    assert any(p.startswith("fields[1].type：只能是") for p in problems)
    assert "fields[2].requird：不认识的字段（请检查拼写）" in problems
    with pytest.raises(InvalidInput) as refused:
        forms.parse({"fields": []})
    assert refused.value.code == "invalid_form"
    assert refused.value.details["errors"] == ["fields：至少需要一项"]


def test_a_group_may_show_on_an_earlier_top_level_field() -> None:
    spec = forms.parse(
        definition(
            YES_NO,
            {
                "key": "g",
                "label": "组",
                "type": "group",
                "fields": [{**COUNT, "show_if": {"field": "at_home", "equals": True}}],
            },
        )
    )
    clean, errors = forms.validate_values(spec, {"at_home": False, "g": {}})
    assert errors == [] and clean == {"at_home": False, "g": {}}
    _, errors = forms.validate_values(spec, {"at_home": True, "g": {}})
    assert [e.path for e in errors] == ["g.present"]


def paths(values: Any) -> list[str]:
    return [e.path for e in forms.validate_values(FORM, values)[1]]


def test_required_only_when_shown_and_hidden_values_are_dropped() -> None:
    assert paths({}) == ["at_home"]
    # Not at home: the count and the people are hidden, so neither is required nor kept.
    clean, errors = forms.validate_values(FORM, {"at_home": False, "present": 3, "people": []})
    assert errors == [] and clean == {"at_home": False}
    assert paths({"at_home": True}) == ["present"]
    clean, errors = forms.validate_values(FORM, {"at_home": True, "present": 2.0})
    assert errors == [] and clean == {"at_home": True, "present": 2}


def test_types_ranges_and_unknown_keys() -> None:
    assert paths({"at_home": 1, "present": 1}) == ["at_home"]  # 1 is not true
    assert paths({"at_home": True, "present": True}) == ["present"]  # true is not 1
    assert paths({"at_home": True, "present": 11}) == ["present"]
    assert paths({"at_home": True, "present": 1.5}) == ["present"]
    assert paths({"at_home": True, "present": 1, "colour": "red"}) == ["colour"]
    assert forms.validate_values(FORM, ["not", "an", "object"])[1][0].message == "应为对象"


def person(**overrides: Any) -> dict[str, Any]:
    return {"surname": "王", "arrived": "2024-03-02", "health": "ok", **overrides}


def test_repeat_groups_are_checked_entry_by_entry() -> None:
    values = {"at_home": True, "present": 2}
    clean, errors = forms.validate_values(
        FORM, {**values, "people": [person(), person(surname=" 欧阳 ", phone="138 0013 8000")]}
    )
    assert errors == []
    assert clean["people"][1] == {**person(surname="欧阳"), "phone": "13800138000"}
    found = forms.validate_values(
        FORM,
        {
            **values,
            "people": [
                person(arrived="2024-02-30"),
                person(health="other", surname="诸葛亮"),
                person(health="fine", phone="12345", extra=1),
            ],
        },
    )[1]
    assert [(e.path, e.message) for e in found] == [("people", "最多 2 项")]
    found = forms.validate_values(
        FORM,
        {
            **values,
            "people": [
                person(arrived="2024-02-30"),
                person(health="other", surname="诸葛亮", phone="0537-2345678"),
            ],
        },
    )[1]
    assert [e.path for e in found] == [
        "people[0].arrived",
        "people[1].surname",
        "people[1].note",
    ]
    assert found[2].label == "人员 第2项 / 说明"
    assert str(found[0]) == "人员 第1项 / 到达日期（people[0].arrived）：不是有效的日期"
    found = forms.validate_values(
        FORM, {**values, "people": [person(health="fine", phone="12345", extra=1)]}
    )[1]
    assert sorted(e.path for e in found) == [
        "people[0].extra",
        "people[0].health",
        "people[0].phone",
    ]
    assert paths({**values, "people": {"surname": "王"}}) == ["people"]


def test_selects_multiselects_and_dates() -> None:
    spec = forms.parse(
        definition(
            {
                "key": "kinds",
                "label": "类型",
                "type": "multiselect",
                "options": [{"value": "a", "label": "甲"}, {"value": "b", "label": "乙"}],
            },
            {"key": "day", "label": "日期", "type": "date"},
            {"key": "rate", "label": "比例", "type": "number", "min": 0, "max": 1},
            {
                "key": "why",
                "label": "原因",
                "type": "textarea",
                "show_if": {"field": "kinds", "equals": "b"},
                "required": True,
            },
        )
    )
    clean, errors = forms.validate_values(
        spec, {"kinds": ["b", "a"], "day": "2024-05-01", "rate": 0.5, "why": " 因为 "}
    )
    assert errors == []
    assert clean == {"kinds": ["a", "b"], "day": "2024-05-01", "rate": 0.5, "why": "因为"}
    _, errors = forms.validate_values(
        spec, {"kinds": ["a", "a", "c"], "day": "5/1/2024", "rate": float("nan")}
    )
    assert sorted(e.path for e in errors) == ["day", "kinds", "rate"]
    _, errors = forms.validate_values(spec, {"kinds": ["b"]})
    assert [e.path for e in errors] == ["why"]


def test_personal_data_is_split_out_and_masked() -> None:
    clean, _ = forms.validate_values(
        FORM,
        {"at_home": True, "present": 1, "people": [person(phone="13800138000"), person()]},
    )
    shown, secrets = forms.split_sensitive(FORM, copy.deepcopy(clean), mask_phone)
    assert shown["people"][0]["phone"] == "138****8000"
    assert "phone" not in shown["people"][1]
    assert secrets == {"people[0].phone": "13800138000"}

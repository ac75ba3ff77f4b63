"""Campaign forms are data: typed fields, required flags, options, ranges and simple
``show_if`` conditions. This module checks a definition when it is saved and checks the values a
worker sends against it. Nothing in a definition or in the values is ever evaluated as code.

A definition is JSON::

    {"fields": [
      {"key": "at_home", "label": "是否在家", "type": "boolean", "required": true},
      {"key": "outsiders", "label": "外来人员", "type": "group", "repeat": true, "max_items": 20,
       "show_if": {"field": "at_home", "equals": true},
       "fields": [{"key": "origin_province", "label": "来源地", "type": "select",
                   "options": [{"value": "北京市", "label": "北京市"}]}, ...]}
    ]}

* ``show_if`` names an earlier field of the same list (or, inside a group, an earlier top-level
  field); the field is shown, and only then required, when that field's value equals
  ``equals`` (for a multiselect: contains it). Values of hidden fields are dropped.
* ``group`` holds ``fields`` (one level only: groups do not nest); with ``repeat`` its value is
  a list of entries (at most ``max_items``), without it one object.
* Values are checked by type: text lengths, integer/number ranges, ISO dates (YYYY-MM-DD),
  booleans, options, phone numbers (mainland mobile or landline). Unknown keys are refused.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from gridgov.kit.errors import InvalidInput
from gridgov.kit.validation import describe_error

KEY = r"^[a-z][a-z0-9_]{0,39}$"
FieldType = Literal[
    "text",
    "textarea",
    "integer",
    "number",
    "date",
    "boolean",
    "select",
    "multiselect",
    "phone",
    "group",
]
TYPE_LABELS: dict[str, str] = {
    "text": "单行文字",
    "textarea": "多行文字",
    "integer": "整数",
    "number": "数值",
    "date": "日期",
    "boolean": "是/否",
    "select": "单选",
    "multiselect": "多选",
    "phone": "电话号码",
    "group": "分组",
}
CHOICE_TYPES = frozenset({"select", "multiselect"})
NUMERIC_TYPES = frozenset({"integer", "number"})
TEXT_TYPES = frozenset({"text", "textarea"})
# Values of these types are personal data: stored encrypted, shown masked.
SENSITIVE_TYPES = frozenset({"phone"})
DEFAULT_MAX_LENGTH = {"text": 200, "textarea": 2000}
MAX_TEXT_LENGTH = 5000
DEFAULT_MAX_ITEMS = 50
MAX_ITEMS = 500
MAX_FIELDS = 200
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Scalar = bool | int | float | str


class Option(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str = Field(min_length=1, max_length=60)
    label: str = Field(min_length=1, max_length=60)


class ShowIf(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(pattern=KEY)
    equals: Scalar


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=KEY)
    label: str = Field(min_length=1, max_length=60)
    type: FieldType
    required: bool = False
    options: list[Option] | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = Field(default=None, ge=1, le=MAX_TEXT_LENGTH)
    help: str = Field(default="", max_length=300)
    show_if: ShowIf | None = None
    fields: list[FieldSpec] | None = None
    repeat: bool = False
    max_items: int | None = Field(default=None, ge=1, le=MAX_ITEMS)


class FormDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fields: list[FieldSpec] = Field(min_length=1)


# -- checking a definition ------------------------------------------------------------------


def parse(definition: Any) -> FormDefinition:
    """A definition, validated; every problem is named in the error."""
    spec, problems = check(definition)
    if problems or spec is None:
        message = "排查表定义格式错误" if spec is None else "排查表定义不合法"
        raise InvalidInput(message, code="invalid_form", errors=problems)
    return spec


def load(definition: dict[str, Any]) -> FormDefinition:
    """A stored definition (checked when it was saved)."""
    return FormDefinition.model_validate(definition)


def check(definition: Any) -> tuple[FormDefinition | None, list[str]]:
    """The parsed definition (None when malformed) and every problem found, in Chinese."""
    try:
        spec = FormDefinition.model_validate(definition)
    except ValidationError as exc:
        return None, [_format_error(e) for e in exc.errors()]
    problems: list[str] = []
    if sum(1 + len(f.fields or []) for f in spec.fields) > MAX_FIELDS:
        problems.append(f"排查表最多 {MAX_FIELDS} 个字段")
    problems += _check_list(spec.fields, "fields", depth=1, top=[])
    return spec, problems


def _check_list(
    fields: list[FieldSpec], where: str, *, depth: int, top: list[FieldSpec]
) -> list[str]:
    """``top``: inside a group, the top-level fields before it (show_if may name them)."""
    problems: list[str] = []
    seen: dict[str, FieldSpec] = {}
    for index, spec in enumerate(fields):
        at = f"{where}[{index}]（{spec.key}）"
        if spec.key in seen:
            problems.append(f"{at}：字段名 {spec.key} 重复")
        problems += _check_field(spec, at, depth=depth)
        if spec.show_if is not None:
            siblings = {f.key for f in fields}
            problems += _check_show_if(spec.show_if, at, seen, siblings, top)
        if spec.type == "group" and spec.fields:
            problems += _check_list(
                spec.fields, f"{at}.fields", depth=depth + 1, top=fields[:index]
            )
        seen.setdefault(spec.key, spec)
    return problems


def _check_field(spec: FieldSpec, at: str, *, depth: int) -> list[str]:
    problems: list[str] = []
    kind = spec.type
    if kind in CHOICE_TYPES:
        if not spec.options:
            problems.append(f"{at}：{TYPE_LABELS[kind]}字段需要 options（选项）")
        else:
            values = [o.value for o in spec.options]
            duplicates = sorted({v for v in values if values.count(v) > 1})
            if duplicates:
                problems.append(f"{at}：选项值重复：{'、'.join(duplicates)}")
    elif spec.options is not None:
        problems.append(f"{at}：只有单选、多选字段可以有 options")
    if kind in NUMERIC_TYPES:
        if spec.min is not None and spec.max is not None and spec.min > spec.max:
            problems.append(f"{at}：min（{spec.min:g}）不能大于 max（{spec.max:g}）")
        if kind == "integer":
            for name in ("min", "max"):
                bound = getattr(spec, name)
                if bound is not None and not float(bound).is_integer():
                    problems.append(f"{at}：整数字段的 {name} 应为整数")
    elif spec.min is not None or spec.max is not None:
        problems.append(f"{at}：只有整数、数值字段可以有 min / max")
    if spec.max_length is not None and kind not in TEXT_TYPES:
        problems.append(f"{at}：只有文字字段可以有 max_length")
    if kind == "group":
        if depth > 1:
            problems.append(f"{at}：分组不能嵌套（最多两层）")
        if not spec.fields:
            problems.append(f"{at}：分组需要 fields（组内字段）")
        if spec.max_items is not None and not spec.repeat:
            problems.append(f"{at}：max_items 只用于可重复的分组（repeat: true）")
    else:
        if spec.fields is not None:
            problems.append(f"{at}：只有分组（group）可以有 fields")
        if spec.repeat or spec.max_items is not None:
            problems.append(f"{at}：只有分组（group）可以设置 repeat / max_items")
    return problems


def _check_show_if(
    show_if: ShowIf,
    at: str,
    earlier: dict[str, FieldSpec],
    siblings: set[str],
    top: list[FieldSpec],
) -> list[str]:
    target = earlier.get(show_if.field)
    if target is None and show_if.field not in siblings:
        target = next((f for f in top if f.key == show_if.field), None)
    if target is None:
        return [f"{at}：show_if 引用的字段 {show_if.field} 不存在或不在本字段之前"]
    equals = show_if.equals
    if target.type == "group":
        return [f"{at}：show_if 不能引用分组 {show_if.field}"]
    if target.type in CHOICE_TYPES:
        allowed = {o.value for o in target.options or []}
        if not isinstance(equals, str) or equals not in allowed:
            return [f"{at}：show_if 的 equals 应为字段 {show_if.field} 的选项值之一"]
    elif target.type == "boolean" and not isinstance(equals, bool):
        return [f"{at}：show_if 的 equals 应为 true 或 false"]
    elif target.type in NUMERIC_TYPES and (isinstance(equals, bool | str)):
        return [f"{at}：show_if 的 equals 应为数字"]
    elif target.type not in NUMERIC_TYPES | {"boolean"} and not isinstance(equals, str):
        return [f"{at}：show_if 的 equals 应为文字"]
    return []


def _format_error(error: ErrorDetails) -> str:
    return describe_error(error, "排查表定义")


# -- checking values --------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldError:
    path: str  # machine-readable: outsiders[0].arrival_date
    label: str  # for people: 外来人员 第1项 / 到达日期
    message: str

    def __str__(self) -> str:
        return f"{self.label}（{self.path}）：{self.message}"


def validate_values(
    definition: FormDefinition, values: Any
) -> tuple[dict[str, Any], list[FieldError]]:
    """The values cleaned (strings stripped, hidden fields dropped) and every problem found."""
    errors: list[FieldError] = []
    if not isinstance(values, dict):
        return {}, [FieldError("", "排查表", "应为对象")]
    clean = _validate_list(definition.fields, values, "", "", None, errors)
    return clean, errors


def _validate_list(
    fields: list[FieldSpec],
    values: dict[str, Any],
    path: str,
    label: str,
    top: dict[str, Any] | None,
    errors: list[FieldError],
) -> dict[str, Any]:
    known = {f.key for f in fields}
    for key in values:
        if key not in known:
            errors.append(FieldError(f"{path}{key}", f"{label}{key}", "表中没有这个字段"))
    clean: dict[str, Any] = {}
    for spec in fields:
        if not _shown(spec, clean, top, known):
            continue
        where, who = f"{path}{spec.key}", f"{label}{spec.label}"
        raw = values.get(spec.key)
        if _empty(raw):
            if spec.required:
                errors.append(FieldError(where, who, "必填"))
            continue
        value = _validate_value(spec, raw, where, who, clean if top is None else top, errors)
        if value is not None:
            clean[spec.key] = value
    return clean


def _empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []


def _shown(
    spec: FieldSpec, siblings: dict[str, Any], top: dict[str, Any] | None, sibling_keys: set[str]
) -> bool:
    if spec.show_if is None:
        return True
    name = spec.show_if.field
    # An earlier sibling, else (inside a group) an earlier top-level field.
    source = siblings if name in sibling_keys or top is None else top
    if name not in source:
        return False
    actual, expected = source[name], spec.show_if.equals
    if isinstance(actual, list):
        return any(_same(item, expected) for item in actual)
    return _same(actual, expected)


def _same(actual: Any, expected: Any) -> bool:
    """Equality that does not take True for 1."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    return bool(actual == expected)


def _validate_value(
    spec: FieldSpec,
    raw: Any,
    where: str,
    who: str,
    top: dict[str, Any],
    errors: list[FieldError],
) -> Any:
    def fail(message: str) -> None:
        errors.append(FieldError(where, who, message))

    kind = spec.type
    if kind in TEXT_TYPES:
        if not isinstance(raw, str):
            return fail("应为文字")
        text = raw.strip()
        limit = spec.max_length or DEFAULT_MAX_LENGTH[kind]
        if len(text) > limit:
            return fail(f"最多 {limit} 个字")
        return text
    if kind in NUMERIC_TYPES:
        number: int | float
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            return fail("应为整数" if kind == "integer" else "应为数字")
        if not math.isfinite(raw):
            return fail("应为数字")
        if kind == "integer":
            if isinstance(raw, float) and not raw.is_integer():
                return fail("应为整数")
            number = int(raw)
        else:
            number = raw
        if spec.min is not None and number < spec.min:
            return fail(f"不能小于 {spec.min:g}")
        if spec.max is not None and number > spec.max:
            return fail(f"不能大于 {spec.max:g}")
        return number
    if kind == "date":
        if not isinstance(raw, str) or not ISO_DATE.match(raw.strip()):
            return fail("日期应为 YYYY-MM-DD 格式")
        try:
            return date.fromisoformat(raw.strip()).isoformat()
        except ValueError:
            return fail("不是有效的日期")
    if kind == "boolean":
        if not isinstance(raw, bool):
            return fail("应为“是”或“否”（true / false）")
        return raw
    if kind == "select":
        allowed = [o.value for o in spec.options or []]
        if not isinstance(raw, str) or raw not in allowed:
            return fail("不是可选的选项")
        return raw
    if kind == "multiselect":
        allowed = [o.value for o in spec.options or []]
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            return fail("应为选项列表")
        unknown = [v for v in raw if v not in allowed]
        if unknown:
            return fail(f"不是可选的选项：{'、'.join(unknown[:5])}")
        if len(set(raw)) != len(raw):
            return fail("选项重复")
        # In the definition's order, so equal choices store equally.
        return [v for v in allowed if v in raw]
    if kind == "phone":
        if not isinstance(raw, str):
            return fail("应为电话号码")
        phone = re.sub(r"[\s()（）]", "", raw)
        if phone.startswith("+86"):
            phone = phone[3:]
        if not (MOBILE.match(phone) or LANDLINE.match(phone)):
            return fail("不是有效的电话号码（手机 11 位，座机如 0537-1234567）")
        return phone
    # group
    assert spec.fields is not None
    if not spec.repeat:
        if not isinstance(raw, dict):
            return fail("应为对象")
        return _validate_list(spec.fields, raw, f"{where}.", f"{who} / ", top, errors)
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        return fail("应为列表，每项一个对象")
    limit = spec.max_items or DEFAULT_MAX_ITEMS
    if len(raw) > limit:
        return fail(f"最多 {limit} 项")
    return [
        _validate_list(spec.fields, item, f"{where}[{i}].", f"{who} 第{i + 1}项 / ", top, errors)
        for i, item in enumerate(raw)
    ]


# -- personal data in values ------------------------------------------------------------------


def split_sensitive(
    definition: FormDefinition, clean: dict[str, Any], mask: Callable[[str], str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Clean values with personal data masked, and the plain values by path (to be stored
    encrypted)."""
    secrets: dict[str, str] = {}

    def walk(fields: list[FieldSpec], values: dict[str, Any], path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for spec in fields:
            if spec.key not in values:
                continue
            value = values[spec.key]
            where = f"{path}{spec.key}"
            if spec.type in SENSITIVE_TYPES and isinstance(value, str):
                secrets[where] = value
                out[spec.key] = mask(value)
            elif spec.type == "group" and spec.fields is not None:
                if isinstance(value, list):
                    out[spec.key] = [
                        walk(spec.fields, item, f"{where}[{i}].") for i, item in enumerate(value)
                    ]
                else:
                    out[spec.key] = walk(spec.fields, value, f"{where}.")
            else:
                out[spec.key] = value
        return out

    return walk(definition.fields, clean, ""), secrets


# -- reading values for statistics and export ---------------------------------------------------


def option_labels(spec: FieldSpec) -> dict[str, str]:
    return {o.value: o.label for o in spec.options or []}


def display(spec: FieldSpec, value: Any) -> str:
    """A value as a person reads it (for exports)."""
    if value is None:
        return ""
    if spec.type == "boolean":
        return "是" if value else "否"
    if spec.type == "select":
        return option_labels(spec).get(value, str(value))
    if spec.type == "multiselect" and isinstance(value, list):
        labels = option_labels(spec)
        return "、".join(labels.get(v, str(v)) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def countable_fields(definition: FormDefinition) -> list[tuple[FieldSpec | None, FieldSpec]]:
    """The select, multiselect and boolean fields, with their group (None at the top)."""
    found: list[tuple[FieldSpec | None, FieldSpec]] = []
    for spec in definition.fields:
        if spec.type in CHOICE_TYPES or spec.type == "boolean":
            found.append((None, spec))
        elif spec.type == "group":
            found += [
                (spec, inner)
                for inner in spec.fields or []
                if inner.type in CHOICE_TYPES or inner.type == "boolean"
            ]
    return found

"""Pydantic's validation errors as Chinese lines that say where the problem is.

Definitions that admins write as JSON (workflows, campaign forms) are parsed with Pydantic;
their editors list every problem in Chinese with its place, e.g.
``transitions[2].levels[0]：只能是 'grid'、'community'``.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails

MESSAGES = {
    "missing": "缺少必填项",
    "extra_forbidden": "不认识的字段（请检查拼写）",
    "string_type": "应为文字",
    "string_too_short": "不能为空",
    "string_too_long": "太长",
    "string_pattern_mismatch": "只能用小写字母、数字和下划线，以字母开头",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "too_short": "至少需要一项",
    "greater_than": "必须大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能超过 {le}",
    "literal_error": "只能是 {expected}",
}
# Parts of an error's location that name the branch of a union pydantic tried, not a place.
_UNION_BRANCHES = frozenset({"str", "int", "float", "bool"})


def describe_error(error: ErrorDetails, whole: str) -> str:
    """One pydantic error as ``where：message``; ``whole`` names the document when the error
    is about all of it."""
    where = ""
    for part in error["loc"]:
        if isinstance(part, int):
            where += f"[{part}]"
        elif part not in _UNION_BRANCHES:
            where += f".{part}" if where else str(part)
    template = MESSAGES.get(error["type"])
    if template is None:
        message = f"格式不正确（{error['msg']}）"
    else:
        message = template.format(**{k: _ctx(v) for k, v in (error.get("ctx") or {}).items()})
    return f"{where or whole}：{message}"


def _ctx(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("' or '", "'、'").replace("', '", "'、'")

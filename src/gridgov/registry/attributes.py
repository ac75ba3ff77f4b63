"""The attributes of a generic resource category: a JSON Schema, and records checked against it."""

from __future__ import annotations

from typing import Any

import jsonschema
from jsonschema.exceptions import SchemaError

from gridgov.kit.errors import InvalidInput
from gridgov.registry.models import ResourceCategory


def check_schema(schema: dict[str, Any]) -> None:
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise InvalidInput(
            f"属性定义不是合法的 JSON Schema：{exc.message}", code="invalid_attribute_schema"
        ) from exc
    if schema.get("type") != "object":
        raise InvalidInput("属性定义的顶层 type 必须是 object", code="invalid_attribute_schema")


def attribute_errors(category: ResourceCategory, attributes: dict[str, Any]) -> list[str]:
    """Every reason the attributes break the category's schema (empty when valid)."""
    validator = jsonschema.Draft202012Validator(category.attribute_schema)
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(根)'}: {error.message}"
        for error in sorted(validator.iter_errors(attributes), key=lambda e: list(e.absolute_path))
    ]

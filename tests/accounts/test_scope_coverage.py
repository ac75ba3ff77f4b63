"""Habit 2: every read in every repository goes through the scope helper, or says why not."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from types import ModuleType

import gridgov


def _repositories() -> list[ModuleType]:
    modules = []
    for info in pkgutil.walk_packages(gridgov.__path__, prefix="gridgov."):
        if info.name.endswith(".repository"):
            modules.append(importlib.import_module(info.name))
    return modules


def test_every_feature_has_a_repository() -> None:
    names = {module.__name__ for module in _repositories()}
    assert {
        "gridgov.regions.repository",
        "gridgov.accounts.repository",
        "gridgov.orgs.repository",
        "gridgov.audit.repository",
    } <= names


def test_every_repository_read_takes_a_scope_or_is_marked_unscoped() -> None:
    offenders = []
    for module in _repositories():
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or func.__module__ != module.__name__:
                continue
            parameters = inspect.signature(func).parameters
            writes = name.startswith(("add_", "update_", "clear_", "prune_", "bump_", "delete_"))
            if "scope" in parameters or writes or hasattr(func, "__unscoped_reason__"):
                continue
            offenders.append(f"{module.__name__}.{name}")
    assert offenders == [], f"reads without a scope argument or @unscoped reason: {offenders}"


def test_scope_parameter_is_actually_used() -> None:
    """A ``scope`` argument that the body never passes to apply_scope would be a lie."""
    offenders = []
    for module in _repositories():
        source_of_module = inspect.getsource(module)
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if (
                func.__module__ != module.__name__
                or "scope" not in inspect.signature(func).parameters
            ):
                continue
            source = inspect.getsource(func)
            body = source[source.index(":\n") :]  # past the signature
            if not re.search(r"[(,]\s*scope\s*[,)]", body):
                offenders.append(f"{module.__name__}.{name}")
        assert "apply_scope" in source_of_module or not any(
            "scope" in inspect.signature(f).parameters
            for _, f in inspect.getmembers(module, inspect.isfunction)
        )
    assert offenders == [], f"take a scope but never apply it: {offenders}"


def test_no_sql_outside_repositories() -> None:
    """Queries live in repositories: api.py, services.py and pages build none."""
    offenders = []
    for info in pkgutil.walk_packages(gridgov.__path__, prefix="gridgov."):
        if not info.name.endswith((".api", ".services", "pages")):
            continue
        source = inspect.getsource(importlib.import_module(info.name))
        for needle in ("select(", "session.execute(", "session.scalars(", "session.query("):
            if needle in source:
                offenders.append(f"{info.name}: {needle}")
    assert offenders == []

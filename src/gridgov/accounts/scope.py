"""The one place where data scope becomes a query filter.

Every list and read in every repository passes its statement through :func:`apply_scope`
(``tests/accounts/test_scope_coverage.py`` proves no repository reads around it). Scope is:

* a set of region subtrees, as materialised path prefixes (``None`` = the whole territory);
* a set of departments (``None`` = any department), applied where the data has a department;
* for citizens, ownership: rows they created themselves.

Restrictions combine with AND: a department handler scoped to one street sees that street's rows
of their department only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false, or_

SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True)
class Scope:
    region_paths: tuple[str, ...] | None = None
    department_ids: tuple[int, ...] | None = None
    owner_id: int | None = None

    @classmethod
    def everything(cls) -> Scope:
        return cls()

    @classmethod
    def nothing(cls) -> Scope:
        return cls(region_paths=())

    @property
    def is_unrestricted(self) -> bool:
        return self.region_paths is None and self.department_ids is None and self.owner_id is None

    def covers_path(self, path: str) -> bool:
        """Whether a row living at ``path`` is inside the region part of this scope."""
        if self.region_paths is None:
            return self.owner_id is None
        return any(path.startswith(prefix) for prefix in self.region_paths)

    def covers_department(self, department_id: int | None) -> bool:
        return self.department_ids is None or department_id in self.department_ids


def path_prefix(column: ColumnElement[str] | Any, prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, as a plain ``LIKE 'prefix%'`` with the whole pattern
    in one parameter: SQLite (with case-sensitive LIKE) and PostgreSQL (C collation or a
    pattern-ops index) answer that from an index range. Region paths are codes and slashes;
    only a prefix holding LIKE's wildcards needs the escaped form, which scans."""
    if any(ch in prefix for ch in "%_\\"):
        return column.startswith(prefix, autoescape=True)
    return column.like(prefix + "%")


def apply_scope(
    stmt: SelectT,
    scope: Scope,
    *,
    region_path: ColumnElement[str] | Any | None,
    department_id: ColumnElement[int] | Any | None = None,
    owner_id: ColumnElement[int] | Any | None = None,
) -> SelectT:
    """Restrict ``stmt`` to what ``scope`` may see.

    Each keyword names the column of the queried table that carries that dimension, or ``None``
    when the table has no such column. A restriction on a dimension the table lacks hides
    everything, except the department one: data with no department is not department data.
    """
    if scope.owner_id is not None:
        if owner_id is None:
            return stmt.where(false())
        stmt = stmt.where(owner_id == scope.owner_id)
    if scope.region_paths is not None:
        if region_path is None or not scope.region_paths:
            return stmt.where(false())
        stmt = stmt.where(or_(*(path_prefix(region_path, p) for p in scope.region_paths)))
    if scope.department_ids is not None and department_id is not None:
        if not scope.department_ids:
            return stmt.where(false())
        stmt = stmt.where(department_id.in_(scope.department_ids))
    return stmt


FuncT = TypeVar("FuncT", bound=Callable[..., Any])


def unscoped(reason: str) -> Callable[[FuncT], FuncT]:
    """Mark a repository read that deliberately ignores scope, saying why.

    The scope-coverage test accepts a public repository function only if it takes a ``scope``
    argument or carries this mark; the reason is there for the reviewer.
    """

    def mark(func: FuncT) -> FuncT:
        func.__unscoped_reason__ = reason  # type: ignore[attr-defined]
        return func

    return mark

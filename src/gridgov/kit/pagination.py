"""Offset pagination shared by every list endpoint."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

MAX_PAGE_SIZE = 500


class PageParams(BaseModel):
    page: int = 1
    page_size: int = 50

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


async def page_params(  # async: FastAPI would run a plain def in a worker thread
    page: Annotated[int, Query(ge=1, description="1-based page number")] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="rows per page")] = 50,
) -> PageParams:
    return PageParams(page=page, page_size=page_size)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="rows matching; at most the cap when total_capped is true")
    page: int
    page_size: int
    total_capped: bool = Field(
        default=False, description="true when more rows match than were counted"
    )

    @classmethod
    def of(cls, items: list[T], total: int, params: PageParams, cap: int | None = None) -> Page[T]:
        capped = cap is not None and total > cap
        return cls(
            items=items,
            total=min(total, cap) if cap is not None else total,
            page=params.page,
            page_size=params.page_size,
            total_capped=capped,
        )


def fetch_page(
    session: Session,
    stmt: Select[T],
    params: PageParams,
    *order_by: Any,
    cap: int | None = None,
    count_stmt: Select[T] | None = None,
) -> tuple[list[T], int]:
    """One page of a single-entity query, and the total the query would return unpaged.

    With ``cap``, counting stops after cap + 1 rows: on tables of millions an exact total of a
    broad filter costs more than the page itself, and "more than 10,000" is what a person reads.
    ``count_stmt`` is the same query written for counting, when the best plan for counting
    differs from the best plan for reading a page in order.
    """
    source = count_stmt if count_stmt is not None else stmt
    counted = source.with_only_columns(source.selected_columns[0]).order_by(None)
    if cap is not None:
        counted = counted.limit(cap + 1)
    total = session.scalar(select(func.count()).select_from(counted.subquery())) or 0
    rows = session.scalars(stmt.order_by(*order_by).offset(params.offset).limit(params.page_size))
    return list(rows), total

"""Case lists as files: CSV (UTF-8 with a BOM, so Excel opens Chinese correctly) and XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from openpyxl import Workbook

from gridgov.config import get_settings
from gridgov.events.models import (
    EVENT_LEVEL_LABELS,
    SOURCE_LABELS,
    URGENCY_LABELS,
    Event,
    Level,
    Source,
    Urgency,
)
from gridgov.kit.clock import format_local, now

HEADER = [
    "编号",
    "标题",
    "类别编码",
    "类别",
    "来源",
    "紧急程度",
    "状态",
    "层级",
    "网格",
    "地址",
    "经度",
    "纬度",
    "上报时间",
    "办结时限",
    "结案时间",
    "是否超时",
]


def case_rows(
    events: Iterable[Event], category_names: dict[str, str], state_labels: dict[str, str]
) -> Iterator[list[str | float]]:
    zone = get_settings().timezone
    moment = now()
    yield list(HEADER)
    for e in events:
        overdue = e.status != "voided" and (e.closed_at or moment) > e.deadline_at
        yield [
            e.code,
            e.title,
            e.category_code,
            category_names.get(e.category_code, ""),
            SOURCE_LABELS[Source(e.source)],
            URGENCY_LABELS[Urgency(e.urgency)],
            state_labels.get(e.status, e.status),
            EVENT_LEVEL_LABELS[Level(e.level)],
            e.region_path.rstrip("/").split("/")[-1],
            e.address,
            e.lon,
            e.lat,
            format_local(e.created_at, zone),
            format_local(e.deadline_at, zone),
            format_local(e.closed_at, zone) if e.closed_at else "",
            "是" if overdue else "",
        ]


def _safe(value: str | float) -> str | float:
    # A cell starting with = + - @ is a formula to a spreadsheet: text from citizens must not be.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def to_csv(rows: Iterable[list[str | float]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([_safe(v) for v in row])
    return "\ufeff".encode() + buffer.getvalue().encode()


def to_xlsx(rows: Iterable[list[str | float]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("事件")
    for row in rows:
        sheet.append([_safe(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

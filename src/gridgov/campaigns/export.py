"""A campaign's responses as an XLSX workbook: one sheet of households (one column per
top-level field) and one sheet per group (one row per entry, e.g. each outsider). Values are
the stored ones (phone numbers masked); cells a spreadsheet would read as formulas are
neutralised."""

from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import Workbook

from gridgov.campaigns import forms
from gridgov.campaigns.services import ExportData, grid_code
from gridgov.kit.clock import format_local

HEAD = ["户编号", "地址（脱敏）", "网格", "版本", "填报人", "填报时间"]


def _safe(value: Any) -> Any:
    # A cell starting with = + - @ is a formula to a spreadsheet: what workers typed must not be.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _sheet_title(label: str, used: set[str]) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "", label)[:28] or "分组"
    base, n = title, 2
    while title in used:
        title = f"{base}{n}"
        n += 1
    used.add(title)
    return title


def to_xlsx(data: ExportData, timezone: str) -> bytes:
    book = Workbook(write_only=True)
    used = {"排查结果"}
    main = book.create_sheet("排查结果")
    plain = [f for f in data.form.fields if f.type != "group"]
    groups = [f for f in data.form.fields if f.type == "group" and f.fields]
    main.append([*HEAD, *(f.label for f in plain)])
    group_sheets = []
    for group in groups:
        sheet = book.create_sheet(_sheet_title(group.label, used))
        sheet.append(["户编号", "网格", "序号", *(f.label for f in group.fields or [])])
        group_sheets.append((group, sheet))
    for row in data.rows:
        household = data.households.get(row.household_id)
        code = household.code if household else str(row.household_id)
        grid = grid_code(row.region_path)
        main.append(
            [
                _safe(v)
                for v in (
                    code,
                    household.address if household else "",
                    grid,
                    row.version,
                    row.filled_by_name,
                    format_local(row.filled_at, timezone),
                    *(forms.display(f, row.values.get(f.key)) for f in plain),
                )
            ]
        )
        for group, sheet in group_sheets:
            value = row.values.get(group.key)
            entries = value if isinstance(value, list) else [value] if value else []
            for number, entry in enumerate(entries, start=1):
                if not isinstance(entry, dict):
                    continue
                sheet.append(
                    [
                        _safe(v)
                        for v in (
                            code,
                            grid,
                            number,
                            *(forms.display(f, entry.get(f.key)) for f in group.fields or []),
                        )
                    ]
                )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

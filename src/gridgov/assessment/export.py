"""A month's board as an XLSX workbook: one row per target (rank, name, score) and, per item,
its value, points and weighted points; a second sheet lists the items and formulas."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

from gridgov.assessment.indicators import BY_CODE, RULE_LABELS, TARGET_LABELS
from gridgov.assessment.services import ScoreBoard


def _safe(value: Any) -> Any:
    # Names typed by people must never become spreadsheet formulas.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def to_xlsx(board: ScoreBoard) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("考核结果")
    state = "已冻结" if board.frozen else "实时计算（未冻结）"
    sheet.append(
        [
            f"{board.scheme_name}（版本 {board.scheme_version}）",
            f"{board.month:%Y-%m}",
            TARGET_LABELS[board.target_type],
            board.area_name,
            state,
        ]
    )
    head: list[Any] = ["名次", "考核对象", "编码", "总分"]
    for item in board.items:
        name = BY_CODE[item.indicator].name
        unit = BY_CODE[item.indicator].unit
        head += [f"{name}（{unit}）" if unit else name, f"{name}得分", f"{name}加权分"]
    sheet.append(head)
    for row in board.rows:
        line: list[Any] = [row.rank, _safe(row.target_label), row.target_key, row.score]
        for p in row.parts:
            weighted = None if p.points is None else round(p.weight * p.points / 100.0, 2)
            line += [p.value, p.points, weighted]
        sheet.append(line)
    items = book.create_sheet("考核项")
    items.append(["指标", "编码", "权重", "计分规则", "保底值", "目标值", "公式"])
    for item in board.items:
        spec = BY_CODE[item.indicator]
        items.append(
            [
                spec.name,
                spec.code,
                item.weight,
                RULE_LABELS.get(item.rule, item.rule),
                item.floor,
                item.target,
                spec.formula,
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

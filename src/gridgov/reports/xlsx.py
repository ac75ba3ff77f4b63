"""A report as an XLSX workbook: one sheet per part, each with its data table and a native
Excel chart over it (line chart for the trend, bar charts for categories, regions and the
ladder), so the numbers can be re-used and the charts redrawn by the spreadsheet."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from gridgov.kit.clock import format_local

if TYPE_CHECKING:
    from gridgov.reports.services import Report

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEAD_FILL = PatternFill("solid", fgColor="E1E1E1")
RATE_FORMAT = "0.00"
COUNT_FORMAT = "#,##0"


def _safe(value: Any) -> Any:
    # Names typed by users (views, regions) must not be read as formulas by a spreadsheet.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _head(sheet: Worksheet, row: int, names: list[str]) -> None:
    for column, name in enumerate(names, start=1):
        cell = sheet.cell(row=row, column=column, value=name)
        cell.font = BOLD
        cell.fill = HEAD_FILL
        cell.alignment = Alignment(horizontal="center")


def _put(
    sheet: Worksheet,
    row: int,
    values: list[Any],
    rate_columns: frozenset[int] | set[int] = frozenset(),
) -> None:
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column, value=_safe(value))
        if isinstance(value, float) or column in rate_columns:
            cell.number_format = RATE_FORMAT
        elif isinstance(value, int):
            cell.number_format = COUNT_FORMAT


def _widths(sheet: Worksheet, widths: list[int]) -> None:
    for n, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + n)].width = width


def report_xlsx(report: Report, timezone: str) -> bytes:
    book = Workbook()
    overview = book.active
    assert overview is not None
    overview.title = "概况"
    _overview(overview, report, timezone)
    _trend(book.create_sheet("趋势"), report)
    _categories(book.create_sheet("分类别"), report)
    _regions(book.create_sheet("分区域"), report)
    if report.rankings:
        _rankings(book.create_sheet("下级排名"), report)
    _notes(book.create_sheet("指标口径"), report)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _overview(sheet: Worksheet, report: Report, timezone: str) -> None:
    sheet["A1"] = _safe(report.title)
    sheet["A1"].font = TITLE
    info = [
        ("统计区域", report.area_name),
        ("统计时段", f"{report.period.first} 至 {report.period.last}（{report.period.label}）"),
        ("对比时段", f"{report.period.previous_first} 至 {report.period.previous_last}"),
        *report.filters,
        ("统计截至", format_local(report.as_of, timezone) if report.as_of else "尚未汇总"),
        ("生成时间", format_local(report.generated_at, timezone)),
    ]
    row = 2
    for key, value in info:
        sheet.cell(row=row, column=1, value=key).font = BOLD
        sheet.cell(row=row, column=2, value=_safe(value))
        row += 1
    row += 1
    sheet.cell(row=row, column=1, value="核心指标（与上期对比）").font = BOLD
    row += 1
    _head(sheet, row, ["指标", "单位", "本期", "上期", "变化", "趋势", "本期分子", "本期分母"])
    for h in report.headline:
        row += 1
        _put(
            sheet,
            row,
            [
                h.indicator.name,
                h.indicator.unit,
                h.current.value,
                h.previous.value,
                h.change,
                h.arrow,
                h.current.numerator,
                h.current.denominator,
            ],
        )
    row += 2
    sheet.cell(row=row, column=1, value="办结层级（本期结案）").font = BOLD
    row += 1
    _head(sheet, row, ["层级", "结案数", "占比（%）"])
    first = row + 1
    for share in report.ladder:
        row += 1
        _put(sheet, row, [share.label, share.count, share.share], {3})
    if report.ladder:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "办结层级"
        chart.legend = None
        chart.add_data(
            Reference(sheet, min_col=2, min_row=first - 1, max_row=row), titles_from_data=True
        )
        chart.set_categories(Reference(sheet, min_col=1, min_row=first, max_row=row))
        chart.height, chart.width = 6, 12
        sheet.add_chart(chart, "J4")
    row += 2
    sheet.cell(row=row, column=1, value="小事不出格率（%）").font = BOLD
    _put(sheet, row, [None, report.grid_settle.value])
    row += 1
    sheet.cell(row=row, column=1, value="到期未结数（件）").font = BOLD
    _put(sheet, row, [None, report.overdue.numerator])
    row += 2
    sheet.cell(row=row, column=1, value="当前状态（本期上报的案件）").font = BOLD
    row += 1
    _head(sheet, row, ["状态", "件数", "占比（%）"])
    for share in report.statuses:
        row += 1
        _put(sheet, row, [share.label, share.count, share.share], {3})
    _widths(sheet, [22, 40, 12, 12, 12, 8, 12, 12])


def _trend(sheet: Worksheet, report: Report) -> None:
    names = ["日期" if report.granularity == "day" else "月份", "上报数", "结案数", "应结案数",
             "应结已结数", "按期结案数", "结案率（%）", "按期结案率（%）"]  # fmt: skip
    _head(sheet, 1, names)
    row = 1
    for point in report.trend:
        row += 1
        c = point.counters
        _put(
            sheet,
            row,
            [
                point.key,
                c["reported"],
                c["closed"],
                c["due"],
                c["due_closed"],
                c["due_on_time"],
                point.closure_rate,
                point.on_time_rate,
            ],
            {7, 8},
        )
    if report.trend:
        chart = LineChart()
        chart.title = "上报数与结案数"
        chart.y_axis.title = "件"
        chart.add_data(
            Reference(sheet, min_col=2, max_col=3, min_row=1, max_row=row), titles_from_data=True
        )
        chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=row))
        chart.height, chart.width = 9, 22
        sheet.add_chart(chart, "J2")
    _widths(sheet, [12, 10, 10, 10, 12, 12, 12, 15])


def _categories(sheet: Worksheet, report: Report) -> None:
    _head(sheet, 1, ["类别编码", "类别", "上报数", "结案数", "结案率（%）", "按期结案率（%）"])
    row = 1
    for r in report.categories:
        row += 1
        _put(
            sheet,
            row,
            [
                r.key,
                r.label,
                r.counters["reported"],
                r.counters["closed"],
                r.indicators.get("closure_rate"),
                r.indicators.get("on_time_rate"),
            ],
            {5, 6},
        )
    if report.categories_other:
        row += 1
        _put(sheet, row, ["", "其余类别", report.categories_other])
    if report.categories:
        chart = BarChart()
        chart.type = "bar"
        chart.title = f"上报数前 {len(report.categories)} 位的类别"
        chart.legend = None
        last = 1 + len(report.categories)
        chart.add_data(Reference(sheet, min_col=3, min_row=1, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=2, min_row=2, max_row=last))
        chart.y_axis.title = "件"
        chart.height, chart.width = 9, 16
        sheet.add_chart(chart, "H2")
    _widths(sheet, [10, 24, 10, 10, 12, 15])


def _regions(sheet: Worksheet, report: Report) -> None:
    names = ["区域编码", "区域", "上报数", "应结案数", "结案数", "结案率（%）", "按期结案率（%）",
             "自办结率（%）", "满意度（%）", "平均处置时长（小时）"]  # fmt: skip
    _head(sheet, 1, names)
    row = 1
    for r in report.regions:
        row += 1
        _put(
            sheet,
            row,
            [
                r.region_code or r.key,
                r.label,
                r.counters["reported"],
                r.counters["due"],
                r.counters["closed"],
                r.indicators.get("closure_rate"),
                r.indicators.get("on_time_rate"),
                r.indicators.get("self_settle_rate"),
                r.indicators.get("satisfaction"),
                r.indicators.get("avg_handling_hours"),
            ],
            {6, 7, 8, 9, 10},
        )
    if report.regions:
        chart = BarChart()
        chart.title = "各区域上报数与结案数"
        chart.add_data(Reference(sheet, min_col=3, min_row=1, max_row=row), titles_from_data=True)
        chart.add_data(Reference(sheet, min_col=5, min_row=1, max_row=row), titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=2, min_row=2, max_row=row))
        chart.height, chart.width = 9, 20
        sheet.add_chart(chart, "L2")
    _widths(sheet, [14, 20, 10, 10, 10, 12, 15, 13, 12, 18])


def _rankings(sheet: Worksheet, report: Report) -> None:
    target = {"street": "镇街", "community": "社区", "grid": "网格"}[report.rankings[0].target]
    row = 0
    for ranking in report.rankings:
        row += 1
        sheet.cell(row=row, column=1, value=f"按{ranking.indicator.name}排名").font = BOLD
        row += 1
        _head(sheet, row, ["名次", f"{target}编码", target, ranking.indicator.name, "分子", "分母"])
        for r in ranking.items:
            row += 1
            _put(
                sheet,
                row,
                [r.rank, r.key, r.label, r.value.value, r.value.numerator, r.value.denominator],
                {4},
            )
        row += 1
    _widths(sheet, [8, 14, 22, 14, 10, 10])


def _notes(sheet: Worksheet, report: Report) -> None:
    _head(sheet, 1, ["指标", "公式", "说明", "分子口径", "分母口径"])
    for row, note in enumerate(report.notes, start=2):
        _put(
            sheet,
            row,
            [note.name, note.formula, note.description, note.numerator, note.denominator or ""],
        )
    _widths(sheet, [16, 40, 50, 60, 60])

"""A report as a PDF: title, headline indicators against the previous period, the daily trend,
the top categories, the regions, the escalation ladder, the rankings of the sub-areas and the
definitions of every figure.

Charts are drawn with fpdf2's own vector primitives (lines, rectangles, text), so they stay
sharp, need no plotting library and their labels remain text. The CJK font is found the way
the mediation agreement finds it (``mediation.pdf.find_font``): a TrueType font first, so the
text can be extracted and searched."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from fpdf import FPDF

from gridgov.analytics import services as analytics
from gridgov.analytics.indicators import Kind
from gridgov.kit.clock import format_local
from gridgov.reports import fonts

if TYPE_CHECKING:
    from gridgov.reports.services import Report

Color = tuple[int, int, int]
BLUE: Color = (47, 109, 181)
ORANGE: Color = (230, 126, 34)
GREEN: Color = (39, 174, 96)
RED: Color = (192, 57, 43)
GREY: Color = (120, 120, 120)
LIGHT: Color = (225, 225, 225)
ZEBRA: Color = (245, 247, 250)
PALETTE: tuple[Color, ...] = (BLUE, GREEN, ORANGE, RED)
REGION_COLUMNS = (
    ("closure_rate", "结案率"),
    ("on_time_rate", "按期结案率"),
    ("self_settle_rate", "自办结率"),
    ("satisfaction", "满意度"),
)
MAX_RANKED_ROWS = 20


def count_text(value: float | int) -> str:
    return f"{int(value):,}"


def value_text(value: analytics.IndicatorValue) -> str:
    """How a figure is written in the reports (the tests read them back the same way)."""
    if value.value is None:
        return "—"
    unit = value.indicator.unit
    if unit == "%":
        return f"{value.value:.2f}%"
    if unit == "小时":
        return f"{value.value:.2f}小时"
    return f"{count_text(value.value)}{unit}"


def rate_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}%"


def change_text(change: float | None, unit: str) -> str:
    if change is None:
        return "—"
    if unit == "%":
        return f"{abs(change):.2f}个百分点"
    if unit == "小时":
        return f"{abs(change):.2f}小时"
    return f"{count_text(abs(change))}{unit}"


class _Doc(FPDF):
    title_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("cjk", size=8)
        self.set_text_color(*GREY)
        self.cell(0, 6, f"{self.title_text}　第 {self.page_no()} 页", align="C")
        self.set_text_color(0, 0, 0)


def _clean(text: str) -> str:
    return "".join(ch for ch in text if ch == "\n" or (ch.isprintable() and ord(ch) < 0x10000))


_TEMPLATE_CHARACTERS = fonts.characters(Path(__file__).read_text(encoding="utf-8"))


def prepare_font(font: tuple[Path, int], cache_dir: Path) -> tuple[Path, int]:
    """The cut-down font for the report templates (made once; reports then reuse it)."""
    return fonts.cut(font, _TEMPLATE_CHARACTERS, cache_dir)


def report_pdf(
    report: Report, font: tuple[Path, int], timezone: str, cache_dir: Path | None = None
) -> bytes:
    """The report as PDF bytes; ``cache_dir`` keeps the font cut down to what reports use
    (without it the whole font is embedded from scratch, two seconds slower)."""
    if cache_dir is not None:
        font = fonts.cut(font, fonts.characters(report) | _TEMPLATE_CHARACTERS, cache_dir)
    path, number = font
    pdf = _Doc(format="A4")
    pdf.title_text = report.title
    pdf.set_title(report.title)
    pdf.set_creator("gridgov")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font("cjk", fname=str(path), collection_font_number=number)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font("cjk", size=18)
    pdf.cell(width, 12, _clean(report.title), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9.5)
    lines = [
        f"统计区域：{report.area_name}",
        f"统计时段：{report.period.first} 至 {report.period.last}（{report.period.label}）",
        f"对比时段：{report.period.previous_first} 至 {report.period.previous_last}",
    ]
    if report.filters:
        lines.append("筛选条件：" + "；".join(f"{k}：{v}" for k, v in report.filters))
    as_of = format_local(report.as_of, timezone) if report.as_of else "尚未汇总"
    lines.append(f"统计截至：{as_of}；生成时间：{format_local(report.generated_at, timezone)}")
    for line in lines:
        pdf.cell(width, 5.5, _clean(line), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    def heading(text: str, need: float = 40) -> None:
        # A heading stays with the start of what it heads.
        if pdf.get_y() + 14 + min(need, 120) > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.ln(2)
        pdf.set_font("cjk", size=13)
        pdf.set_text_color(*BLUE)
        pdf.cell(width, 8, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(*BLUE)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
        pdf.set_text_color(0, 0, 0)
        pdf.ln(2)
        pdf.set_font("cjk", size=9)

    section = iter("一二三四五六七八九十")

    if report.shows("kpis"):
        heading(f"{next(section)}、核心指标（与上期对比）")
        rows = []
        for h in report.headline:
            parts = _parts(h.current)
            rows.append(
                [
                    h.indicator.name,
                    value_text(h.current),
                    value_text(h.previous),
                    f"{h.arrow} {change_text(h.change, h.indicator.unit)}",
                    parts,
                ]
            )
        colors = [
            None if h.better is None else (GREEN if h.better else RED) for h in report.headline
        ]
        _table(
            pdf,
            ["指标", "本期", "上期", "变化", "分子 / 分母"],
            rows,
            [40, 32, 32, 38, 38],
            color_column=3,
            colors=colors,
        )
        pdf.ln(1)
        pdf.set_font("cjk", size=8.5)
        pdf.set_text_color(*GREY)
        pdf.multi_cell(
            width,
            4.5,
            "↑ 上升　↓ 下降；绿色为向好，红色为变差（返工率、平均处置时长、到期未结数越低越好）。",
            align="L",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_text_color(0, 0, 0)

    if report.shows("trend") and report.trend:
        unit = "日" if report.granularity == "day" else "月"
        heading(f"{next(section)}、趋势（按{unit}上报数与结案数）", 70)
        _ensure(pdf, 70)
        _line_chart(
            pdf,
            pdf.l_margin,
            pdf.get_y(),
            width,
            62,
            [p.key[5:] if report.granularity == "day" else p.key for p in report.trend],
            [
                ("上报数", [p.counters["reported"] for p in report.trend], BLUE),
                ("结案数", [p.counters["closed"] for p in report.trend], GREEN),
            ],
        )
        total_reported = sum(p.counters["reported"] for p in report.trend)
        total_closed = sum(p.counters["closed"] for p in report.trend)
        pdf.set_font("cjk", size=9)
        pdf.cell(
            width,
            5,
            f"本期上报 {count_text(total_reported)} 件，结案 {count_text(total_closed)} 件。",
            new_x="LMARGIN",
            new_y="NEXT",
        )

    if report.shows("category"):
        heading(
            f"{next(section)}、分类别（上报数前 {len(report.categories)} 位）",
            6.5 * len(report.categories) + 8,
        )
        if report.categories:
            items = [(r.label, r.counters["reported"]) for r in report.categories]
            _ensure(pdf, 6.5 * len(items) + 8)
            _bar_chart(pdf, items, width, BLUE)
            if report.categories_other:
                pdf.set_font("cjk", size=8.5)
                pdf.cell(
                    width,
                    5,
                    f"其余类别合计 {count_text(report.categories_other)} 件。",
                    new_x="LMARGIN",
                    new_y="NEXT",
                )
        else:
            pdf.cell(width, 6, "本期没有上报案件。", new_x="LMARGIN", new_y="NEXT")

    if report.shows("region"):
        heading(f"{next(section)}、分区域")
        if report.regions:
            _table(
                pdf,
                ["区域", "上报", "应结案", *(label for _, label in REGION_COLUMNS)],
                [
                    [
                        r.label,
                        count_text(r.counters["reported"]),
                        count_text(r.counters["due"]),
                        *(rate_text(r.indicators.get(code)) for code, _ in REGION_COLUMNS),
                    ]
                    for r in report.regions
                ],
                [40, 22, 22, 24, 26, 24, 22],
            )
            pdf.ln(2)
            items = [(r.label, r.counters["reported"]) for r in report.regions[:15]]
            _ensure(pdf, 6.5 * len(items) + 8)
            _bar_chart(pdf, items, width, ORANGE)
        else:
            pdf.cell(width, 6, "所选时段没有案件。", new_x="LMARGIN", new_y="NEXT")

    if report.shows("ladder"):
        heading(f"{next(section)}、办结层级与超期", 45)
        items = [(s.label, s.count) for s in report.ladder]
        _ensure(pdf, 6.5 * len(items) + 20)
        _bar_chart(pdf, items, width, GREEN)
        pdf.set_font("cjk", size=9.5)
        pdf.multi_cell(
            width,
            5.5,
            f"小事不出格率：{value_text(report.grid_settle)}"
            f"（网格层级办结 {count_text(report.grid_settle.numerator)} 件 / "
            f"结案 {count_text(report.grid_settle.denominator or 0)} 件）。"
            f"到期未结数：{value_text(report.overdue)}。",
            align="L",
            new_x="LMARGIN",
            new_y="NEXT",
        )

    if report.shows("ranking") and report.rankings:
        target = {"street": "镇街", "community": "社区", "grid": "网格"}[report.rankings[0].target]
        heading(f"{next(section)}、下级{target}排名")
        for ranking in report.rankings:
            _ensure(pdf, 30)
            pdf.set_font("cjk", size=10)
            pdf.cell(
                width,
                6,
                f"按{ranking.indicator.name}（{len(ranking.items)} 个{target}）",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            shown = ranking.items[:MAX_RANKED_ROWS]
            _table(
                pdf,
                ["名次", target, ranking.indicator.name, "分子 / 分母"],
                [
                    [
                        str(r.rank),
                        r.label,
                        value_text(r.value),
                        f"{count_text(r.value.numerator)} / {count_text(r.value.denominator or 0)}",
                    ]
                    for r in shown
                ],
                [18, 70, 40, 52],
                aligns="CLRR",
            )
            if len(ranking.items) > len(shown):
                pdf.set_font("cjk", size=8.5)
                pdf.cell(
                    width,
                    5,
                    f"仅列前 {len(shown)} 名，完整排名见同期 XLSX 报表。",
                    new_x="LMARGIN",
                    new_y="NEXT",
                )
            pdf.ln(2)

    heading(f"{next(section)}、指标口径")
    for note in report.notes:
        _ensure(pdf, 20)
        pdf.set_font("cjk", size=9.5)
        pdf.multi_cell(width, 5, _clean(note.formula), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=8.5)
        pdf.set_text_color(*GREY)
        text = f"{note.description} 分子——{note.numerator}。"
        if note.denominator:
            text += f"分母——{note.denominator}。"
        pdf.multi_cell(width, 4.5, _clean(text), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1)
    return bytes(pdf.output())


def _parts(value: analytics.IndicatorValue) -> str:
    """Numerator / denominator as read: hours for an average of durations."""
    if value.denominator is None:
        return ""
    indicator = value.indicator
    if indicator.kind == Kind.AVERAGE:
        numerator = f"{count_text(round(value.numerator / indicator.scale))}{indicator.unit}"
        return f"{numerator} / {count_text(value.denominator)}件"
    return f"{count_text(value.numerator)} / {count_text(value.denominator)}"


def _ensure(pdf: FPDF, height: float) -> None:
    if pdf.get_y() + height > pdf.h - pdf.b_margin:
        pdf.add_page()


def _table(
    pdf: FPDF,
    head: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    *,
    color_column: int | None = None,
    colors: Sequence[Color | None] = (),
    aligns: str = "",
) -> None:
    """Bordered rows, the head repeated on each new page; ``aligns`` one letter (L, C, R) a
    column, by default the first left and the rest right."""
    scale = pdf.epw / sum(widths)
    widths = [w * scale for w in widths]
    height = 6.0

    def head_row() -> None:
        pdf.set_font("cjk", size=9)
        pdf.set_fill_color(*LIGHT)
        for text, w in zip(head, widths, strict=True):
            pdf.cell(w, height, text, border=1, align="C", fill=True)
        pdf.ln(height)

    head_row()
    for n, row in enumerate(rows):
        if pdf.get_y() + height > pdf.h - pdf.b_margin:
            pdf.add_page()
            head_row()
        pdf.set_font("cjk", size=8.5)
        pdf.set_fill_color(*ZEBRA)
        for i, (text, w) in enumerate(zip(row, widths, strict=True)):
            color = colors[n] if i == color_column and n < len(colors) else None
            if color is not None:
                pdf.set_text_color(*color)
            label = _fit(pdf, _clean(text), w - 2)
            align = aligns[i] if i < len(aligns) else ("L" if i == 0 else "R")
            pdf.cell(w, height, label, border=1, align=align, fill=n % 2 == 1)
            pdf.set_text_color(0, 0, 0)
        pdf.ln(height)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _bar_chart(pdf: FPDF, items: Sequence[tuple[str, int]], width: float, color: Color) -> None:
    """Horizontal bars, one per item, with the label on the left and the count on the right."""
    label_width, number_width, bar_height, gap = 42.0, 22.0, 4.6, 1.9
    top = max((v for _, v in items), default=0)
    x0 = pdf.l_margin
    span = width - label_width - number_width
    pdf.set_font("cjk", size=8.5)
    for label, value in items:
        y = pdf.get_y()
        pdf.set_xy(x0, y)
        pdf.cell(label_width, bar_height, _fit(pdf, _clean(label), label_width - 2), align="R")
        length = span * value / top if top else 0
        pdf.set_fill_color(*LIGHT)
        pdf.rect(x0 + label_width, y + 0.4, span, bar_height - 0.8, style="F")
        if length > 0:
            pdf.set_fill_color(*color)
            pdf.rect(x0 + label_width, y + 0.4, max(length, 0.3), bar_height - 0.8, style="F")
        pdf.set_xy(x0 + label_width + span, y)
        pdf.cell(number_width, bar_height, count_text(value), align="R")
        pdf.set_xy(x0, y + bar_height + gap)
    pdf.ln(1)


def _nice_top(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = float(10 ** (len(str(int(value))) - 1))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def _line_chart(
    pdf: FPDF,
    x: float,
    y: float,
    width: float,
    height: float,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int], Color]],
) -> None:
    """Lines over a value axis from zero, four grid lines, about ten x labels, a legend."""
    left, bottom, top_pad = 14.0, 9.0, 8.0
    plot_x, plot_y = x + left, y + top_pad
    plot_w, plot_h = width - left - 2, height - top_pad - bottom
    top = _nice_top(max((max(values, default=0) for _, values, _ in series), default=0))
    pdf.set_font("cjk", size=7.5)
    pdf.set_line_width(0.15)
    for i in range(5):
        gy = plot_y + plot_h - plot_h * i / 4
        pdf.set_draw_color(*LIGHT)
        pdf.line(plot_x, gy, plot_x + plot_w, gy)
        pdf.set_xy(x, gy - 2)
        pdf.cell(left - 1.5, 4, count_text(top * i / 4), align="R")
    n = len(labels)

    def px(i: int) -> float:
        return plot_x + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    step = max(1, round(n / 10))
    for i in range(0, n, step):
        pdf.set_xy(px(i) - 8, plot_y + plot_h + 1.5)
        pdf.cell(16, 4, labels[i], align="C")
    pdf.set_line_width(0.5)
    for name_index, (name, values, color) in enumerate(series):
        pdf.set_draw_color(*color)
        points = [(px(i), plot_y + plot_h - plot_h * v / top) for i, v in enumerate(values)]
        for a, b in itertools.pairwise(points):
            pdf.line(a[0], a[1], b[0], b[1])
        if n <= 40:
            pdf.set_fill_color(*color)
            for cx, cy in points:
                pdf.circle(cx, cy, 0.7, style="F")
        lx = plot_x + name_index * 32
        pdf.line(lx, y + 3, lx + 7, y + 3)
        pdf.set_xy(lx + 8, y + 1)
        pdf.set_font("cjk", size=8)
        pdf.cell(22, 4, name)
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_xy(x, y + height)

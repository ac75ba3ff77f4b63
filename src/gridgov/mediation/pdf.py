"""The 人民调解协议书 (people's mediation agreement) as a PDF, in the standard layout: title and
number, the parties, the facts and matters in dispute, the agreed terms, how and when they are
performed, the effect clause, and the signatures block.

The text is set in a TrueType CJK font embedded as a subset (fpdf2 writes it as a CIDFontType2
with Identity-H encoding and a ToUnicode map, so the text can be searched and extracted). CFF
fonts such as Noto Sans CJK embed too, but their custom encoding CMap defeats some text
extractors, so TrueType fonts are looked for first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fpdf import FPDF

from gridgov.kit.errors import AppError

# Looked for in this order when GRIDGOV_PDF_FONT is empty: (path, index in a collection).
FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    # Noto Sans CJK SC is number 2 of the collection (JP, KR, SC, TC, HK).
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
)


class FontMissing(AppError):
    status_code = 503
    code = "pdf_font_missing"


@dataclass(frozen=True)
class AgreementParty:
    role: str
    name: str
    id_number: str | None
    phone: str | None


@dataclass(frozen=True)
class Agreement:
    number: str
    organisation: str
    parties: list[AgreementParty]
    facts: str
    terms: str
    partial: bool
    mediators: list[str]
    signed_on: date


def find_font(configured: str = "") -> tuple[Path, int]:
    """The font file to use and its number in a collection; a clear error when none exists."""
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FontMissing(
                f"找不到 GRIDGOV_PDF_FONT 指定的字体文件：{configured}", code="pdf_font_missing"
            )
        return path, 0
    for candidate, number in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate), number
    raise FontMissing(
        "服务器上没有可用的中文字体，无法生成协议书 PDF。请安装 fonts-wqy-microhei，"
        "或用 GRIDGOV_PDF_FONT 指定一个 TrueType 中文字体文件",
        code="pdf_font_missing",
    )


def _clean(text: str) -> str:
    # Characters a font cannot show (emoji, control characters) would be dropped silently.
    return "".join(ch for ch in text if ch == "\n" or (ch.isprintable() and ord(ch) < 0x10000))


def agreement_pdf(doc: Agreement, font: tuple[Path, int]) -> bytes:
    path, number = font
    pdf = FPDF(format="A4")
    pdf.set_title("人民调解协议书")
    pdf.set_creator("gridgov")
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_font("cjk", fname=str(path), collection_font_number=number)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font("cjk", size=20)
    pdf.cell(width, 14, "人民调解协议书", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10.5)
    pdf.cell(width, 8, f"编号：{doc.number}", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    def heading(text: str) -> None:
        pdf.set_font("cjk", size=12)
        pdf.cell(width, 9, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=11)

    def paragraph(text: str) -> None:
        pdf.multi_cell(width, 7, _clean(text) or "—", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    heading("当事人")
    for party in doc.parties:
        line = f"{party.role}：{party.name}"
        if party.id_number:
            line += f"　身份证号：{party.id_number}"
        if party.phone:
            line += f"　联系电话：{party.phone}"
        paragraph(line)
    heading("纠纷主要事实、争议事项")
    paragraph(doc.facts)
    heading("经调解，双方当事人自愿达成如下协议" + ("（部分达成）" if doc.partial else ""))
    terms = [line.strip() for line in doc.terms.splitlines() if line.strip()]
    for n, term in enumerate(terms, start=1):
        paragraph(f"{n}. {term}")
    heading("履行方式、时限")
    paragraph("按上述协议条款约定的方式和期限履行；调解委员会将对协议履行情况进行回访。")
    paragraph(
        "本协议经双方当事人签名（盖章或按指印）、人民调解员签名并加盖人民调解委员会印章后"
        "生效，具有法律约束力，当事人应当按照约定履行。当事人可自协议生效之日起三十日内"
        "共同向人民法院申请司法确认。本协议一式三份，双方当事人、人民调解委员会各持一份。"
    )
    pdf.ln(6)
    pdf.set_font("cjk", size=11)
    for party in doc.parties:
        pdf.cell(
            width,
            9,
            f"{party.role}（签名、盖章或按指印）：{party.name}　＿＿＿＿＿＿＿＿",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    mediators = "、".join(doc.mediators) if doc.mediators else ""
    pdf.cell(
        width,
        9,
        f"人民调解员（签名）：{mediators}　＿＿＿＿＿＿＿＿",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    pdf.cell(width, 9, f"{doc.organisation}（盖章）", align="R", new_x="LMARGIN", new_y="NEXT")
    signed = f"{doc.signed_on.year} 年 {doc.signed_on.month} 月 {doc.signed_on.day} 日"
    pdf.cell(width, 9, signed, align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())

"""12345 hotline work orders (工单) imported from a CSV or XLSX export.

Every row is checked first — the work-order number, a title or content, a point (coordinates,
or an address the registry can geocode) inside the district and the importer's scope, a known
category, the urgency, the call time and the caller's phone — into a report of every bad row.
Only then is anything written: each new good row goes through the one intake service
(``events.services.intake``, source ``hotline``), exactly like a case reported any other way.

- The work-order number is the idempotency key (per importing account, like every key), so
  importing the same file again creates nothing and says so (``already_imported``).
- Default: one bad row and nothing is written (the caller answers 422 with the report);
  ``skip_invalid`` writes the good rows and reports the bad ones; ``dry_run`` only reports.
- Coordinates without a 坐标系 column are taken as GCJ-02, the datum of the consumer maps
  (高德/腾讯) that hotline systems geocode with; the request may choose another default.
- 来电时间 is kept with the case; its clock (deadline) starts when it is imported.
- The caller's phone (来电人电话) is personal data: the case keeps it only encrypted with the
  registry's field cipher (AES-GCM), with a keyed search hash and a masked form, under
  ``extra["hotline"]``. The plain number is never stored, logged or returned.
"""

from __future__ import annotations

import csv
import io
import itertools
import os.path
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from openpyxl import load_workbook
from pydantic import ValidationError
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.audit import services as audit
from gridgov.config import get_settings
from gridgov.events import repository, services
from gridgov.events.models import EventCategory, Source, Urgency
from gridgov.events.schemas import EventIn, Location
from gridgov.kit import geo
from gridgov.kit.crypto import FieldCipher, mask_phone
from gridgov.kit.errors import AppError, InvalidInput
from gridgov.regions.locator import get_locator
from gridgov.registry import services as registry

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
MAX_ERRORS = 10_000  # bad rows are all counted; this many are listed
MAX_CASES = 1_000  # created or already imported cases listed in a report
HEADER_SEARCH_ROWS = 10  # a header below a title line is looked for this far down
TITLE_FROM_CONTENT = 30
Progress = Callable[[str, int, int], None]


class PayloadTooLarge(AppError):
    status_code = 413
    code = "file_too_large"


@dataclass(frozen=True)
class Column:
    field: str
    header: str  # as a 12345 export names it; the header of the template file
    aliases: tuple[str, ...]
    meaning: str
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column(
        "order_no",
        "工单编号",
        ("工单号", "受理编号", "order_no", "ticket_no"),
        "必填，文件内唯一；再次导入同一工单时据此识别，不会重复立案",
        required=True,
    ),
    Column(
        "called_at",
        "来电时间",
        ("受理时间", "called_at"),
        "如 2024-05-01 09:30 或 2024/5/1 9:30:00，按本地时区；随案件保存，办结时限从导入时起算",
    ),
    Column(
        "title",
        "标题",
        ("工单标题", "诉求标题", "title", "subject"),
        f"为空时取诉求内容的前 {TITLE_FROM_CONTENT} 个字",
    ),
    Column(
        "content", "诉求内容", ("问题描述", "反映内容", "content", "description"), "最多 5000 字"
    ),
    Column(
        "address",
        "事发地址",
        ("事发地点", "地址", "address"),
        "没有经纬度时，按已登记楼栋的地址定位",
    ),
    Column("lon", "经度", ("lon", "lng", "longitude"), "与纬度一起填写"),
    Column("lat", "纬度", ("lat", "latitude"), "与经度一起填写"),
    Column(
        "crs",
        "坐标系",
        ("crs",),
        "wgs84、gcj02 或 bd09；为空时用导入时选择的坐标系（默认 gcj02，高德/腾讯地图坐标）",
    ),
    Column(
        "category",
        "事件类别",
        ("事项分类", "category", "category_code"),
        "事件类别的小类编码或名称（如 0301 或 井盖破损丢失）；为空时按内容自动分类",
    ),
    Column("urgency", "紧急程度", ("urgency",), "一般、紧急或特急；为空为一般"),
    Column(
        "caller_phone",
        "来电人电话",
        ("来电号码", "联系电话", "caller_phone", "phone"),
        "加密保存，页面和接口只显示脱敏号码",
    ),
)
LABELS = {c.field: c.header for c in COLUMNS}

URGENCY_WORDS = {
    "一般": Urgency.NORMAL,
    "普通": Urgency.NORMAL,
    "normal": Urgency.NORMAL,
    "紧急": Urgency.URGENT,
    "urgent": Urgency.URGENT,
    "特急": Urgency.CRITICAL,
    "特别紧急": Urgency.CRITICAL,
    "critical": Urgency.CRITICAL,
}
CRS_WORDS: dict[str, geo.Crs] = {"wgs84": "wgs84", "gcj02": "gcj02", "bd09": "bd09"}
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
)


# ---------------------------------------------------------------- reading the file


@dataclass(frozen=True)
class Sheet:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (row number as a spreadsheet shows it, cells)


def read_sheet(content: bytes, filename: str, *, max_rows: int | None = None) -> Sheet:
    """The header row and the non-blank rows, numbered as a spreadsheet numbers them."""
    max_rows = max_rows or MAX_ROWS
    if len(content) > MAX_BYTES:
        raise PayloadTooLarge(
            f"文件超过 {MAX_BYTES // (1024 * 1024)} MB，请分批导入", max_bytes=MAX_BYTES
        )
    if not content.strip():
        raise InvalidInput("文件是空的", code="empty_file")
    reader = _xlsx_lines(content) if _is_xlsx(content, filename) else _csv_lines(content)
    # Exports often put a title line ("12345工单明细 2024-05") above the header: the header is
    # the first row naming the work-order number, else the first row.
    head: list[tuple[int, list[str]]] = []
    found: int | None = None
    for number, cells in enumerate(reader, start=1):
        head.append((number, cells))
        if any(_HEADER_FIELDS.get(_normalise(cell)) == "order_no" for cell in cells):
            found = len(head) - 1
            break
        if number >= HEADER_SEARCH_ROWS:
            break
    if not head:
        raise InvalidInput("文件没有表头", code="empty_file")
    at = found or 0
    header = head[at][1]
    lines = itertools.chain(head[at + 1 :], enumerate(reader, start=len(head) + 1))
    rows: list[tuple[int, list[str]]] = []
    for number, cells in lines:
        if not any(cells):
            continue
        if len(rows) == max_rows:
            raise InvalidInput(
                f"文件超过 {max_rows:,} 行工单，请分批导入", code="too_many_rows", max_rows=max_rows
            )
        rows.append((number, cells))
    return Sheet(header, rows)


def _is_xlsx(content: bytes, filename: str) -> bool:
    suffix = os.path.splitext(filename.lower())[1]
    if suffix == ".xls" or content.startswith(b"\xd0\xcf\x11\xe0"):
        raise InvalidInput(
            "不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV 后导入", code="bad_format"
        )
    is_zip = content.startswith(b"PK\x03\x04")
    if suffix == ".xlsx" and not is_zip:
        raise InvalidInput("文件扩展名为 .xlsx，但内容不是 Excel 文件", code="bad_file")
    return is_zip


def _decode(content: bytes) -> str:
    # UTF-8 (with or without the BOM Excel writes) first; then GB18030, a superset of the GBK
    # that Chinese Excel and most hotline systems export.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("文件编码无法识别（请使用 UTF-8 或 GBK/GB18030）", code="bad_encoding")


def _csv_lines(content: bytes) -> Iterator[list[str]]:
    text = _decode(content)
    first = text[: text.find("\n")] if "\n" in text else text
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            yield [cell.strip() for cell in row]
    except csv.Error as exc:
        raise InvalidInput(
            f"CSV 第 {reader.line_num} 行格式错误：{exc}", code="bad_file", line=reader.line_num
        ) from exc


def _xlsx_lines(content: bytes) -> Iterator[list[str]]:
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise InvalidInput(
            "无法读取 XLSX 文件（文件损坏或不是 Excel 格式）", code="bad_file"
        ) from exc
    try:
        for values in book.worksheets[0].iter_rows(values_only=True):
            yield [_cell(value) for value in values]
    finally:
        book.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        # Excel keeps digit strings typed as numbers (work-order numbers, phones) as floats.
        return str(int(value))
    return str(value).strip()


def _normalise(header: str) -> str:
    text = re.sub(r"[\s*＊]|[（(]必填[)）]", "", header)
    return text.lower()


_HEADER_FIELDS = {
    _normalise(name): column.field
    for column in COLUMNS
    for name in (column.header, *column.aliases)
}


def resolve_columns(headers: list[str]) -> dict[str, int]:
    """Field → column index. Unknown columns (a real export has dozens) are ignored."""
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        name = _HEADER_FIELDS.get(_normalise(header))
        if name is None:
            continue
        if name in found:
            raise InvalidInput(
                f"表头“{headers[found[name]]}”和“{header}”都表示{LABELS[name]}，请只保留一列",
                code="duplicate_columns",
            )
        found[name] = index
    missing = [c.header for c in COLUMNS if c.required and c.field not in found]
    if not {"lon", "lat"} <= found.keys() and "address" not in found:
        missing.append("经度和纬度，或事发地址")
    if "title" not in found and "content" not in found:
        missing.append("标题或诉求内容")
    if missing:
        raise InvalidInput(
            f"缺少必需的列：{'、'.join(missing)}", code="missing_column", columns=missing
        )
    return found


# ---------------------------------------------------------------- the report


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    code: str
    message: str


@dataclass(frozen=True)
class CaseRef:
    row: int
    order_no: str
    event_id: int
    code: str
    created: bool


@dataclass
class ImportReport:
    file: str
    dry_run: bool
    skip_invalid: bool
    rows: int = 0
    valid: int = 0  # new rows that passed every check: created, or would be by a real run
    created: int = 0
    already_imported: int = 0
    invalid: int = 0  # rows with at least one problem
    written: bool = False
    errors: list[RowError] = field(default_factory=list)
    cases: list[CaseRef] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rejected(self) -> bool:
        """A real all-or-nothing import with bad rows: nothing was written."""
        return not self.dry_run and not self.skip_invalid and self.invalid > 0


# ---------------------------------------------------------------- checking rows


@dataclass
class _Draft:
    number: int
    order_no: str
    title: str
    description: str
    address: str
    category_code: str | None
    urgency: Urgency
    point: tuple[float, float] | None  # WGS-84
    point_column: str  # where a location problem is reported: 经度, or 事发地址
    hotline: dict[str, Any]


class _Checker:
    """Checks one row at a time against lookups loaded once for the file."""

    def __init__(
        self,
        session: Session,
        actor: Actor,
        cipher: FieldCipher,
        headers: list[str],
        columns: dict[str, int],
        crs: geo.Crs,
    ) -> None:
        self.session = session
        self.actor = actor
        self.cipher = cipher
        self.columns = columns
        self.crs = crs
        self.headers = {name: headers[index] or LABELS[name] for name, index in columns.items()}
        self.timezone = ZoneInfo(get_settings().timezone)
        self.reporter = services.reporter_key(actor)
        categories = services.list_categories(session, actor=actor)
        self.by_code: dict[str, EventCategory] = {c.code: c for c in categories if c.is_active}
        self.by_name: dict[str, EventCategory] = {c.name: c for c in categories if c.is_active}
        self.seen: dict[str, int] = {}
        self.geocoded: dict[str, tuple[float, float] | None] = {}

    def column(self, name: str) -> str:
        return self.headers.get(name, LABELS[name])

    def values(self, cells: list[str]) -> dict[str, str]:
        return {
            name: cells[index].strip() if index < len(cells) else ""
            for name, index in self.columns.items()
        }

    def existing(self, order_no: str) -> tuple[int, str] | None:
        event = repository.by_idempotency_key(self.session, self.reporter, order_no)
        return (event.id, event.code) if event is not None else None

    def check(self, number: int, values: dict[str, str], problems: list[RowError]) -> _Draft:
        """The row as a case to create; its problems are appended to ``problems``."""

        def bad(name: str, code: str, message: str) -> None:
            problems.append(RowError(number, self.column(name), code, message))

        order_no = values.get("order_no", "")
        if not order_no:
            bad("order_no", "missing_required", "缺少工单编号")
        elif len(order_no) > 100:
            bad("order_no", "too_long", "工单编号超过 100 个字符")
        elif order_no in self.seen:
            bad("order_no", "duplicate_order_no", f"与第 {self.seen[order_no]} 行的工单编号重复")
        else:
            self.seen[order_no] = number
        content = values.get("content", "")
        title = values.get("title", "") or re.sub(r"\s+", " ", content)[:TITLE_FROM_CONTENT]
        if len(title.strip()) < 2:
            bad("title", "missing_required", "缺少标题和诉求内容（至少 2 个字）")
        elif len(title) > 200:
            bad("title", "too_long", "标题超过 200 个字")
        if len(content) > 5000:
            bad("content", "too_long", "诉求内容超过 5000 字")
        address = values.get("address", "")
        if len(address) > 200:
            bad("address", "too_long", "事发地址超过 200 个字")
        hotline: dict[str, Any] = {"order_no": order_no}
        called = values.get("called_at", "")
        if called:
            moment = self._datetime(called)
            if moment is None:
                bad("called_at", "bad_datetime", "来电时间格式不正确（如 2024-05-01 09:30）")
            else:
                hotline["called_at"] = moment.isoformat()
        phone = re.sub(r"[\s\-()（）]", "", values.get("caller_phone", ""))
        phone = phone.removeprefix("+86")
        if phone:
            if not (phone.isdigit() and 7 <= len(phone) <= 15):
                bad("caller_phone", "bad_phone", "来电人电话应为 7–15 位数字")
            else:
                hotline["caller_phone_cipher"] = self.cipher.encrypt(phone)
                hotline["caller_phone_hash"] = self.cipher.search_hash(phone)
                hotline["caller_phone_masked"] = mask_phone(phone)
        urgency = Urgency.NORMAL
        if values.get("urgency"):
            found_urgency = URGENCY_WORDS.get(values["urgency"].lower())
            if found_urgency is None:
                bad("urgency", "bad_urgency", "紧急程度应为 一般、紧急 或 特急")
            else:
                urgency = found_urgency
        category_code = self._category(values.get("category", ""), bad)
        point, point_column = self._point(values, address, bad)
        return _Draft(
            number,
            order_no,
            title.strip(),
            content,
            address,
            category_code,
            urgency,
            point,
            point_column,
            hotline,
        )

    def _datetime(self, text: str) -> datetime | None:
        moment: datetime | None = None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            for pattern in DATETIME_FORMATS:
                try:
                    moment = datetime.strptime(text, pattern)
                    break
                except ValueError:
                    continue
        if moment is None:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=self.timezone)

    def _category(self, text: str, bad: Callable[[str, str, str], None]) -> str | None:
        if not text:
            return None
        name = re.split(r"[/／]", text)[-1].strip()  # "大类/小类" as some exports write it
        category = self.by_code.get(name) or self.by_name.get(name)
        if category is None:
            bad("category", "unknown_category", f"事件类别“{text}”不存在（可留空自动分类）")
            return None
        if category.parent_code is None:
            bad("category", "category_not_leaf", f"“{text}”是大类，请填写小类")
            return None
        return category.code

    def _point(
        self, values: dict[str, str], address: str, bad: Callable[[str, str, str], None]
    ) -> tuple[tuple[float, float] | None, str]:
        lon_text, lat_text = values.get("lon", ""), values.get("lat", "")
        if lon_text or lat_text:
            if not (lon_text and lat_text):
                bad("lon" if not lon_text else "lat", "missing_required", "经度和纬度须同时填写")
                return None, "lon"
            try:
                lon, lat = float(lon_text), float(lat_text)
            except ValueError:
                bad("lon", "bad_number", "经纬度必须是数字")
                return None, "lon"
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                bad("lon", "bad_coordinate", "经纬度超出范围（经度 ±180，纬度 ±90）")
                return None, "lon"
            crs = self.crs
            if values.get("crs"):
                chosen = CRS_WORDS.get(re.sub(r"[\s\-_]", "", values["crs"].lower()))
                if chosen is None:
                    bad("crs", "bad_crs", "坐标系应为 wgs84、gcj02 或 bd09")
                    return None, "lon"
                crs = chosen
            return geo.to_wgs84(lon, lat, crs), "lon"
        if not address:
            bad("lon", "missing_location", "须填写经纬度或事发地址")
            return None, "lon"
        if address not in self.geocoded:
            self.geocoded[address] = registry.geocode(self.session, address)
        found = self.geocoded[address]
        if found is None:
            bad("address", "address_not_found", f"无法根据地址“{address}”定位，请补充经纬度")
        return found, "address"


def _located(
    session: Session, actor: Actor, drafts: list[_Draft], checker: _Checker
) -> tuple[list[str | None], list[RowError]]:
    """The basic grid path of every draft's point, found in one bulk lookup, and the problems
    of points outside the district or the importer's scope."""
    located = [d for d in drafts if d.point is not None]
    paths: list[str | None] = [None] * len(drafts)
    problems: list[RowError] = []
    if not located:
        return paths, problems
    locator = get_locator(session)
    lons = np.array([d.point[0] for d in located if d.point is not None])
    lats = np.array([d.point[1] for d in located if d.point is not None])
    indexes = locator.basic_index_many(lons, lats)
    position = {id(d): i for i, d in enumerate(drafts)}
    for draft, index in zip(located, indexes.tolist(), strict=True):
        column = checker.column(draft.point_column)
        if index < 0:
            problems.append(
                RowError(draft.number, column, "outside_territory", "该位置不在本辖区范围内")
            )
            continue
        path = locator.basic_refs[index].path
        if actor.scope.region_paths is not None and not actor.scope.covers_path(path):
            problems.append(
                RowError(draft.number, column, "out_of_scope", "该位置不在您的管辖范围内")
            )
            continue
        paths[position[id(draft)]] = path
    return paths, problems


# ---------------------------------------------------------------- the import


def column_guide(*, actor: Actor) -> tuple[Column, ...]:
    """The columns an import understands, for the upload page."""
    actor.require(Perm.EVENTS_DISPATCH)
    return COLUMNS


def template_csv() -> bytes:
    """An empty work-order file with every recognised header (UTF-8 with BOM, for Excel)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in COLUMNS])
    writer.writerow(
        [
            "12345202405010001",
            "2024-05-01 09:30",
            "小区门口井盖丢失",
            "某某路与某某街交叉口东北角井盖丢失，夜间行人易跌落",
            "",
            "116.5612",
            "35.3871",
            "gcj02",
            "",
            "紧急",
            "",
        ]
    )
    return ("\ufeff" + out.getvalue()).encode()


def import_workorders(
    session: Session,
    content: bytes,
    filename: str,
    *,
    actor: Actor,
    cipher: FieldCipher,
    dry_run: bool = False,
    skip_invalid: bool = False,
    crs: geo.Crs = "gcj02",
    progress: Progress | None = None,
) -> ImportReport:
    """Check every row, then create the new good ones through intake (unless told not to).

    Never commits. A report with ``rejected`` set wrote nothing: the caller refuses it (422).
    """
    actor.require(Perm.EVENTS_DISPATCH)
    actor.require(Perm.EVENTS_REPORT)
    started = time.perf_counter()
    name = os.path.basename(filename)[:200]
    sheet = read_sheet(content, name)
    columns = resolve_columns(sheet.headers)
    checker = _Checker(session, actor, cipher, sheet.headers, columns, crs)
    report = ImportReport(file=name, dry_run=dry_run, skip_invalid=skip_invalid)
    report.rows = len(sheet.rows)
    problems: list[RowError] = []
    drafts: list[_Draft] = []
    total = len(sheet.rows)
    for done, (number, cells) in enumerate(sheet.rows):
        values = checker.values(cells)
        order_no = values.get("order_no", "")
        existing = checker.existing(order_no) if order_no else None
        if existing is not None:
            checker.seen.setdefault(order_no, number)
            report.already_imported += 1
            _listed(report, CaseRef(number, order_no, existing[0], existing[1], created=False))
        else:
            drafts.append(checker.check(number, values, problems))
        if progress and done % 1_000 == 0:
            progress("检查", done, total)
    paths, located_problems = _located(session, actor, drafts, checker)
    problems.extend(located_problems)
    bad_rows = {p.row for p in problems}
    good = [d for d, path in zip(drafts, paths, strict=True) if path and d.number not in bad_rows]
    report.invalid = len(bad_rows)
    report.valid = len(good)
    report.errors = sorted(problems, key=lambda p: p.row)[:MAX_ERRORS]
    if progress:
        progress("检查", total, total)
    if dry_run or report.rejected:
        report.seconds = round(time.perf_counter() - started, 3)
        return report
    created_paths: list[str] = []
    for done, draft in enumerate(good):
        event, created = services.intake(
            session, _event_in(draft), actor=actor, idempotency_key=draft.order_no
        )
        if created:
            event.extra = {**event.extra, "hotline": {**draft.hotline, "file": name}}
            report.created += 1
            created_paths.append(event.region_path)
        else:  # imported by someone else between the check and now
            report.already_imported += 1
        _listed(report, CaseRef(draft.number, draft.order_no, event.id, event.code, created))
        if progress and done % 200 == 0:
            progress("导入", done, len(good))
    if progress:
        progress("导入", len(good), len(good))
    report.written = True
    report.cases.sort(key=lambda c: c.row)
    audit.record(
        session,
        actor=actor,
        action="events.import",
        object_type="hotline_import",
        object_id=name or "-",
        summary=(
            f"导入12345工单 {name}：{report.rows} 行，新增 {report.created}，"
            f"此前已导入 {report.already_imported}，错误 {report.invalid}"
        ),
        region_path=_common_path(created_paths, actor),
        details={
            "file": name,
            "rows": report.rows,
            "created": report.created,
            "already_imported": report.already_imported,
            "invalid": report.invalid,
            "skip_invalid": skip_invalid,
        },
    )
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _event_in(draft: _Draft) -> EventIn:
    assert draft.point is not None
    try:
        return EventIn(
            title=draft.title,
            description=draft.description,
            category_code=draft.category_code,
            location=Location(lon=draft.point[0], lat=draft.point[1], crs="wgs84"),
            address=draft.address or None,
            source=Source.HOTLINE,
            urgency=draft.urgency,
        )
    except ValidationError as exc:  # the checks above mirror EventIn; this is a safety net
        raise InvalidInput(
            f"第 {draft.number} 行无法立案：{exc.errors()[0]['msg']}", code="invalid_row"
        ) from exc


def _listed(report: ImportReport, case: CaseRef) -> None:
    if len(report.cases) < MAX_CASES:
        report.cases.append(case)


def _common_path(paths: list[str], actor: Actor) -> str:
    """The deepest region holding every created case, so the audit row is scoped like them."""
    if paths:
        return os.path.commonpath(paths) + "/"
    roots = actor.scope.region_paths
    return roots[0] if roots and len(roots) == 1 else ""

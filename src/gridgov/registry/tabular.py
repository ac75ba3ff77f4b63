"""Reading and writing tables: CSV (UTF-8 or GB18030, as Chinese Excel saves it), XLSX and
GeoJSON, all as rows of text keyed by column name. No database here."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook, load_workbook

from gridgov.kit.errors import InvalidInput

FORMATS = ("csv", "xlsx", "geojson")


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[dict[str, str]]  # row 2 of the file is rows[0]: row 1 is the header
    geometries: list[dict[str, Any] | None]


def detect_format(filename: str, declared: str | None = None) -> str:
    if declared:
        if declared not in FORMATS:
            raise InvalidInput(
                f"不支持的格式 {declared}（可用：csv、xlsx、geojson）", code="bad_format"
            )
        return declared
    lowered = filename.lower()
    for suffix, fmt in (
        (".csv", "csv"),
        (".xlsx", "xlsx"),
        (".geojson", "geojson"),
        (".json", "geojson"),
    ):
        if lowered.endswith(suffix):
            return fmt
    raise InvalidInput("无法从文件名判断格式，请指定 format", code="bad_format")


def read_table(content: bytes, fmt: str) -> Table:
    if not content:
        raise InvalidInput("文件是空的", code="empty_file")
    if fmt == "csv":
        return _read_csv(content)
    if fmt == "xlsx":
        return _read_xlsx(content)
    return _read_geojson(content)


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("文件编码无法识别（请使用 UTF-8 或 GBK）", code="bad_encoding")


def _clean(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # Excel stores long digit strings typed as numbers; keep them as the digits.
        return str(int(value))
    return str(value).strip()


def _read_csv(content: bytes) -> Table:
    reader = csv.reader(io.StringIO(_decode(content)))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration as exc:
        raise InvalidInput("文件没有表头", code="empty_file") from exc
    _check_header(header)
    rows = [
        {column: _clean(row[i]) if i < len(row) else "" for i, column in enumerate(header)}
        for row in reader
        if any(cell.strip() for cell in row)
    ]
    return Table(header, rows, [None] * len(rows))


def _read_xlsx(content: bytes) -> Table:
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise InvalidInput(f"无法读取 XLSX 文件：{exc}", code="bad_file") from exc
    sheet = book.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    try:
        header = [_clean(h) for h in next(values)]
    except StopIteration as exc:
        raise InvalidInput("文件没有表头", code="empty_file") from exc
    _check_header(header)
    rows = [
        {column: _clean(row[i]) if i < len(row) else "" for i, column in enumerate(header)}
        for row in values
        if any(cell not in (None, "") for cell in row)
    ]
    book.close()
    return Table(header, rows, [None] * len(rows))


def _read_geojson(content: bytes) -> Table:
    try:
        data = json.loads(_decode(content))
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"GeoJSON 格式错误：{exc}", code="bad_file") from exc
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise InvalidInput("GeoJSON 应为 FeatureCollection", code="bad_file")
    columns: list[str] = []
    rows, geometries = [], []
    for feature in features:
        properties = feature.get("properties") or {}
        for key in properties:
            if key not in columns:
                columns.append(key)
        rows.append({key: _clean(value) for key, value in properties.items()})
        geometries.append(feature.get("geometry"))
    return Table(columns, rows, geometries)


def _check_header(header: list[str]) -> None:
    if not any(header):
        raise InvalidInput("表头为空", code="empty_file")
    duplicates = sorted({h for h in header if h and header.count(h) > 1})
    if duplicates:
        raise InvalidInput(f"表头有重复列：{'、'.join(duplicates)}", code="duplicate_columns")


def write_csv(columns: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """CSV with a BOM, so that Excel on a Chinese Windows opens it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(row)
        if buffer.tell() > 64_000:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def write_xlsx(columns: list[str], rows: Iterable[list[Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(columns)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_geojson(
    columns: list[str], rows: Iterable[tuple[dict[str, Any] | None, list[Any]]]
) -> Iterator[bytes]:
    yield b'{"type":"FeatureCollection","features":['
    first = True
    for geometry, values in rows:
        feature = {
            "type": "Feature",
            "geometry": geometry,
            "properties": dict(zip(columns, values, strict=True)),
        }
        yield (b"" if first else b",") + json.dumps(
            feature, ensure_ascii=False, default=str
        ).encode()
        first = False
    yield b"]}"

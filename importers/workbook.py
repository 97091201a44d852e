"""Bytes to cell grids: format detection, size and zip-bomb defences, CSV decoding, formulas.

Cell values are read with calamine (Rust; formulas come back as their cached values, nothing
is ever evaluated). Merged ranges come from calamine too; formula cells of .xlsx files are
found in the sheet XML so they can be flagged.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from python_calamine import CalamineWorkbook

from importers.errors import ImportRejected
from importers.limits import DEFAULT_LIMITS, Limits

logger = logging.getLogger(__name__)

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"
FORMULA_CELL = re.compile(rb'<c r="([A-Z]{1,3}[0-9]+)"[^>]*>(?:(?!</c>).){0,200}?<f[ >/]', re.S)
CACHED_VALUE = re.compile(rb"<v>[^<]+</v>|<is>")
# Sheets tidu itself adds to workbooks it hands out: never read as data.
ISSUES_SHEET = "错误清单"  # the annotated workbook's list of problems
GUIDE_SHEET = "填表说明"  # the blank template's instructions
LISTS_SHEET = "下拉选项"  # the blank template's hidden dropdown lists
TIDU_SHEETS = frozenset({ISSUES_SHEET, GUIDE_SHEET, LISTS_SHEET})
RESAVE = "请用 Excel 打开后另存为新的 .xlsx 文件再上传"
SPREADSHEET_KINDS = "请上传 .xlsx、.xls、.xlsm、.ods 或 .csv 文件"
_CSV_LIMIT = threading.Lock()  # csv.field_size_limit is process-wide: raised and restored under a lock


@dataclass
class Grid:
    """One sheet as rows of cell values; ``first_row`` / ``first_column`` are 1-based Excel numbers."""

    name: str
    rows: list[list[Any]]
    first_row: int = 1
    first_column: int = 1
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # 1-based (row1, col1, row2, col2)
    formulas: set[tuple[int, int]] = field(default_factory=set)  # 1-based (row, col)
    uncached_formulas: set[tuple[int, int]] = field(default_factory=set)  # formulas saved without a result


@dataclass
class Workbook:
    kind: str  # xlsx | xlsm | ods | xls | csv
    sheets: list[Grid]
    encoding: str | None = None  # CSV only


def sniff(content: bytes) -> str:
    """The file's format from its bytes (never from its name)."""
    if content.startswith(ZIP):
        return _zip_kind(content)
    if content.startswith(OLE2):
        if (
            b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e"
            in content[:200_000]
        ):
            raise ImportRejected("工作簿已加密（设置了打开密码）：请取消密码后重新导入")
        return "xls"
    head = content[:4096]
    if b"\x00" in head.replace(b"\x00\x00", b"") and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportRejected(f"不是电子表格文件：{SPREADSHEET_KINDS}")
    return "csv"


def _zip_kind(content: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        raise ImportRejected(f"文件已损坏，无法作为工作簿打开：{RESAVE}") from None
    if "mimetype" in names and "content.xml" in names:
        return "ods"
    if "xl/workbook.xml" in names:
        return "xlsm" if "xl/vbaProject.bin" in names else "xlsx"
    raise ImportRejected(f"不是电子表格文件（压缩包中没有工作簿）：{SPREADSHEET_KINDS}")


def check_zip(content: bytes, limits: Limits) -> None:
    """Refuse zip bombs before anything is expanded: members, total size and per-member ratio."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        members = archive.infolist()
        if len(members) > limits.max_members:
            raise ImportRejected(
                f"工作簿内部文件过多（{len(members)} 个，上限 {limits.max_members} 个），疑似恶意文件：{RESAVE}",
                limit=limits.max_members,
            )
        total = 0
        for member in members:
            total += member.file_size
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > 1_000_000 and ratio > limits.max_ratio:
                raise ImportRejected(
                    f"工作簿内部文件 {member.filename} 的压缩比 {ratio:.0f}:1 异常（疑似压缩炸弹）：{RESAVE}",
                    limit=limits.max_ratio,
                )
        if total > limits.max_uncompressed:
            raise ImportRejected(
                f"工作簿解压后过大（{total / 1024 / 1024:.0f} MB，上限 {limits.max_uncompressed // 1024 // 1024} MB）",
                limit=limits.max_uncompressed,
            )


def read_workbook(content: bytes, limits: Limits = DEFAULT_LIMITS) -> Workbook:
    """Every sheet of a workbook (or the one table of a CSV) as a grid of values."""
    if len(content) > limits.max_bytes:
        raise ImportRejected(
            f"文件过大（{len(content) / 1024 / 1024:.1f} MB，上限 {limits.max_bytes // 1024 // 1024} MB）",
            limit=limits.max_bytes,
        )
    if not content:
        raise ImportRejected("文件是空的：请选择填好数据的申报表重新上传")
    kind = sniff(content)
    if kind == "csv":
        return _read_csv(content, limits)
    if kind in ("xlsx", "xlsm", "ods"):
        check_zip(content, limits)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    except Exception as exc:  # calamine raises its own error types for every broken file
        message = str(exc)
        if "password" in message.lower() or "encrypt" in message.lower():
            raise ImportRejected("工作簿已加密（设置了打开密码）：请取消密码后重新导入") from None
        logger.info("calamine refused a workbook: %s", message[:500])
        raise ImportRejected(f"无法读取工作簿（文件可能已损坏）：{RESAVE}") from None
    if kind not in ("xlsx", "xlsm"):
        return Workbook(kind, [_read_sheet(book, name, limits) for name in book.sheet_names])
    # Finding formula cells means inflating the sheet XML once more: done beside calamine's read
    # (zlib releases the GIL), so it costs little wall time.
    with ThreadPoolExecutor(max_workers=1) as pool:
        scan = pool.submit(_formula_cells, content)
        grids = [_read_sheet(book, name, limits) for name in book.sheet_names]
        formulas = scan.result()
    for grid in grids:
        if grid.name in formulas:
            grid.formulas, grid.uncached_formulas = formulas[grid.name]
    return Workbook(kind, grids)


def _read_sheet(
    book: CalamineWorkbook,
    name: str,
    limits: Limits,
) -> Grid:
    try:
        sheet = book.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=True)
    except Exception as exc:  # calamine's own error types (XML entities, broken records …)
        logger.info("calamine refused sheet %r: %s", name, str(exc)[:500])
        raise ImportRejected(f"工作表“{name}”无法读取（文件可能已损坏）：{RESAVE}") from None
    start = sheet.start or (0, 0)
    rows = _trim(rows)
    if rows and max(len(r) for r in rows[:1000]) > limits.max_columns:
        raise ImportRejected(f"工作表“{name}”的列数超过 {limits.max_columns} 列", limit=limits.max_columns)
    merged = [(r1 + 1, c1 + 1, r2 + 1, c2 + 1) for (r1, c1), (r2, c2) in (sheet.merged_cell_ranges or [])]
    return Grid(name, rows, start[0] + 1, start[1] + 1, merged)


def _trim(rows: list[list[Any]]) -> list[list[Any]]:
    """Drop trailing empty rows (a sheet formatted down to row 1,048,576 has millions)."""
    end = len(rows)
    while end and all(value in ("", None) for value in rows[end - 1]):
        end -= 1
    return rows[:end]


def _read_csv(content: bytes, limits: Limits) -> Workbook:
    text, encoding = _decode(content)
    sample = text[:20_000]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = _csv_rows(text, dialect)
    except csv.Error as exc:
        raise ImportRejected(f"CSV 文件格式错误（{_csv_problem(exc)}）：{RESAVE}") from None
    return Workbook("csv", [Grid("CSV", _trim(rows))], encoding)


def _csv_rows(text: str, dialect: Any) -> list[list[Any]]:
    """Every row; a cell is never too long for the reader (over-long cells are issues on their cell)."""
    with _CSV_LIMIT:
        previous = csv.field_size_limit()
        if previous < len(text) + 1:
            csv.field_size_limit(len(text) + 1)
        try:
            return [list(row) for row in csv.reader(io.StringIO(text), dialect)]
        finally:
            csv.field_size_limit(previous)


def _csv_problem(exc: csv.Error) -> str:
    line = re.search(r"line (\d+)", str(exc))
    return f"第 {line.group(1)} 行附近" if line else "引号不成对"


def _decode(content: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK and GB2312)."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8"), "utf-8-sig"
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16"), "utf-16"
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise ImportRejected("CSV 文件的编码无法识别：请另存为 UTF-8 或 GBK 编码") from None


def _formula_cells(content: bytes) -> dict[str, tuple[set[tuple[int, int]], set[tuple[int, int]]]]:
    """Per sheet name: cells holding formulas, and those saved without a result (nothing to read)."""
    found: dict[str, tuple[set[tuple[int, int]], set[tuple[int, int]]]] = {}
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name, path in _sheet_paths(archive).items():
            try:
                xml = archive.read(path)
            except KeyError:
                continue
            if b"<f" not in xml:
                continue
            cells: set[tuple[int, int]] = set()
            uncached: set[tuple[int, int]] = set()
            for match in FORMULA_CELL.finditer(xml):
                cell = _cell_position(match.group(1).decode())
                cells.add(cell)
                end = xml.find(b"</c>", match.end())
                if not CACHED_VALUE.search(xml, match.end(), end if end >= 0 else len(xml)):
                    uncached.add(cell)
            found[name] = (cells, uncached)
    return found


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → XML member, from workbook.xml and its relationships (plain regex, no entities)."""
    workbook = archive.read("xl/workbook.xml").decode("utf-8", "replace")
    rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    targets = dict(re.findall(r'<Relationship[^>]*Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
    targets.update(
        {k: v for v, k in re.findall(r'<Relationship[^>]*Target="([^"]+)"[^>]*Id="([^"]+)"', rels)}
    )
    paths = {}
    for name, rel in re.findall(r'<sheet[^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', workbook):
        target = targets.get(rel, "")
        paths[_unescape(name)] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return paths


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


def _cell_position(ref: str) -> tuple[int, int]:
    letters = "".join(ch for ch in ref if ch.isalpha())
    column = 0
    for ch in letters:
        column = column * 26 + ord(ch) - 64
    return int(ref[len(letters) :]), column


def column_letter(column: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters

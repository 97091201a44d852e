"""Bytes to cell grids: format detection, size and zip-bomb defences, CSV decoding, formulas.

Cell values are read with calamine (Rust; formulas come back as their cached values, nothing
is ever evaluated). Merged ranges come from calamine too; formula cells of .xlsx files are
found in the sheet XML so they can be flagged.

Nothing reaches calamine unchecked: a zip's members are expanded in bounded chunks and held to
their declared sizes (importers.archive), every sheet is measured before it is laid out as a grid
(importers.extent, ods_extent, xls_extent), and a workbook of more sheets than allowed is refused
before any is read. A refused file costs a bounded amount of memory whatever it claims.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from python_calamine import CalamineWorkbook

from importers.archive import Archive, Replacement
from importers.errors import ImportRejected
from importers.extent import (
    Bounds,
    Formulas,
    IrregularSheet,
    SharedStrings,
    check_shared_strings,
    chunks_at,
    refuse_beyond,
    refuse_merged,
    strip_blank_cells,
    too_many_sheets,
)
from importers.limits import DEFAULT_LIMITS, Limits
from importers.ods_extent import measure_ods
from importers.xls_extent import measure_xls

logger = logging.getLogger(__name__)

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"
PART_CAP = 16 * 1024 * 1024  # workbook.xml and relationships, read whole
LONG_LINE = 100_000  # CSV lines longer than this have their delimiters counted
SHEET_TAG = re.compile(rb"<(?:[\w.-]+:)?sheet\b[^>]*>")
# Sheets tidu itself adds to workbooks it hands out: never read as data.
ISSUES_SHEET = "错误清单"  # the annotated workbook's list of problems
GUIDE_SHEET = "填表说明"  # the blank template's instructions
LISTS_SHEET = "下拉选项"  # the blank template's hidden dropdown lists
TIDU_SHEETS = frozenset({ISSUES_SHEET, GUIDE_SHEET, LISTS_SHEET})
RESAVE = "请用 Excel 打开后另存为新的 .xlsx 文件再上传"
UNREADABLE_ENCODING = "无法识别文件编码：请另存为 UTF-8、GBK 或 UTF-16 编码的 CSV，或另存为 Excel 文件"
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
    sheets: list[Grid]  # those read: all, or the one asked for
    encoding: str | None = None  # CSV only
    sheet_names: list[str] = field(default_factory=list)  # every sheet, in order

    def __post_init__(self) -> None:
        if not self.sheet_names:
            self.sheet_names = [g.name for g in self.sheets]


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
    if b"\x00" in content[:4096] and text_encoding(content) is None:
        raise ImportRejected(f"不是电子表格文件：{SPREADSHEET_KINDS}")
    return "csv"


def _zip_kind(content: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise ImportRejected(f"文件已损坏，无法作为工作簿打开：{RESAVE}") from None
    if "mimetype" in names and "content.xml" in names:
        return "ods"
    if "xl/workbook.xml" in names:
        return "xlsm" if "xl/vbaProject.bin" in names else "xlsx"
    raise ImportRejected(f"不是电子表格文件（压缩包中没有工作簿）：{SPREADSHEET_KINDS}")


def read_workbook(content: bytes, limits: Limits = DEFAULT_LIMITS, sheet: str | None = None) -> Workbook:
    """Every sheet of a workbook (or the one table of a CSV) as a grid of values; with ``sheet``,
    only that one is read (the others are only named)."""
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
    formulas: dict[str, Formulas] = {}
    if kind in ("xlsx", "xlsm"):
        content, formulas = _prepare_xlsx(content, limits)
    elif kind == "ods":
        content = _prepare_ods(content, limits)
    else:
        content = measure_xls(content, limits)
    book = _open(content)
    names = list(book.sheet_names)
    if len(names) > limits.max_sheets:
        raise too_many_sheets(len(names), limits)
    wanted = names if sheet is None else [n for n in names if n == sheet]
    grids = [_read_sheet(book, name, limits) for name in wanted]
    for grid in grids:
        if grid.name in formulas:
            grid.formulas, grid.uncached_formulas = formulas[grid.name].cells, formulas[grid.name].uncached
    return Workbook(kind, grids, sheet_names=names)


def _open(content: bytes) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(content))
    except Exception as exc:  # calamine raises its own error types for every broken file
        message = str(exc)
        if "password" in message.lower() or "encrypt" in message.lower():
            raise ImportRejected("工作簿已加密（设置了打开密码）：请取消密码后重新导入") from None
        logger.info("calamine refused a workbook: %s", message[:500])
        raise ImportRejected(f"无法读取工作簿（文件可能已损坏）：{RESAVE}") from None


def _prepare_xlsx(content: bytes, limits: Limits) -> tuple[bytes, dict[str, Formulas]]:
    """The .xlsx as the reader may open it, and each sheet's formula cells.

    Every member is expanded once, in bounded chunks, and held to its declared size; the sheet count
    and the shared strings are checked; every member is measured as sheet XML (whichever the
    workbook names as its sheets, and wherever they lie). A sheet whose grid could be large is
    measured exactly and, when blank cells made it large, handed on without them.
    """
    archive = Archive(content, limits)
    workbook = {
        n: archive.read(n, PART_CAP) or b"" for n in archive.names() if n.endswith(("workbook.xml", ".rels"))
    }
    count = max((len(SHEET_TAG.findall(xml)) for n, xml in workbook.items() if n.endswith(".xml")), default=0)
    if count > limits.max_sheets:
        raise too_many_sheets(count, limits)
    shared = [n for n in archive.names() if n.endswith("sharedStrings.xml")]
    for name in shared:
        check_shared_strings(archive, name, limits)
    bounds = {m.filename: _bounds(archive, m) for m in archive.members if m.filename not in shared}
    names = {path: name for name, path in _sheet_paths(workbook).items()}
    strings = SharedStrings(
        archive, "xl/sharedStrings.xml" if "xl/sharedStrings.xml" in shared else next(iter(shared), None)
    )
    replacements = {}
    for path, found in bounds.items():
        refuse_merged(names.get(path, path), found.merged, limits)
        if not found.small(limits):
            replacement = _measure_sheet(archive, path, names.get(path, path), found, strings, limits)
            if replacement is not None:
                replacements[path] = replacement
    formulas = {names[p]: b.formulas for p, b in bounds.items() if p in names and b.formulas.cells}
    return (archive.rewritten(replacements) if replacements else content), formulas


def _bounds(archive: Archive, member: zipfile.ZipInfo) -> Bounds:
    found = Bounds()
    for chunk in chunks_at(archive.chunks(member), b"</row>"):
        found.feed(chunk)
    return found


def _measure_sheet(
    archive: Archive, path: str, name: str, found: Bounds, strings: SharedStrings, limits: Limits
) -> Replacement | None:
    """A sheet that could be large, measured exactly; its XML without blank cells when it had any."""
    chunks = chunks_at(archive.chunks(archive.by_name[path]), b"</row>")
    if found.irregular:  # positions only a reading element by element can tell: measured, never rewritten
        sheet = IrregularSheet(name, strings.blank(), limits)
        for chunk in chunks:
            sheet.feed(chunk)
        refuse_beyond(sheet.extent, limits)
        return None
    stripped = strip_blank_cells(chunks, name, strings.blank(), limits)
    refuse_beyond(stripped.extent, limits)
    return stripped.replacement


def _prepare_ods(content: bytes, limits: Limits) -> bytes:
    """The .ods checked member by member, its tables measured, blank text cells written back empty."""
    archive = Archive(content, limits)
    for member in archive.members:
        if member.filename != "content.xml":
            archive.verify(member)
    measured = measure_ods(archive, limits)
    if measured.replacement is None:
        return content
    return archive.rewritten({"content.xml": measured.replacement})


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
    rows = _limit_width(name, _trim(rows), limits)
    merged = [(r1 + 1, c1 + 1, r2 + 1, c2 + 1) for (r1, c1), (r2, c2) in (sheet.merged_cell_ranges or [])]
    return Grid(name, rows, start[0] + 1, start[1] + 1, merged)


def _limit_width(name: str, rows: list[list[Any]], limits: Limits) -> list[list[Any]]:
    """The rows, refused when wider than allowed once trailing blank columns are dropped."""
    if rows and max(len(r) for r in rows[:1000]) > limits.max_columns:
        rows = _trim_columns(rows)
        if rows and max(len(r) for r in rows) > limits.max_columns:
            raise too_wide(name, limits)
    return rows


def too_wide(name: str, limits: Limits) -> ImportRejected:
    return ImportRejected(f"工作表“{name}”的列数超过 {limits.max_columns} 列", limit=limits.max_columns)


def blank(value: Any) -> bool:
    """An empty cell, or text of spaces only (what a stray space bar press leaves)."""
    return value is None or value == "" or (value.__class__ is str and not value.strip())


def _trim(rows: list[list[Any]]) -> list[list[Any]]:
    """Drop trailing rows of blank cells (a sheet formatted or spaced far down has many)."""
    end = len(rows)
    while end and all(blank(value) for value in rows[end - 1]):
        end -= 1
    return rows[:end]


def _trim_columns(rows: list[list[Any]]) -> list[list[Any]]:
    """Drop trailing columns of blank cells (only looked for when a sheet seems too wide)."""
    width = 0
    for row in rows:
        last = len(row)
        while last > width and blank(row[last - 1]):
            last -= 1
        width = max(width, last)
    return [row[:width] for row in rows]


def _read_csv(content: bytes, limits: Limits) -> Workbook:
    text, encoding = _decode(content)
    sample = text[:20_000]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = _csv_rows(text, dialect, limits)
    except csv.Error as exc:
        raise ImportRejected(f"CSV 文件格式错误（{_csv_problem(exc)}）：{RESAVE}") from None
    return Workbook(
        "csv", [Grid("CSV", _limit_width("CSV", _trim(rows), limits))], encoding, sheet_names=["CSV"]
    )


def _csv_rows(text: str, dialect: Any, limits: Limits) -> list[list[Any]]:
    """Every row; a cell is never too long for the reader (over-long cells are issues on their cell).

    Rows with content are counted as they are read: past what any import may hold, the file is
    refused there, before the rest is read.
    """
    rows: list[list[Any]] = []
    filled = 0
    with _CSV_LIMIT:
        previous = csv.field_size_limit()
        if previous < len(text) + 1:
            csv.field_size_limit(len(text) + 1)
        try:
            for row in csv.reader(_lines(text, dialect.delimiter, limits), dialect):
                rows.append(row)
                filled += not all(blank(value) for value in row)
                if filled > limits.max_rows + limits.header_scan_rows:
                    raise ImportRejected(
                        f"工作表“CSV”数据行过多（超过上限 {limits.max_rows} 行）", limit=limits.max_rows
                    )
        finally:
            csv.field_size_limit(previous)
    return rows


def _lines(text: str, delimiter: str, limits: Limits) -> Iterator[str]:
    """The text's lines for the CSV reader; a line of more delimiters than any row could have is
    refused before the reader makes a list of its millions of empty cells."""
    start = 0
    while start < len(text):  # not io.StringIO: it would hold the text again, four bytes a character
        end = text.find("\n", start) + 1 or len(text)
        if end - start > LONG_LINE and text.count(delimiter, start, end) > 100 * limits.max_columns:
            raise too_wide("CSV", limits)
        yield text[start:end]
        start = end


def _csv_problem(exc: csv.Error) -> str:
    line = re.search(r"line (\d+)", str(exc))
    return f"第 {line.group(1)} 行附近" if line else "引号不成对"


def _sheet_paths(parts: dict[str, bytes]) -> dict[str, str]:
    """Sheet name → XML member, from workbook.xml and its relationships (plain regex, no entities)."""
    workbook = parts.get("xl/workbook.xml", b"").decode("utf-8", "replace")
    rels = parts.get("xl/_rels/workbook.xml.rels", b"").decode("utf-8", "replace")
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


# -- CSV text ----------------------------------------------------------------------------------------------

BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def text_encoding(content: bytes) -> str | None:
    """A Unicode encoding the bytes announce (byte-order mark) or betray: in UTF-32 every character
    is four bytes, the high ones zero; in UTF-16 the digits, commas and line breaks of any CSV carry
    a zero byte, always on the same side. None when neither (then UTF-8 or GBK, decided by content)."""
    for bom, name in BOMS:
        if content.startswith(bom):
            return name
    head = content[:4096]
    units = len(head) // 4 * 4
    guess = None
    if units >= 8 and all(head[i + 3] == 0 and head[i + 2] <= 0x10 for i in range(0, units, 4)):
        guess = "utf-32-le"
    elif units >= 8 and all(head[i] == 0 and head[i + 1] <= 0x10 for i in range(0, units, 4)):
        guess = "utf-32-be"
    else:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        guess = "utf-16-le" if odd > max(8, 4 * even) else "utf-16-be" if even > max(8, 4 * odd) else None
    return guess if guess is not None and _reads_as_text(head, guess) else None


def _reads_as_text(head: bytes, encoding: str) -> bool:
    """Whether the first bytes decode to lines of text (no control characters but line breaks and tabs)."""
    text = codecs.getincrementaldecoder(encoding)("replace").decode(head)
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return (
        bool(text)
        and "\ufffd" not in text
        and printable >= 0.95 * len(text)
        and any(c in text for c in "\n,\t;")
    )


def _decode(content: bytes) -> tuple[str, str]:
    """The CSV's text: a Unicode encoding recognised from its bytes, else UTF-8, else GBK (GB18030)
    when the text reads as simplified Chinese. Big5 (traditional Chinese) and other encodings also
    decode as GB18030 without an error, into characters nobody writes (user-defined ones, kana,
    rare ideographs): those are refused, saying which encodings are read."""
    encoding = text_encoding(content)
    try:
        if encoding is not None:
            return content.decode(encoding), encoding
        try:
            return content.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text = content.decode("gb18030")
    except UnicodeDecodeError:
        raise ImportRejected(UNREADABLE_ENCODING) from None
    if not _reads_as_gbk(text[:20_000]):
        raise ImportRejected(UNREADABLE_ENCODING)
    return text, "gb18030"


def _reads_as_gbk(text: str) -> bool:
    """Simplified Chinese as GBK writes it: no user-defined characters, and ideographs mostly among
    the 6,763 of GB 2312 (rare ones do occur in firm names, but never most of them)."""
    if any("\ue000" <= ch <= "\uf8ff" for ch in text):
        return False
    ideographs = [ch for ch in text if "\u3400" <= ch <= "\u9fff"]
    common = sum(1 for ch in ideographs if _in_gb2312(ch))
    return len(ideographs) < 6 or common >= 0.6 * len(ideographs)


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def column_letter(column: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters

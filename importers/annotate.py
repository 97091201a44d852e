"""The user's own workbook back with every problem on its cell, plus a 「错误清单」 sheet. No database.

Cells named by an ``error`` issue are filled red, by a ``warning`` yellow (an error wins when
both name a cell); each such cell gets one comment (author ``tidu``) listing its problems. Row
issues (a row but no column) are put on the row's first cell. The 「错误清单」 sheet, added as
the last sheet and opened first, lists every issue, including file-level ones and those naming
a sheet the workbook does not have (listed, not painted).

.xlsx / .xlsm: the user's workbook itself is opened with openpyxl (its XML parsed by
defusedxml; nothing is evaluated) and saved as .xlsx: values, formats, merges, validations and
formulas stay; VBA, images and charts do not (openpyxl cannot keep them). .xls / .ods / .csv,
an .xlsx openpyxl cannot open, or one too large to open in memory: a new .xlsx holding the
cell values at their original positions (and merges), without the original formatting,
written row by row (openpyxl's write-only mode: memory stays near the grid calamine read).

Re-annotating a workbook tidu annotated before (the user fixed some cells and sent it back)
first removes the old 「错误清单」 sheet and tidu's old comments and fills.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import openpyxl  # type: ignore[import-untyped, unused-ignore]
from openpyxl.cell.cell import Cell, MergedCell, WriteOnlyCell  # type: ignore[import-untyped, unused-ignore]
from openpyxl.comments import Comment  # type: ignore[import-untyped, unused-ignore]
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side  # type: ignore[import-untyped, unused-ignore]
from openpyxl.utils import column_index_from_string, get_column_letter  # type: ignore[import-untyped, unused-ignore]
from openpyxl.workbook.workbook import Workbook  # type: ignore[import-untyped, unused-ignore]
from openpyxl.worksheet.cell_range import CellRange  # type: ignore[import-untyped, unused-ignore]
from openpyxl.worksheet.hyperlink import Hyperlink  # type: ignore[import-untyped, unused-ignore]
from openpyxl.worksheet.properties import PageSetupProperties  # type: ignore[import-untyped, unused-ignore]
from openpyxl.worksheet.worksheet import Worksheet  # type: ignore[import-untyped, unused-ignore]

from importers.archive import check_zip
from importers.errors import ImportRejected
from importers.filings import Issue
from importers.limits import DEFAULT_LIMITS, Limits
from importers.workbook import ISSUES_SHEET, Grid, read_workbook, sniff

AUTHOR = "tidu"
FILLS = {"error": "FFC7CE", "warning": "FFEB9C"}  # Excel's own 「差」 and 「适中」 colours
FONTS = {"error": "9C0006", "warning": "9C5700"}
SEVERITY_TEXT = {"error": "错误", "warning": "警告"}
ISSUE_COLUMNS = (
    ("严重程度", 10),
    ("工作表", 14),
    ("行", 8),
    ("列", 6),
    ("表头", 24),
    ("原值", 28),
    ("说明", 70),
)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what openpyxl refuses in a cell
HARMLESS = re.compile(r"^[+-]?\d[\d,]*(\.\d+)?%?$|^[-—–]+$")  # numbers and dashes are no formulas
PREVIOUS_NOTE = "\n\n【原批注·"  # a user's own comment kept below tidu's: 【原批注·author】\ntext
MAX_ROW, MAX_COLUMN = 1_048_576, 16_384
MAX_COMMENT_LINES = 30
TALL_MERGE = 1_000  # merged ranges this many rows high are few: not indexed by row
# Worksheet XML beyond this is not opened in place: openpyxl holds every cell as an object
# (several times the XML in memory); a rebuilt workbook is streamed instead.
IN_PLACE_MAX_XML = 64 * 1024 * 1024  # ≈ 75,000 rows × 25 columns, ≈ 1 GB once loaded

PLAIN_TYPES = (bool, int, float, datetime, date, time, timedelta)  # written as they are

Position = tuple[str, int, int]  # sheet name, Excel row, Excel column


@dataclass
class Target:
    """A sheet issues can be painted on: its title in the output and where its cells are."""

    title: str
    first_column: int  # a row issue goes on the row's cell in this column
    merged: Sequence[tuple[int, int, int, int]] = ()  # (row1, column1, row2, column2)
    _by_row: dict[int, list[tuple[int, int, int, int]]] = field(default_factory=dict, init=False, repr=False)
    _tall: list[tuple[int, int, int, int]] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        """Merged ranges by row, so that anchoring many issues stays linear."""
        for merged in self.merged:
            r1, _, r2, _ = merged
            if r2 - r1 >= TALL_MERGE:
                self._tall.append(merged)
            else:
                for row in range(r1, r2 + 1):
                    self._by_row.setdefault(row, []).append(merged)

    def anchor(self, row: int, column: int) -> tuple[int, int]:
        """The cell itself, or the top-left cell of the merged range it lies in."""
        for r1, c1, r2, c2 in (*self._by_row.get(row, ()), *self._tall):
            if r1 <= row <= r2 and c1 <= column <= c2:
                return r1, c1
        return row, column


Notes = dict[Position, list[Issue]]  # the issues of each painted cell


def annotate(content: bytes, issues: Sequence[Issue], *, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The workbook ``content`` as .xlsx with ``issues`` painted, commented and listed."""
    book = _open_in_place(content, limits)
    if book is not None:
        sheets = {ws.title: ws for ws in _worksheets(book)}
        targets = {name: _target(ws) for name, ws in sheets.items()}
        for (name, row, column), found in _notes(issues, targets).items():
            cell = sheets[name].cell(row=row, column=column)
            if not isinstance(cell, MergedCell):  # anchored: only overlapping merges could do that
                _mark(cell, found, cell.comment)
    else:
        book, targets = _rebuild(content, issues, limits)
    _issue_sheet(book, issues, targets)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _notes(issues: Iterable[Issue], targets: Mapping[str, Target]) -> Notes:
    notes: Notes = {}
    for issue in issues:
        position = _position(issue, targets)
        if position is not None:
            notes.setdefault(position, []).append(issue)
    return notes


def _position(issue: Issue, targets: Mapping[str, Target]) -> Position | None:
    """The cell an issue is painted on (its own, or its row's first); None for file-level issues."""
    target = targets.get(issue.sheet)
    if target is None or issue.row is None or not 1 <= issue.row <= MAX_ROW:
        return None
    if not issue.column:
        column = max(target.first_column, 1)
    else:
        column = _column_number(issue.column)
        if not 1 <= column <= MAX_COLUMN:
            return None
    return (issue.sheet, *target.anchor(issue.row, column))


def _column_number(letter: str | None) -> int:
    """1 for A; 0 for none, and past the last column for a letter that is not one."""
    try:
        return column_index_from_string(letter.strip().upper()) if letter else 0
    except ValueError:
        return MAX_COLUMN + 1


def _mark(cell: Cell, found: Sequence[Issue], previous: Comment | None) -> None:
    worst = "error" if any(i.severity == "error" for i in found) else "warning"
    cell.fill = _solid(FILLS[worst])
    cell.comment = _comment(found, previous)


def _solid(colour: str) -> PatternFill:
    return PatternFill(fill_type="solid", start_color=colour, end_color=colour)


def _comment(found: Sequence[Issue], previous: Comment | None) -> Comment:
    """One comment listing a cell's problems, the user's own comment (if any) kept below."""
    lines = [
        f"{SEVERITY_TEXT.get(i.severity, i.severity)}{'' if i.column else '（本行）'}：{_clean(i.message)}"
        for i in found
    ]
    if len(lines) > MAX_COMMENT_LINES:
        lines = [
            *lines[:MAX_COMMENT_LINES],
            f"……另有 {len(lines) - MAX_COMMENT_LINES} 条，见“{ISSUES_SHEET}”",
        ]
    text = "\n".join(lines)
    if previous is not None and previous.author != AUTHOR and previous.text:
        text += f"{PREVIOUS_NOTE}{previous.author or ''}】\n{previous.text}"
    height = sum(max(1, -(-_display_width(line) // 40)) for line in text.split("\n"))
    return Comment(text, AUTHOR, height=min(24 + 16 * height, 600), width=300)


# -- the user's own workbook -------------------------------------------------------------------------


def _open_in_place(content: bytes, limits: Limits) -> Workbook | None:
    """The user's own .xlsx/.xlsm opened with openpyxl, or None when it has to be rebuilt."""
    if len(content) > limits.max_bytes:
        raise ImportRejected(
            f"文件过大（{len(content) / 1024 / 1024:.1f} MB，上限 {limits.max_bytes // 1024 // 1024} MB）",
            limit=limits.max_bytes,
        )
    if not content or sniff(content) not in ("xlsx", "xlsm") or not openpyxl.DEFUSEDXML:
        return None  # without defusedxml openpyxl would parse hostile XML with the standard library
    check_zip(content, limits)
    if _worksheet_xml_size(content) > IN_PLACE_MAX_XML:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "extension is not supported and will be removed" …
            book = openpyxl.load_workbook(io.BytesIO(content), keep_vba=False, data_only=False)
    except Exception as exc:  # any other workbook openpyxl cannot open is rebuilt from calamine's reading
        if _refused_by_defusedxml(exc):
            raise ImportRejected("工作簿中含有不安全的 XML 内容（实体定义），拒绝读取") from None
        return None
    _remove_previous(book)
    return book


def _refused_by_defusedxml(exc: BaseException | None) -> bool:
    """openpyxl wraps defusedxml's refusal (entity definitions: billion laughs, external entities)."""
    seen = 0
    while exc is not None and seen < 10:
        if type(exc).__module__.startswith("defusedxml"):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _worksheets(book: Workbook) -> list[Worksheet]:
    return [ws for ws in book.worksheets if isinstance(ws, Worksheet)]


def _worksheet_xml_size(content: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return sum(m.file_size for m in archive.infolist() if m.filename.startswith("xl/worksheets/"))


def _target(ws: Worksheet) -> Target:
    merged = tuple((r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges)
    return Target(ws.title, ws.min_column, merged)


def _remove_previous(book: Workbook) -> None:
    """Undo an earlier annotation: its 「错误清单」 sheet, tidu's comments and the fills under them."""
    if ISSUES_SHEET not in book.sheetnames:
        return
    del book[ISSUES_SHEET]
    ours = {f"00{rgb}" for rgb in FILLS.values()} | {f"FF{rgb}" for rgb in FILLS.values()}
    for ws in _worksheets(book):
        for cell in list(ws._cells.values()):
            comment = cell.comment
            if comment is None or comment.author != AUTHOR or isinstance(cell, MergedCell):
                continue
            cell.comment = _previous_comment(comment.text)
            if cell.fill.fill_type == "solid" and str(cell.fill.fgColor.rgb).upper() in ours:
                cell.fill = PatternFill(fill_type=None)


def _previous_comment(text: str) -> Comment | None:
    """The user's own comment tidu kept below its own, if there was one."""
    if PREVIOUS_NOTE not in text:
        return None
    kept = text.split(PREVIOUS_NOTE, 1)[1]
    author, _, body = kept.partition("】\n")
    return Comment(body, author)


# -- a rebuilt workbook ------------------------------------------------------------------------------


def _rebuild(content: bytes, issues: Sequence[Issue], limits: Limits) -> tuple[Workbook, dict[str, Target]]:
    """A new workbook with every sheet's values at their original rows and columns, streamed row by row."""
    grids = [g for g in read_workbook(content, limits).sheets if g.name != ISSUES_SHEET]  # an old list goes
    book = Workbook(write_only=True)
    targets: dict[str, Target] = {}
    for grid in grids:
        title = _sheet_title(grid.name, {t.title for t in targets.values()})
        targets[grid.name] = Target(title, grid.first_column, tuple(grid.merged))
    notes = _notes(issues, targets)
    for grid in grids:
        _stream_grid(book.create_sheet(targets[grid.name].title), grid, notes)
    return book, targets


def _sheet_title(name: str, taken: set[str]) -> str:
    """A title openpyxl and Excel accept: no []:*?/\\, at most 31 characters, unique."""
    base = re.sub(r"[\[\]:*?/\\]", "_", _clean(name)).strip("'")[:31] or "Sheet"
    used = {t.casefold() for t in taken} | {ISSUES_SHEET}  # Excel compares sheet names case-blind
    title, n = base, 1
    while title.casefold() in used:
        n += 1
        title = f"{base[: 31 - len(str(n)) - 1]}_{n}"
    return title


def _stream_grid(ws: Any, grid: Grid, notes: Notes) -> None:
    """One sheet into a write-only worksheet: widths and merges first, then every row in order."""
    painted: dict[int, dict[int, list[Issue]]] = {}
    for (name, row, column), found in notes.items():
        if name == grid.name:
            painted.setdefault(row, {})[column] = found
    widths: dict[int, int] = {}
    for values in grid.rows[:2_000]:
        for j, value in enumerate(values):
            if value is not None and value != "":
                column = grid.first_column + j
                widths[column] = max(widths.get(column, 0), _display_width(str(value)))
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), 50)
    ws.sheet_view.tabSelected = False
    for r1, c1, r2, c2 in grid.merged:
        if (r1, c1) != (r2, c2):
            ws.merged_cells.add(CellRange(min_row=r1, min_col=c1, max_row=r2, max_col=c2))
    last = max(grid.first_row + len(grid.rows) - 1, max(painted, default=0))
    for row in range(1, last + 1):
        i = row - grid.first_row
        values = grid.rows[i] if 0 <= i < len(grid.rows) else []
        ws.append(_row_cells(ws, grid.first_column, values, painted.get(row, {})))


def _row_cells(
    ws: Any, first_column: int, values: Sequence[Any], painted: Mapping[int, list[Issue]]
) -> list[Any]:
    """A row for a write-only sheet: numbers and dates as they are, text and painted cells as cells."""
    cells: list[Any] = [None] * max(first_column - 1 + len(values), max(painted, default=0))
    for j, value in enumerate(values):
        if value is None or value == "":
            continue
        if isinstance(value, PLAIN_TYPES):
            cells[first_column - 1 + j] = value
        else:
            cell = WriteOnlyCell(ws)
            _put_value(cell, value)
            cells[first_column - 1 + j] = cell
    for column, found in painted.items():
        cell = cells[column - 1]
        if not isinstance(cell, Cell):
            cell = WriteOnlyCell(ws)
            if cells[column - 1] is not None:
                _put_value(cell, cells[column - 1])
        _mark(cell, found, None)
        cells[column - 1] = cell
    return cells


def _put_value(cell: Cell, value: Any) -> None:
    """A value read from the user's file, kept as it was: text always stays text (never a formula)."""
    if isinstance(value, PLAIN_TYPES):
        cell.value = value
        return
    text = _clean(str(value))
    cell.value = text
    cell.data_type = "s"  # openpyxl would take 「=…」 for a formula and 「#N/A」 for an error
    if text.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True  # Excel keeps it text even when the cell is edited


# -- the 「错误清单」 sheet ------------------------------------------------------------------------------


def _issue_sheet(book: Workbook, issues: Sequence[Issue], targets: Mapping[str, Target]) -> None:
    """Every issue, one a row, appended (so the same code serves loaded and write-only workbooks)."""
    ws = book.create_sheet(ISSUES_SHEET)
    order = {name: i for i, name in enumerate(targets)}
    ordered = sorted(
        issues,
        key=lambda i: (
            order.get(i.sheet, len(order)),
            i.row or 0,
            _column_number(i.column),
            i.severity != "error",
        ),
    )
    widths = [width for _, width in ISSUE_COLUMNS]
    for column, texts in ((5, [i.header for i in ordered]), (6, [i.value for i in ordered])):  # 表头, 原值
        longest = max((_display_width(text or "") for text in texts), default=0)
        widths[column - 1] = min(max(longest + 2, widths[column - 1]), 60)
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    for other in _worksheets(book):
        other.sheet_view.tabSelected = False  # one selected tab: no accidental group editing
    ws.sheet_view.tabSelected = True
    ws.append([_header_cell(ws, title) for title, _ in ISSUE_COLUMNS])
    for issue in ordered:
        cells = _issue_cells(ws, issue, _position(issue, targets), targets)
        ws.append(cells)
        for cell in cells:
            if cell.hyperlink is not None:  # a loaded workbook's append does not move the link with the cell
                cell.hyperlink.ref = cell.coordinate
    if not ordered:
        ws.append([None] * (len(ISSUE_COLUMNS) - 1) + ["未发现问题"])
    ws.auto_filter.ref = f"A1:{get_column_letter(len(ISSUE_COLUMNS))}{max(len(ordered), 1) + 1}"
    book.active = len(book.sheetnames) - 1


def _header_cell(ws: Any, title: str) -> Cell:
    cell = WriteOnlyCell(ws, value=title)
    cell.font = Font(bold=True)
    cell.fill = _solid("DDEBF7")
    cell.alignment = Alignment(horizontal="center", vertical="center")
    thin = Side(style="thin", color="BFBFBF")
    cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
    return cell


def _issue_cells(
    ws: Any, issue: Issue, position: Position | None, targets: Mapping[str, Target]
) -> list[Cell]:
    values: list[Any] = [
        SEVERITY_TEXT.get(issue.severity, issue.severity), issue.sheet, issue.row, issue.column,
        issue.header, issue.value, issue.message,
    ]  # fmt: skip
    cells = []
    for column, value in enumerate(values, start=1):
        cell = WriteOnlyCell(ws)
        if isinstance(value, str):
            cell.value = safe_text(value)
            cell.data_type = "s"
        else:
            cell.value = value
        cell.alignment = Alignment(
            horizontal="center" if column in (3, 4) else None, vertical="top", wrap_text=column == len(values)
        )
        cells.append(cell)
    if issue.severity in FILLS:
        cells[0].fill = _solid(FILLS[issue.severity])
        cells[0].font = Font(color=FONTS[issue.severity])
    if position is not None:  # the sheet name links to the painted cell
        name, row, column = position
        title = targets[name].title.replace("'", "''")
        cells[1].hyperlink = Hyperlink(ref="", location=f"'{title}'!{get_column_letter(column)}{row}")
        cells[1].font = Font(color="0563C1", underline="single")
    return cells


# -- text ----------------------------------------------------------------------------------------------


def safe_text(text: str) -> str:
    """User text copied into a cell: never a formula, not even after it is retyped or saved as CSV.

    Text starting with = + - @ (or a tab / carriage return) gets a leading apostrophe, except
    plain numbers (「-5」, 「+3.5%」) and dashes (「-」, 「——」), which no spreadsheet evaluates.
    """
    cleaned = _clean(text)
    if cleaned.startswith(FORMULA_PREFIXES) and not HARMLESS.match(cleaned):
        return "'" + cleaned
    return cleaned


def _clean(text: str) -> str:
    """Without the control characters an .xlsx cannot hold."""
    return ILLEGAL_CHARACTERS.sub("", text)


def _display_width(text: str) -> int:
    longest = max(text.split("\n"), key=len) if text else ""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest[:200])

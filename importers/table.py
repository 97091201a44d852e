"""One table out of a workbook, the way every importer reads it: sheet, header, body rows, cell issues.

Shared by the filing workbooks (importers.filings) and the linked registers (importers.registers),
so an export of the business-registration or IP register is read exactly like a bureau's filing
workbook: the same sheet choice, the same rows read past (序号 only, 合计, 注), merged cells,
over-long cells and formulas, and issues naming sheet, row, column letter, raw value and, in
Chinese, what to do.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from importers import normalize as n
from importers import uscc as uscc_codes
from importers.errors import ImportRejected
from importers.headers import ColumnSpec, Header, HeaderMatch, Spec, find_header
from importers.limits import Limits
from importers.workbook import TIDU_SHEETS, Grid, Workbook, blank, column_letter, read_workbook

TOTAL_WORDS = ("合计", "总计", "小计")  # a total row starts with one of them (not a firm named 联合计算…)
NOTE_PREFIXES = ("注", "说明", "备注", "填表说明", "填报说明")
FORMULA_WARNING = "单元格是公式：已按文件中保存的计算结果导入，请核对"
FORMULA_UNCACHED = "单元格是公式，但文件中没有保存计算结果（常见于程序生成的文件）：请用 Excel 打开并保存后重新导入，或直接填写数值"
MAX_FORMULA_ISSUES = 200

# A cell → (typed value, the reason it cannot be read); (None, None) is an empty cell.
Converter = Callable[[Any], tuple[Any, str | None]]
# One column converted: the typed value of each row read, and the problem of each unreadable cell by index.
Converted = tuple[list[Any], dict[int, str]]


@dataclass(frozen=True)
class Issue:
    severity: str  # error | warning
    sheet: str
    row: int | None  # Excel row number
    column: str | None  # Excel column letter
    header: str | None
    value: str | None  # the raw cell as text
    message: str  # Chinese
    field: str | None = None


@dataclass
class ColumnInfo:
    letter: str
    header: str
    field: str | None
    unit: int | None = None
    year: int | None = None


class IssueSink(Protocol):
    """What the shared steps write to: an importer's result."""

    sheet: str
    header_row: int  # Excel row number of the (last) header row
    issues: list[Issue]
    rows_read: int
    rows_skipped: int


@dataclass(frozen=True)
class TableKind:
    """What kind of table an importer reads: the words its messages use, and which cells one row owns."""

    noun: str  # 申报表: 「工作簿中有 2 个工作表像申报表」
    header_hint: str  # what the header must name, after 「找不到表头：」
    unshared_types: frozenset[str]  # column types a cell merged down over several rows cannot fill
    unshared_reason: str  # why, after 「该单元格与第 N 行合并：」


@dataclass
class Body:
    """The data rows read (not read past), column by column."""

    excel_rows: list[int]  # Excel row number of each row read
    cells: dict[int, list[Any]]  # grid column → its raw cell in each row read (None once found too long)


# -- sheet and header ------------------------------------------------------------------------------


def open_table(
    content: bytes, spec: Spec, kind: TableKind, wanted: str | None, limits: Limits
) -> tuple[Workbook, Grid, Header]:
    """The workbook, its data sheet and that sheet's header. Raises ImportRejected for a bad layout."""
    book = read_workbook(content, limits, sheet=wanted)
    grid, header = choose_sheet(book, spec, kind, wanted, limits)
    body = grid.rows[header.row + 1 :]
    if len(body) > limits.max_rows:  # blank rows in between are no rows: count those with content
        data_rows = sum(1 for cells in body if not all(blank(value) for value in cells))
        if data_rows > limits.max_rows:
            raise ImportRejected(
                f"工作表“{grid.name}”数据行过多（{data_rows} 行，上限 {limits.max_rows} 行）",
                limit=limits.max_rows,
            )
    return book, grid, header


def listed(names: Sequence[str], shown: int = 5) -> str:
    """Names for a message: all of a few, else the first ``shown`` and how many there are."""
    if len(names) <= shown:
        return "、".join(names)
    return "、".join(names[:shown]) + f" 等 {len(names)} 个"


def choose_sheet(
    book: Workbook, spec: Spec, kind: TableKind, wanted: str | None, limits: Limits
) -> tuple[Grid, Header]:
    if wanted is not None:
        grid = next((g for g in book.sheets if g.name == wanted), None)
        if grid is None:
            raise ImportRejected(
                f"工作簿中没有名为“{wanted}”的工作表（有：{listed(book.sheet_names)}）",
                sheets=book.sheet_names,
            )
        header = find_header(grid, spec, limits.header_scan_rows)
        if header is None:
            raise _no_header(grid, kind)
        return grid, header
    # tidu's own sheets (错误清单 of an annotated workbook, the template's 填表说明) are never data.
    found = [
        (g, h)
        for g in book.sheets
        if g.name not in TIDU_SHEETS and (h := find_header(g, spec, limits.header_scan_rows)) is not None
    ]
    if not found:
        raise _no_header(book.sheets[0] if book.sheets else Grid("?", []), kind)
    if len(found) > 1:
        candidates = [g.name for g, _ in found]
        raise ImportRejected(
            f"工作簿中有 {len(found)} 个工作表像{kind.noun}（{listed(candidates)}）：请指定要导入的工作表",
            sheets=candidates,
        )
    return found[0]


def _no_header(grid: Grid, kind: TableKind) -> ImportRejected:
    return ImportRejected(f"工作表“{grid.name}”中找不到表头：{kind.header_hint}")


def require_columns(grid: Grid, header: Header, spec: Spec) -> None:
    """Refuse a table without a column every row needs (the spec's ``required``): no row could be imported."""
    present = {m.spec.field for m in header.mapped() if m.spec}
    missing = [c for c in spec.columns if c.required and c.field not in present]
    if missing:
        named = "、".join(f"“{c.header}”" for c in missing)
        also = "；".join(
            f"“{c.header}”也可写作" + "、".join(f"“{s}”" for s in c.synonyms[:3]) for c in missing
        )
        raise ImportRejected(f"工作表“{grid.name}”缺少{named}列：请加上后重新导入（{also}）")


def column_infos(grid: Grid, header: Header) -> list[ColumnInfo]:
    return [
        ColumnInfo(
            column_letter(grid.first_column + m.column),
            m.text,
            m.spec.field if m.spec else None,
            m.unit if m.spec and m.spec.type == "money" else None,
            m.year,
        )
        for m in header.matches
        if m.text
    ]


def warn_unmapped(sink: IssueSink, header: Header, grid: Grid) -> None:
    """A warning on each header cell not read: unknown, or saying what a better column already says."""
    for match in header.unmapped():
        message = (
            f"列“{match.text}”与列“{match.shadowed_by}”是同一项数据，已按“{match.shadowed_by}”导入，该列未导入"
            if match.shadowed_by
            else f"未识别的列“{match.text}”，该列未导入"
        )
        sink.issues.append(
            Issue(
                "warning", sink.sheet, sink.header_row, match_letter(grid, match), match.text, None, message
            )
        )


def match_letter(grid: Grid, match: HeaderMatch) -> str:
    """The Excel column letter of a header cell."""
    return column_letter(grid.first_column + match.column)


# -- rows -------------------------------------------------------------------------------------------------


def is_skipped(cells: Sequence[Any], mapped: Sequence[int], key: int | None = None) -> bool:
    """Rows that hold no record: empty, only a pre-filled 序号, a 合计 row, a 注 line.

    A row whose ``key`` cell (the credit code) is filled always holds a record: no total or note
    row has one, and a firm named 「合计…」 is still a firm.
    """
    if key is not None and _filled(cell_at(cells, key)):
        return False
    if not any(_filled(cell_at(cells, column)) for column in mapped):
        return True
    texts = _first_texts(cells, 3)
    if any(text.replace(" ", "").startswith(TOTAL_WORDS) for text in texts[:2]):
        return True
    return texts[0].startswith(NOTE_PREFIXES) and len(texts) <= 2


def _filled(value: Any) -> bool:
    if value is None or value == "":
        return False
    return bool(n.text_of(value)) if isinstance(value, str | float) else True


def _first_texts(cells: Sequence[Any], count: int) -> list[str]:
    """The first ``count`` non-empty cells as text (a row is read no further than that)."""
    texts: list[str] = []
    for value in cells:
        if _filled(value):
            texts.append(n.text_of(value))
            if len(texts) == count:
                break
    return texts


def read_body(sink: IssueSink, grid: Grid, header: Header, kind: TableKind, limits: Limits) -> Body:
    """The rows below the header that hold a record, their cells by column; counts rows read and skipped."""
    body = spread_merged(sink, grid, header, kind)
    mapped = [m.column for m in header.mapped()]
    key = next((m.column for m in header.mapped() if m.spec is not None and m.spec.type == "uscc"), None)
    kept = [i for i, cells in enumerate(body) if not is_skipped(cells, mapped, key)]
    sink.rows_read = len(kept)
    sink.rows_skipped = len(body) - len(kept)
    excel_rows = [grid.first_row + header.row + 1 + i for i in kept]
    columns = _columns_of([body[i] for i in kept], max(mapped, default=-1) + 1)
    cells_of = {column: columns[column] for column in mapped}
    for match in header.mapped():
        too_long(sink, cells_of[match.column], excel_rows, grid, match, limits)
    return Body(excel_rows, cells_of)


def _columns_of(rows: list[Sequence[Any]], width: int) -> list[list[Any]]:
    """The rows' first ``width`` cells, column by column (short rows padded with None)."""
    if not rows:
        return [[] for _ in range(width)]
    if min(map(len, rows)) < width:
        rows = [row if len(row) >= width else [*row, *([None] * (width - len(row)))] for row in rows]
    # Every row now has at least ``width`` cells: zip stops at the shortest, so the first
    # ``width`` columns are whole and no row is sliced.
    return [list(column) for column in itertools.islice(zip(*rows, strict=False), width)]


def spread_merged(sink: IssueSink, grid: Grid, header: Header, kind: TableKind) -> list[list[Any]]:
    """Data rows, with a cell merged down over several rows (审查单位, 会计年度) given to each of them.

    A value merged down that one row must own (a firm's figure, an IP number) cannot belong to
    several rows at once: each covered row gets an error.
    """
    first_body = grid.first_row + header.row + 1  # Excel row of body[0]
    body = grid.rows[header.row + 1 :]
    tall = [(r1, c1, r2) for r1, c1, r2, _ in grid.merged if r2 > r1 and r1 >= first_body]
    if not tall:
        return body
    body = list(body)
    by_column = {m.column: m for m in header.mapped()}
    for r1, c1, r2 in tall:
        column = c1 - grid.first_column
        match = by_column.get(column)
        if match is None or match.spec is None:
            continue
        value = cell_at(body[r1 - first_body], column)
        for excel_row in range(r1 + 1, min(r2, first_body + len(body) - 1) + 1):
            if match.spec.type in kind.unshared_types:
                sink.issues.append(
                    Issue(
                        "error",
                        sink.sheet,
                        excel_row,
                        match_letter(grid, match),
                        match.text,
                        None,
                        f"该单元格与第 {r1} 行合并：{kind.unshared_reason}，请取消合并后分别填写",
                        match.spec.field,
                    )
                )
                continue
            cells = body[excel_row - first_body] = list(body[excel_row - first_body])
            cells.extend([None] * (column + 1 - len(cells)))
            cells[column] = value
    return body


def cell_at(cells: Sequence[Any], column: int) -> Any:
    return cells[column] if column < len(cells) else None


# Columns pandas finds to hold no text at all: nothing in them can be too long.
NO_TEXT = frozenset({"empty", "floating", "integer", "mixed-integer-float", "boolean", "datetime", "date",
                     "time", "decimal"})  # fmt: skip


def too_long(
    sink: IssueSink, values: list[Any], rows: list[int], grid: Grid, match: HeaderMatch, limits: Limits
) -> None:
    """An error on each cell longer than Excel allows; the cell is then read as empty."""
    limit = limits.max_cell_chars
    if pd.api.types.infer_dtype(values, skipna=True) in NO_TEXT:
        return  # checked in C, not cell by cell
    for i in [i for i, value in enumerate(values) if value.__class__ is str and len(value) > limit]:
        text = values[i]
        message = f"单元格内容过长（{len(text)} 个字符，上限 {limit} 个）"
        field = match.spec.field if match.spec else None
        sink.issues.append(
            Issue(
                "error",
                sink.sheet,
                rows[i],
                match_letter(grid, match),
                match.text,
                text[:50] + "…",
                message,
                field,
            )
        )
        values[i] = None


# -- cells -------------------------------------------------------------------------------------------------


def convert_cells(values: list[Any], converter: Converter, *, repetitive: bool = False) -> Converted:
    """Typed values of one column, and the problem of each cell that could not be read.

    ``repetitive`` columns (是/否, levels, dates, years) hold few distinct values: each is
    converted once.
    """
    if repetitive and values and pd.api.types.infer_dtype(values, skipna=True) == "string":
        return _convert_distinct(values, converter)
    out: list[Any] = []
    problems: dict[int, str] = {}
    seen: dict[tuple[type, Any], tuple[Any, str | None]] = {}
    for i, raw in enumerate(values):
        if repetitive:
            key = (type(raw), raw)
            found = seen.get(key)
            if found is None:
                found = seen[key] = converter(raw)
            value, problem = found
        else:
            value, problem = converter(raw)
        out.append(value)
        if problem:
            problems[i] = problem
    return out, problems


def _convert_distinct(texts: list[Any], converter: Converter) -> Converted:
    """A column of text (and blanks): each distinct text converted once, then spread back."""
    codes, distinct = pd.factorize(pd.Series(texts, dtype=object), use_na_sentinel=True)
    results = [converter(text) for text in distinct] + [converter(None)]  # the last: blank cells (code -1)
    values = np.empty(len(results), dtype=object)
    values[:] = [value for value, _ in results]
    out: list[Any] = values[codes].tolist()
    failing = {code for code, (_, problem) in enumerate(results) if problem}
    problems = (
        {int(i): str(results[codes[i]][1]) for i in np.flatnonzero(np.isin(codes, list(failing)))}
        if failing
        else {}
    )
    return out, problems


REPETITIVE_TYPES = frozenset({"date", "year", "bool", "prize", "choice", "bureau", "district", "zone"})


def scalar_converter(spec: ColumnSpec) -> Converter:
    """The converter of a column type every table may have (text when the type is no special one)."""
    if spec.type == "date":
        return n.to_date
    if spec.type == "year":
        return n.to_year
    if spec.type == "bool":
        return n.to_bool
    if spec.type == "prize":
        return n.to_prize
    if spec.type == "choice":
        allowed = tuple(dict.fromkeys(spec.choices.values()))
        return lambda raw: n.to_choice(raw, spec.choices, allowed)
    if spec.type == "uscc":
        return to_uscc
    return n.to_text


def to_uscc(raw: Any, missing: str = "缺少统一社会信用代码") -> tuple[str | None, str | None]:
    """A credit code, normalised; pilot-exception codes are accepted (their warning is the caller's)."""
    text = n.text_of(raw)
    if not text:
        return None, missing
    check = uscc_codes.validate(text)
    if not check.accepted:
        return None, f"统一社会信用代码“{text}”无效：" + "；".join(check.problems)
    return check.code, None


def convert_codes(values: list[Any], missing: str = "缺少统一社会信用代码") -> Converted:
    """A column of credit codes: valid codes kept as they are (checked in bulk), the rest one by one."""
    fine = uscc_codes.already_valid(values)
    out: list[Any] = list(values)
    problems: dict[int, str] = {}
    for i in np.flatnonzero(~fine):
        code, problem = to_uscc(values[i], missing)
        out[i] = code
        if problem:
            problems[int(i)] = problem
    return out, problems


def report_problems(
    sink: IssueSink, grid: Grid, header: Header, converted: dict[int, Converted], body: Body
) -> None:
    """An error on every cell a converter could not read, with the cell as written."""
    for match in header.mapped():
        assert match.spec is not None
        for i, problem in converted[match.column][1].items():
            raw = body.cells[match.column][i]
            sink.issues.append(
                Issue(
                    "error",
                    sink.sheet,
                    body.excel_rows[i],
                    match_letter(grid, match),
                    match.text,
                    n.text_of(raw) or None,
                    problem,
                    match.spec.field,
                )
            )


# -- across rows -------------------------------------------------------------------------------------------


def uscc_warning(sink: IssueSink, row: int, column: str | None, header: str, code: str) -> None:
    """The warning an accepted but irregular credit code carries (a pilot-exception code), if any."""
    if code not in uscc_codes.PILOT_EXCEPTIONS:
        return
    check = uscc_codes.validate(code)
    if check.warnings:
        sink.issues.append(Issue("warning", sink.sheet, row, column, header, code, check.warnings[0], "uscc"))


def flag_duplicates(
    sink: IssueSink,
    entries: Iterable[tuple[Hashable, int, str]],
    *,
    column: str | None,
    header: str,
    field: str,
    reason: str,
) -> None:
    """An error on each later row repeating a key, naming the first; ``entries``: (key, row, value shown)."""
    seen: dict[Hashable, int] = {}
    for key, row, value in entries:
        first = seen.setdefault(key, row)
        if first != row:
            sink.issues.append(
                Issue(
                    "error", sink.sheet, row, column, header, value, f"与第 {first} 行重复：{reason}", field
                )
            )


def flag_formulas(sink: IssueSink, grid: Grid, header: Header) -> None:
    """Formulas are never evaluated: their saved results are read (a warning), none saved is an error."""
    first_data = grid.first_row + header.row + 1
    uncached = sorted(cell for cell in grid.uncached_formulas if cell[0] >= first_data)
    for row, column in uncached:  # every one: each blocks its row
        sink.issues.append(
            Issue("error", sink.sheet, row, column_letter(column), None, None, FORMULA_UNCACHED)
        )
    cached = sorted(cell for cell in grid.formulas - grid.uncached_formulas if cell[0] >= first_data)
    for row, column in cached[:MAX_FORMULA_ISSUES]:
        sink.issues.append(
            Issue("warning", sink.sheet, row, column_letter(column), None, None, FORMULA_WARNING)
        )
    if len(cached) > MAX_FORMULA_ISSUES:
        sink.issues.append(
            Issue(
                "warning",
                sink.sheet,
                None,
                None,
                None,
                None,
                f"另有 {len(cached) - MAX_FORMULA_ISSUES} 个公式单元格，均按保存的计算结果导入",
            )
        )

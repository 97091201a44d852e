"""A bureau's filing workbook → typed filing rows and every problem, cell by cell. No database.

What is read: the first sheet that looks like a filing table (or the one named), its header
row below any title rows (two-level headers joined), every data row until the end; 序号
columns, 合计 rows and 注 rows are read past. What comes back: one row per firm and fiscal
year, and an issue for every cell that could not be read (``error``: the row is not imported)
or needs a look (``warning``: imported).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from importers import normalize as n
from importers.errors import ImportRejected
from importers.headers import ColumnSpec, Header, HeaderMatch, Spec, load_spec
from importers.limits import DEFAULT_LIMITS, Limits
from importers.table import (
    REPETITIVE_TYPES,
    Body,
    Converted,
    Converter,
    TableKind,
    column_infos,
    convert_cells,
    convert_codes,
    flag_duplicates,
    flag_formulas,
    match_letter,
    open_table,
    read_body,
    report_problems,
    scalar_converter,
    uscc_warning,
    warn_unmapped,
)
from importers.table import ColumnInfo as ColumnInfo  # re-exported: part of this module's API
from importers.table import Issue as Issue
from importers.workbook import Grid
from vocabulary.figures import label_of

PLAIN_NUMBERS = frozenset({"integer", "floating", "mixed-integer-float", "empty"})
IDENTITY = ("uscc", "name", "bureau", "district", "zone", "registered_on")
FIGURE_TYPES = ("money", "count", "bool", "choice", "prize")
FILING = TableKind(
    noun="申报表",
    header_hint="表头须在前几行，用中文写明“统一社会信用代码”“企业名称”“营业收入（万元）”等列（可下载 tidu 的申报模板对照）",
    unshared_types=frozenset(FIGURE_TYPES),
    unshared_reason="每家企业的数值须各占一格",
)


@dataclass(frozen=True)
class BureauRef:
    code: str
    name: str  # 静海区科技局
    district_code: str
    district_name: str  # 静海区
    kind: str  # district | zone


@dataclass(frozen=True)
class Reference:
    """Registry data the importer needs but does not own (given by the caller)."""

    bureaus: tuple[BureauRef, ...]
    zones: dict[str, str]  # code -> name (经开区 …)
    districts: dict[str, str]  # code -> name

    def bureau_code(self, text: str) -> str | None:
        folded = text.replace(" ", "")
        for bureau in self.bureaus:
            if folded in (bureau.code, bureau.name, bureau.name.removesuffix("科技局")):
                return bureau.code
        for bureau in self.bureaus:  # a district's name means its own bureau (not a zone's)
            if bureau.kind == "district" and folded in (
                bureau.district_name,
                bureau.district_name.removesuffix("区"),
            ):
                return bureau.code
        return None

    def district_code(self, text: str) -> str | None:
        folded = text.replace(" ", "")
        for code, name in self.districts.items():
            if folded in (code, name, name.removesuffix("区")):
                return code
        return None

    def zone_code(self, text: str) -> str | None:
        folded = text.replace(" ", "")
        for code, name in self.zones.items():
            if folded in (code, name):
                return code
        return None


@dataclass(slots=True)
class FirmRow:
    """A firm as a row names it: only the identity fields the file has and the cell fills."""

    row: int  # Excel row number
    uscc: str
    identity: dict[str, Any]  # name, bureau, district, zone, registered_on


@dataclass(slots=True)
class FilingRow:
    """One firm's figures for one fiscal year. Only filled cells: an empty cell changes nothing."""

    row: int  # Excel row number
    fiscal_year: int
    uscc: str
    figures: dict[str, Any]


@dataclass
class ImportResult:
    file_kind: str
    sheet: str
    header_row: int
    columns: list[ColumnInfo]
    firms: list[FirmRow] = field(default_factory=list)
    rows: list[FilingRow] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    rows_read: int = 0
    rows_skipped: int = 0

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    def error_rows(self) -> set[int]:
        return {i.row for i in self.errors if i.row is not None}


def parse_filings(
    content: bytes,
    reference: Reference,
    *,
    fiscal_year: int | None = None,
    sheet: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    spec: Spec | None = None,
) -> ImportResult:
    """Read every row; never stop at the first bad cell. Raises ImportRejected for a bad layout."""
    spec = spec or load_spec()
    book, grid, header = open_table(content, spec, FILING, sheet, limits)
    columns = column_infos(grid, header)
    result = ImportResult(book.kind, grid.name, grid.first_row + header.row, columns)
    _check_columns(result, header, fiscal_year, grid)
    _read_rows(result, grid, header, reference, fiscal_year, spec, limits)
    flag_formulas(result, grid, header)
    return result


# -- header ----------------------------------------------------------------------------------------


def _check_columns(result: ImportResult, header: Header, fiscal_year: int | None, grid: Grid) -> None:
    mapped = header.mapped()
    fields = {m.spec.field for m in mapped if m.spec}
    if "fiscal_year" not in fields and fiscal_year is None and not any(m.year for m in mapped):
        title = next((n.text_of(v) for row in grid.rows[: header.row] for v in row if n.text_of(v)), "")
        hint = f"（标题为“{title}”）" if title else ""
        raise ImportRejected(
            f"无法确定数据所属的会计年度{hint}：请在表中加“会计年度”列、在表头写明年份，或导入时指定会计年度"
        )
    warn_unmapped(result, header, grid)
    for match in mapped:
        assert match.spec is not None
        if match.spec.type == "money" and not match.unit_named:
            result.issues.append(Issue("warning", result.sheet, result.header_row, match_letter(grid, match), match.text, None,
                                       f"列“{match.text}”未注明金额单位，按“元”导入；如为万元请在表头写明（万元）",
                                       match.spec.field))  # fmt: skip


# -- rows -------------------------------------------------------------------------------------------------


def _read_rows(
    result: ImportResult, grid: Grid, header: Header, reference: Reference, fiscal_year: int | None, spec: Spec,
    limits: Limits,
) -> None:  # fmt: skip
    body = read_body(result, grid, header, FILING, limits)
    converted = {m.column: _convert(m, body.cells[m.column], reference) for m in header.mapped()}
    _assemble(result, header, converted, body, fiscal_year, grid)


def _convert(match: HeaderMatch, values: list[Any], reference: Reference) -> Converted:
    """Typed values of one column, and the problem of each cell that could not be read."""
    spec = match.spec
    assert spec is not None
    if spec.type in ("money", "count"):
        return _numeric(values, spec, match.unit)
    if spec.type == "uscc":
        return convert_codes(values)
    return convert_cells(values, _scalar_converter(spec, reference), repetitive=spec.type in REPETITIVE_TYPES)


def _numeric(values: list[Any], spec: ColumnSpec, unit: int) -> tuple[list[Any], dict[int, str]]:
    """Money and counts, vectorized: plain finite numbers in one pass, only odd cells one by one."""
    series = pd.Series(values, dtype=object)
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, copy=True)
    if pd.api.types.infer_dtype(series, skipna=True) not in PLAIN_NUMBERS:  # TRUE/FALSE cells may be there
        booleans = np.fromiter((v.__class__ is bool for v in values), dtype=bool, count=len(values))
        numbers[booleans] = np.nan  # TRUE is no amount: read one by one, where it is an error
    empty = series.isna().to_numpy() | (series == "").to_numpy()
    plain = np.isfinite(numbers)
    odd = np.flatnonzero(~plain & ~empty)
    if spec.type == "money":
        scaled = numbers * unit
        bad = plain & ((np.abs(scaled) > n.MAX_YUAN) | (False if spec.signed else scaled < 0))
        whole = np.floor(np.abs(scaled) + 0.5) * np.sign(scaled)  # half away from zero, as n.round_yuan
    else:
        scaled = numbers
        limit = min(spec.maximum, n.MAX_COUNT) if spec.maximum is not None else n.MAX_COUNT
        bad = plain & ((scaled < 0) | (scaled > limit) | (np.floor(scaled) != scaled))
        whole = scaled
    good = plain & ~bad
    column = np.full(len(values), None, dtype=object)
    column[good] = whole[good].astype(np.int64).tolist()
    out: list[Any] = column.tolist()
    problems: dict[int, str] = {}
    for i in np.flatnonzero(bad):
        problem = (
            n.yuan_problem(float(scaled[i]), values[i], spec.signed) if spec.type == "money"
            else n.count_problem(float(scaled[i]), values[i], spec.maximum)
        )  # fmt: skip
        problems[int(i)] = problem or f"“{n.text_of(values[i])}”不是有效数值"
    for i in odd:
        value, problem = (
            n.to_money(values[i], unit, spec.signed)
            if spec.type == "money"
            else n.to_count(values[i], spec.maximum)
        )
        out[i] = value
        if problem:
            problems[int(i)] = problem
    return out, problems


def _scalar_converter(spec: ColumnSpec, reference: Reference) -> Converter:
    lookups = {"bureau": (reference.bureau_code, label_of("bureau")),
               "district": (reference.district_code, label_of("district")),
               "zone": (reference.zone_code, label_of("zone"))}  # fmt: skip
    if spec.type in lookups:
        find, label = lookups[spec.type]
        return lambda raw: _lookup(raw, find, label)
    return scalar_converter(spec)


def _lookup(raw: Any, find: Any, label: str) -> tuple[str | None, str | None]:
    text = n.text_of(raw)
    if n.is_blank(text):
        return None, None
    code = find(text)
    return (code, None) if code else (None, f"“{text}”不是可识别的{label}")


# -- rows out ----------------------------------------------------------------------------------------------


def _assemble(
    result: ImportResult,
    header: Header,
    converted: dict[int, Converted],
    body: Body,
    fiscal_year: int | None,
    grid: Grid,
) -> None:
    report_problems(result, grid, header, converted, body)
    mapped = [(m, m.spec) for m in header.mapped() if m.spec is not None]
    year_col = next((m for m, spec in mapped if spec.field == "fiscal_year"), None)
    figure_cols = [(m, spec) for m, spec in mapped if spec.type in FIGURE_TYPES]
    # Years written over some columns (近三年营业收入 2022/2023/2024): the others are the latest year's.
    latest = max((m.year for m, _ in figure_cols if m.year), default=None)
    if latest is not None and year_col is None and fiscal_year is None:
        for match, spec in figure_cols:
            if match.year is None:
                result.issues.append(Issue("warning", result.sheet, result.header_row, match_letter(grid, match), match.text,
                                           None, f"列“{match.text}”未写年度，按 {latest} 年度导入", spec.field))  # fmt: skip
    letters = _Letters({(spec.field, m.year): match_letter(grid, m) for m, spec in mapped})
    identity_cols = [(m, spec) for m, spec in mapped if spec.field in IDENTITY]
    identity_names = [spec.field for _, spec in identity_cols]
    figure_names = [spec.field for _, spec in figure_cols]
    # Without years over columns each row is one filing: built directly (the common, large case).
    one_year = all(m.year is None for m, _ in figure_cols)
    for i, (excel_row, identity_cells, figure_cells) in enumerate(
        zip(
            body.excel_rows,
            _row_cells(converted, identity_cols),
            _row_cells(converted, figure_cols),
            strict=False,
        )
    ):
        identity = _filled_only(identity_names, identity_cells)
        code = identity.pop("uscc", None)
        if code is None:
            continue  # its error is already recorded
        result.firms.append(FirmRow(excel_row, code, identity))
        row_year = converted[year_col.column][0][i] if year_col else None
        # A 会计年度 column left blank in this row: the year given at import, never a guess from headers.
        default_year = row_year or fiscal_year or (latest if year_col is None else None)
        if one_year and default_year is not None:
            figures = _filled_only(figure_names, figure_cells)
            if figures:
                result.rows.append(FilingRow(excel_row, default_year, code, figures))
            continue
        year_unreadable = year_col is not None and i in converted[year_col.column][1]
        cells = _RowCells(i, excel_row, code, default_year, year_unreadable)
        _filing_rows(result, grid, figure_cols, converted, cells, letters)
    _check_rows(result, letters)


def _filled_only(names: list[str], values: tuple[Any, ...]) -> dict[str, Any]:
    """Name → value of the cells filled (a row with every cell filled is zipped in C, the usual case)."""
    if None not in values:
        return dict(zip(names, values, strict=True))
    return {name: value for name, value in zip(names, values, strict=True) if value is not None}


def _row_cells(
    converted: dict[int, Converted], columns: list[tuple[HeaderMatch, ColumnSpec]]
) -> Iterable[tuple[Any, ...]]:
    """The converted values of ``columns`` row by row (one transposition, not a lookup per cell)."""
    if not columns:
        return itertools.repeat(())
    return zip(*(converted[match.column][0] for match, _ in columns), strict=True)


@dataclass(frozen=True)
class _Letters:
    """Excel column letters by (field, year the header names): where cross-cell issues are painted."""

    by_field: dict[tuple[str, int | None], str]

    def of(self, name: str, year: int | None = None) -> str | None:
        return self.by_field.get((name, year)) or self.by_field.get((name, None))


@dataclass(frozen=True)
class _RowCells:
    index: int  # position among the rows read
    excel_row: int
    uscc: str
    default_year: int | None
    year_unreadable: bool  # its 会计年度 cell already has an error


def _filing_rows(
    result: ImportResult,
    grid: Grid,
    figure_cols: list[tuple[HeaderMatch, ColumnSpec]],
    converted: dict[int, Converted],
    row: _RowCells,
    letters: _Letters,
) -> None:
    """The row's filled figure cells, one filing row per fiscal year they belong to."""
    by_year: dict[int, dict[str, Any]] = {}
    source: dict[tuple[int, str], HeaderMatch] = {}
    yearless = False
    for match, spec in figure_cols:
        value = converted[match.column][0][row.index]
        if value is None:
            continue
        year = match.year or row.default_year
        if year is None:
            yearless = True
            continue
        figures = by_year.setdefault(year, {})
        other = source.get((year, spec.field))
        if other is not None and figures[spec.field] != value:
            result.issues.append(Issue("error", result.sheet, row.excel_row, match_letter(grid, match), match.text,
                                       n.text_of(value), f"与列“{other.text}”给出的 {year} 年度数值不一致，请只保留一列",
                                       spec.field))  # fmt: skip
            continue
        figures[spec.field] = value
        source[(year, spec.field)] = match
    if yearless and not row.year_unreadable:
        result.issues.append(Issue("error", result.sheet, row.excel_row, letters.of("fiscal_year"), label_of("fiscal_year"), None,
                                   "该行缺少会计年度：请填写数据所属的年度（如 2024）", "fiscal_year"))  # fmt: skip
    for year, figures in sorted(by_year.items()):
        result.rows.append(FilingRow(row.excel_row, year, row.uscc, figures))


def _check_rows(result: ImportResult, letters: _Letters) -> None:
    """Rules across cells of one row (the same as the API's)."""
    for row in result.rows:
        staff, employees = row.figures.get("tech_staff"), row.figures.get("employees")
        if staff is not None and employees is not None and staff > employees:
            result.issues.append(Issue("error", result.sheet, row.row, letters.of("tech_staff", row.fiscal_year),
                                       label_of("tech_staff"), str(staff),
                                       f"{label_of('tech_staff')}（{staff}）不能超过{label_of('employees')}（{employees}）",
                                       "tech_staff"))  # fmt: skip
        domestic, total = row.figures.get("rd_domestic_yuan"), row.figures.get("rd_expense_yuan")
        if domestic is not None and total is not None and domestic > total:
            result.issues.append(Issue("error", result.sheet, row.row, letters.of("rd_domestic_yuan", row.fiscal_year),
                                       label_of("rd_domestic_yuan"), str(domestic),
                                       f"{label_of('rd_domestic_yuan')}不能超过{label_of('rd_expense_yuan')}总额",
                                       "rd_domestic_yuan"))  # fmt: skip
    today = date.today()  # noqa: DTZ011 - a calendar date
    for firm in result.firms:
        registered = firm.identity.get("registered_on")
        if isinstance(registered, date) and registered > today:
            result.issues.append(Issue("error", result.sheet, firm.row, letters.of("registered_on"), label_of("registered_on"),
                                       registered.isoformat(), f"{label_of('registered_on')}不能晚于今天", "registered_on"))  # fmt: skip
        uscc_warning(result, firm.row, letters.of("uscc"), label_of("uscc"), firm.uscc)
    keyed = (((r.uscc, r.fiscal_year), r.row, r.uscc) for r in result.rows)
    flag_duplicates(result, keyed, column=letters.of("uscc"), header=label_of("uscc"), field="uscc",
                    reason="同一企业同一会计年度出现两次")  # fmt: skip


def valid_rows(result: ImportResult) -> tuple[list[FirmRow], list[FilingRow]]:
    """The firms and filings of rows without an error (warnings do not block)."""
    blocked = result.error_rows()
    return [f for f in result.firms if f.row not in blocked], [r for r in result.rows if r.row not in blocked]


def iter_issue_dicts(issues: Iterable[Issue]) -> list[dict[str, Any]]:
    return [issue.__dict__ for issue in issues]

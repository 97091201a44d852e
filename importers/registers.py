"""The linked registers (多库联动) → typed records and every problem, cell by cell. No database.

Two registers arrive as exports of other systems: the business-registration register (企业登记信息库:
status, founding date, the two integrity lists) and the IP register (知识产权数据库: number, type,
owner, validity). They are read through the same pipeline as filing workbooks (importers.table):
the same sheet choice, header finding below title rows, rows read past, merged and over-long cells,
formulas, and issues naming sheet, row, column letter and raw value. What comes back: one record
per row, and an issue for every cell that could not be read (``error``: the row is not imported)
or needs a look (``warning``: imported).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from importers import normalize as n
from importers.headers import ColumnSpec, Spec, load_spec
from importers.limits import DEFAULT_LIMITS, Limits
from importers.table import (
    REPETITIVE_TYPES,
    ColumnInfo,
    Converted,
    Converter,
    Issue,
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
    require_columns,
    scalar_converter,
    uscc_warning,
    warn_unmapped,
)
from vocabulary.figures import label_of

RegisterKind = Literal["registration", "ip"]

DATA = Path(__file__).parent / "data"
REGISTRATION_SPEC = DATA / "registration_columns.yaml"
IP_SPEC = DATA / "ip_columns.yaml"

REGISTRATION = TableKind(
    noun="企业登记信息表",
    header_hint="表头须在前几行，用中文写明“统一社会信用代码”“企业名称”“登记状态”“成立日期”等列",
    unshared_types=frozenset({"uscc", "text", "date", "bool"}),  # a shared 登记状态 (存续 …) is fine
    unshared_reason="每家企业的登记信息须各占一格",
)
IP = TableKind(
    noun="知识产权清单",
    header_hint="表头须在前几行，用中文写明“专利号”（或登记号、证书号）“知识产权类型”“权利人统一社会信用代码”“授权日”等列",
    # One owner's patents often share a merged 权利人 / 信用代码 cell; a number is never shared.
    unshared_types=frozenset({"ip_number"}),
    unshared_reason="每件知识产权的编号须各占一格",
)

# policy.md §2.3 (the national 高企 split): I类, II类, or imported but not counted (None).
IP_CLASSES: dict[str, int | None] = {
    "发明专利": 1,  # 国防专利 is an invention patent too, kept apart as the register names it
    "国防专利": 1,
    "植物新品种": 1,
    "国家级农作物品种": 1,
    "国家新药": 1,
    "国家一级中药保护品种": 1,
    "集成电路布图设计专有权": 1,
    "实用新型": 2,
    "外观设计": 2,
    "软件著作权": 2,
    "商标": None,
    "作品著作权": None,
    "地理标志": None,
}
COUNTED_TYPES = "、".join(t for t, c in IP_CLASSES.items() if c is not None)
UNCOUNTED_TYPES = "、".join(t for t, c in IP_CLASSES.items() if c is None)
STATUSES = ("有效", "失效", "终止", "无效", "放弃", "撤销", "届满")
LAPSED = frozenset(STATUSES[1:])  # the right ended: tidu needs the day it ended
PENDING = "在审"  # an application not granted (yet): no IP to count
WHITESPACE = re.compile(r"\s+")
MISSING_USCC: dict[RegisterKind, str] = {
    "registration": "缺少统一社会信用代码：请填写企业的18位统一社会信用代码",
    "ip": "缺少权利人的统一社会信用代码：请填写权利人（企业）的18位统一社会信用代码",
}
# Longest text the register's columns keep (backend.models: BusinessRecord, IpRecord).
MAX_NAME = 200
MAX_STATUS = 20
MAX_NUMBER = 60


@dataclass
class BusinessRow:
    """A firm as the registration register has it; None: the cell was empty (the register keeps its value)."""

    row: int  # Excel row number
    uscc: str
    name: str | None
    status: str | None  # 存续, 在业, 吊销,未注销 … as written (NFKC, no spaces)
    registered_on: date | None
    abnormal_operation: bool | None  # 列入经营异常名录
    serious_violation: bool | None  # 列入严重违法失信企业名单


@dataclass
class IpRow:
    """One patent, registration or copyright as the IP register has it."""

    row: int  # Excel row number
    number: str  # NFKC, no spaces, upper-case: ZL201910123456.7
    ip_type: str  # canonical: 发明专利, 实用新型, 软件著作权, 商标 …
    ip_class: int | None  # 1 (I类), 2 (II类), None (not counted: 商标 …)
    owner_uscc: str
    valid_from: date | None
    valid_to: date | None
    owner_name: str | None = None  # informational: the owner as the list names it
    legal_status: str | None = None  # canonical: 有效, 失效, 终止, 无效, 放弃, 撤销, 届满


@dataclass
class RegisterResult:
    kind: RegisterKind
    file_kind: str
    sheet: str
    header_row: int
    columns: list[ColumnInfo]
    # BusinessRow for "registration", IpRow for "ip"
    records: list[BusinessRow | IpRow] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    rows_read: int = 0
    rows_skipped: int = 0

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    def valid_records(self) -> list[BusinessRow | IpRow]:
        """The records of rows without an error (warnings do not block)."""
        blocked = {i.row for i in self.errors if i.row is not None}
        return [r for r in self.records if r.row not in blocked]


def parse_registrations(
    content: bytes, *, sheet: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> RegisterResult:
    """Read every row of a registration export; raises ImportRejected for a bad layout."""
    result, cells = _read("registration", content, load_spec(REGISTRATION_SPEC), REGISTRATION, sheet, limits)
    for i, excel_row in enumerate(cells.excel_rows):
        code = cells.get("uscc", i)
        if code is None:
            continue  # its error is already recorded
        firm = BusinessRow(
            row=excel_row,
            uscc=code,
            name=cells.get("name", i),
            status=cells.get("status", i),
            registered_on=cells.get("registered_on", i),
            abnormal_operation=cells.get("abnormal_operation", i),
            serious_violation=cells.get("serious_violation", i),
        )
        result.records.append(firm)
    _check_registrations(result, cells)
    return result


def parse_ip_records(
    content: bytes, *, sheet: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> RegisterResult:
    """Read every row of an IP list; raises ImportRejected for a bad layout (or no number / type column)."""
    result, cells = _read("ip", content, load_spec(IP_SPEC), IP, sheet, limits)
    for i, excel_row in enumerate(cells.excel_rows):
        number, ip_type, owner = cells.get("number", i), cells.get("ip_type", i), cells.get("uscc", i)
        if number is None or ip_type is None or owner is None:
            continue  # each missing one has its error already
        record = IpRow(
            row=excel_row,
            number=number,
            ip_type=ip_type,
            ip_class=IP_CLASSES[ip_type],
            owner_uscc=owner,
            valid_from=cells.get("valid_from", i),
            valid_to=cells.get("valid_to", i),
            owner_name=cells.get("owner_name", i),
            legal_status=cells.get("legal_status", i),
        )
        result.records.append(record)
    _check_ip(result, cells)
    return result


# -- reading ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cells:
    """The rows read, cell by cell per field; a field without a column in the file is absent."""

    excel_rows: list[int]
    values: dict[str, list[Any]]  # field → typed value of each row (None: empty or unreadable)
    raw: dict[str, list[Any]]  # field → the cell as written
    unreadable: dict[str, set[int]]  # field → rows (by index) whose cell has an error
    letters: dict[str, str]  # field → Excel column letter
    headers: dict[str, str]  # field → the header as written

    def get(self, name: str, i: int) -> Any:
        column = self.values.get(name)
        return None if column is None else column[i]

    def rows(self, name: str) -> Sequence[Any]:
        return self.values.get(name, [None] * len(self.excel_rows))


def _read(
    kind: RegisterKind, content: bytes, spec: Spec, table: TableKind, sheet: str | None, limits: Limits
) -> tuple[RegisterResult, _Cells]:
    book, grid, header = open_table(content, spec, table, sheet, limits)
    require_columns(grid, header, spec)
    result = RegisterResult(
        kind, book.kind, grid.name, grid.first_row + header.row, column_infos(grid, header)
    )
    warn_unmapped(result, header, grid)
    body = read_body(result, grid, header, table, limits)
    mapped = [(m, m.spec) for m in header.mapped() if m.spec]
    converted = {
        m.column: convert_codes(body.cells[m.column], MISSING_USCC[kind])
        if spec.type == "uscc"
        else convert_cells(
            body.cells[m.column], _converter(spec, kind), repetitive=spec.type in REPETITIVE_TYPES
        )
        for m, spec in mapped
    }
    letters = {m.column: match_letter(grid, m) for m, _ in mapped}
    _drop_flagged(result, converted, body.excel_rows, letters)
    report_problems(result, grid, header, converted, body)
    flag_formulas(result, grid, header)
    in_error = {(i.row, i.column) for i in result.errors}
    cells = _Cells(
        body.excel_rows,
        values={spec.field: converted[m.column][0] for m, spec in mapped},
        raw={spec.field: body.cells[m.column] for m, spec in mapped},
        unreadable={
            spec.field: {i for i, row in enumerate(body.excel_rows) if (row, letters[m.column]) in in_error}
            for m, spec in mapped
        },
        letters={spec.field: letters[m.column] for m, spec in mapped},
        headers={spec.field: m.text for m, spec in mapped},
    )
    return result, cells


def _drop_flagged(
    result: RegisterResult, converted: dict[int, Converted], excel_rows: list[int], letters: dict[int, str]
) -> None:
    """A cell already in error (merged down, too long) reads as empty: being empty is no second problem."""
    flagged = {(i.row, i.column) for i in result.errors}
    for column, (_, problems) in converted.items():
        for i in [i for i in problems if (excel_rows[i], letters[column]) in flagged]:
            del problems[i]


def _converter(spec: ColumnSpec, kind: RegisterKind) -> Converter:
    if spec.type == "ip_number":
        return _ip_number
    if spec.type == "ip_type":
        return lambda raw: _ip_type(raw, spec.choices)
    if spec.type == "ip_status":
        return lambda raw: _ip_status(raw, spec.choices)
    if spec.type == "status":
        return _registration_status
    if spec.type == "text":
        return _limited_text
    return scalar_converter(spec)


# -- cells ------------------------------------------------------------------------------------------------


def normalize_ip_number(text: str) -> str:
    """ZL 2019 1 0123456.7, ｚｌ２０１９１０１２３４５６．７ → ZL201910123456.7 (the register's key)."""
    return WHITESPACE.sub("", n.text_of(text)).upper()


def _ip_number(raw: Any) -> tuple[str | None, str | None]:
    text = n.text_of(raw)
    if n.is_blank(text):
        return None, "缺少知识产权编号：请填写专利号、登记号或证书号"
    number = normalize_ip_number(text)
    if not any(ch.isdigit() for ch in number) or len(number) > MAX_NUMBER:
        return (
            None,
            f"“{text}”不是知识产权编号：请填写专利号、登记号或证书号（如 ZL201910123456.7、2021SR0123456）",
        )
    return number, None


def _ip_type(raw: Any, choices: dict[str, str]) -> tuple[str | None, str | None]:
    text = n.text_of(raw)
    accepted = f"可填写：{COUNTED_TYPES}；{UNCOUNTED_TYPES}可导入，但不计入I类、II类知识产权"
    if n.is_blank(text):
        return None, f"缺少知识产权类型：请填写类型（{accepted}）"
    ip_type, problem = n.to_choice(raw, choices, tuple(IP_CLASSES))
    if problem or ip_type is None:
        return None, f"“{text}”不是可识别的知识产权类型（{accepted}）"
    return ip_type, None


def _ip_status(raw: Any, choices: dict[str, str]) -> tuple[str | None, str | None]:
    text = n.text_of(raw)
    status, problem = n.to_choice(raw, choices, (*STATUSES, PENDING))
    if problem:
        return None, f"“{text}”不是可识别的法律状态（可填写：{'、'.join(STATUSES)}）"
    if status == PENDING:
        return None, f"法律状态“{text}”表示申请尚未授权，不是有效的知识产权：请删除该行，授权后再导入"
    return status, None


def _registration_status(raw: Any) -> tuple[str | None, str | None]:
    """Kept as written (the registers word it 存续（在营、开业、在册）, 在业, 吊销，未注销 …), without spaces."""
    text, _ = n.to_text(raw)
    if text is None:
        return None, None
    status = WHITESPACE.sub("", text)
    if len(status) > MAX_STATUS:
        return None, f"登记状态“{status}”过长（上限 {MAX_STATUS} 个字）：请只填写状态，如“存续”“吊销”“注销”"
    return status, None


def _limited_text(raw: Any) -> tuple[str | None, str | None]:
    text, _ = n.to_text(raw)
    if text is not None and len(text) > MAX_NAME:
        return None, f"内容过长（{len(text)} 个字，上限 {MAX_NAME} 个）：请只填写名称"
    return text, None


# -- across cells and rows -------------------------------------------------------------------------------


def _check_registrations(result: RegisterResult, cells: _Cells) -> None:
    firms = [r for r in result.records if isinstance(r, BusinessRow)]
    column, header = cells.letters.get("uscc"), cells.headers.get("uscc", label_of("uscc"))
    for firm in firms:
        uscc_warning(result, firm.row, column, header, firm.uscc)
    for i, registered in enumerate(cells.rows("registered_on")):
        if registered is not None and registered > date.today():  # noqa: DTZ011 - a calendar date
            _error(
                result, cells, i, "registered_on", registered.isoformat(), "成立日期不能晚于今天：请核对日期"
            )
    keyed = ((firm.uscc, firm.row, firm.uscc) for firm in firms)
    reason = "同一企业出现两次，请只保留一行"
    flag_duplicates(result, keyed, column=column, header=header, field="uscc", reason=reason)


def _check_ip(result: RegisterResult, cells: _Cells) -> None:
    column, header = cells.letters.get("uscc"), cells.headers.get("uscc", "权利人统一社会信用代码")
    for i, owner in enumerate(cells.rows("uscc")):
        if owner is not None:
            uscc_warning(result, cells.excel_rows[i], column, header, owner)
    for i in range(len(cells.excel_rows)):
        _check_dates(result, cells, i)
        _check_lapsed(result, cells, i)
    # Every readable number, whatever else its row lacks: the later row is the one to remove.
    keyed = [(number, cells.excel_rows[i], number) for i, number in enumerate(cells.rows("number")) if number]
    reason = "同一编号的知识产权出现两次，请只保留一行"
    column, header = cells.letters.get("number"), cells.headers.get("number", "专利号")
    flag_duplicates(result, keyed, column=column, header=header, field="number", reason=reason)


def _check_dates(result: RegisterResult, cells: _Cells, i: int) -> None:
    valid_from, valid_to = cells.get("valid_from", i), cells.get("valid_to", i)
    if valid_from is None or valid_to is None or valid_to >= valid_from:
        return
    ends, starts = cells.headers["valid_to"], cells.headers["valid_from"]
    message = (
        f"“{ends}”（{valid_to.isoformat()}）早于“{starts}”（{valid_from.isoformat()}）：请核对这两个日期"
    )
    _error(result, cells, i, "valid_to", valid_to.isoformat(), message)


def _check_lapsed(result: RegisterResult, cells: _Cells, i: int) -> None:
    """A right that ended needs the day it ended: tidu counts the IP valid at a fiscal year's end."""
    if cells.get("legal_status", i) not in LAPSED or cells.get("valid_to", i) is not None:
        return
    if i in cells.unreadable.get("valid_to", set()):
        return  # the date is there but unreadable: its own error says so
    written = n.text_of(cells.raw["legal_status"][i])
    why = f"法律状态为“{written}”，但{{}}：tidu 按会计年度末是否有效计数，{{}}"
    if "valid_to" in cells.letters:
        fill = f"请在“{cells.headers['valid_to']}”列填写权利终止的日期"
        _error(result, cells, i, "valid_to", None, why.format("没有填写失效日期", fill))
    else:
        add = "请加“失效日期”列并填写"
        _error(result, cells, i, "legal_status", written, why.format("表中没有失效日期列", add))


def _error(result: RegisterResult, cells: _Cells, i: int, name: str, value: str | None, message: str) -> None:
    """An error on the cell of field ``name`` in the ``i``-th row read."""
    sheet, row = result.sheet, cells.excel_rows[i]
    result.issues.append(
        Issue("error", sheet, row, cells.letters.get(name), cells.headers.get(name), value, message, name)
    )

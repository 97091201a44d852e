"""parse_filings on the workbooks bureaus really send (design.md §6): messy layouts, every format,
bad cells, and whole files that must be refused. Workbooks are built in code by ``workbooks``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from datetime import date

import pytest

from importers.errors import ImportRejected
from importers.filings import (
    BureauRef,
    FilingRow,
    ImportResult,
    Issue,
    Reference,
    parse_filings,
    valid_rows,
)
from importers.limits import DEFAULT_LIMITS, Limits
from importers.workbook import read_workbook
from tests.importers import workbooks as wb
from tests.importers.workbooks import (
    MESSY_SHEET,
    SHEET,
    USCC_A,
    USCC_B,
    USCC_C,
    USCC_D,
    USCC_E,
    USCC_F,
    USCC_PILOT,
)

REFERENCE = Reference(
    bureaus=(
        BureauRef("jh", "静海区科技局", "120118", "静海区", "district"),
        BureauRef("jkq", "经开区科技局", "120118", "静海区", "zone"),
    ),
    zones={"jkq": "经开区"},
    districts={"120118": "静海区"},
)
MB = 1024 * 1024
CJK = re.compile(r"[\u3400-\u9fff]")
PILOT_WARNING = "该代码为2014–2015年福建/厦门试点期间依法发放的代码，未通过校验码检查，按例外名单接受"
FORMULA_WARNING = "单元格是公式：已按文件中保存的计算结果导入，请核对"


# -- helpers ------------------------------------------------------------------------------------


def parse(
    content: bytes,
    *,
    fiscal_year: int | None = None,
    sheet: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ImportResult:
    return parse_filings(content, REFERENCE, fiscal_year=fiscal_year, sheet=sheet, limits=limits)


def rejected(
    content: bytes,
    *,
    fiscal_year: int | None = None,
    sheet: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ImportRejected:
    """The rejection, after checking that nothing (no partial result) came back."""
    returned: list[ImportResult] = []
    with pytest.raises(ImportRejected) as caught:
        returned.append(parse(content, fiscal_year=fiscal_year, sheet=sheet, limits=limits))
    assert returned == []
    return caught.value


def assert_chinese(message: str) -> None:
    assert len(CJK.findall(message)) >= 4, f"not a Chinese sentence: {message!r}"


def assert_actionable(message: str) -> None:
    """Chinese, and it tells the user what to do, which limit was hit or what to choose from."""
    assert_chinese(message)
    assert any(word in message for word in ("请", "须", "可", "上限", "（有：")), (
        f"says nothing to do: {message!r}"
    )
    assert not re.search(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}", message), f"English in the message: {message!r}"


def issue_key(issue: Issue) -> tuple[str, str, int | None, str | None, str | None, str]:
    return issue.severity, issue.sheet, issue.row, issue.column, issue.header, issue.message


def where(issue: Issue) -> tuple[str, str | None, str | None, str | None]:
    return issue.severity, issue.column, issue.header, issue.value


def the_issue(result: ImportResult, *, row: int, field: str) -> Issue:
    found = [i for i in result.issues if i.row == row and i.field == field]
    assert len(found) == 1, found
    return found[0]


def filing(result: ImportResult, row: int, year: int) -> FilingRow:
    found = [r for r in result.rows if r.row == row and r.fiscal_year == year]
    assert len(found) == 1, result.rows
    return found[0]


def years_of(result: ImportResult, row: int) -> list[int]:
    return [r.fiscal_year for r in result.rows if r.row == row]


def valid_row_numbers(result: ImportResult) -> set[int]:
    firms, filings = valid_rows(result)
    return {f.row for f in firms} | {r.row for r in filings}


def simple_rows(*rows: list[wb.Value]) -> list[list[wb.Value]]:
    """A flat filing table: A 序号, B 企业名称, C 统一社会信用代码, D 会计年度, E 研发费用（万元）, F 职工总数."""
    return [["序号", "企业名称", "统一社会信用代码", "会计年度", "研发费用（万元）", "职工总数"], *rows]


def firm(number: int) -> list[wb.Value]:
    return [number, "天津甲科技有限公司", USCC_A, 2024, 1, 1]


# -- 1. the realistic messy workbook ---------------------------------------------------------------


@pytest.fixture(scope="module")
def messy() -> ImportResult:
    return parse(wb.messy_filing_xlsx())


def test_messy_header_is_found_below_the_title_with_the_two_level_header_joined(messy: ImportResult) -> None:
    assert (messy.file_kind, messy.sheet, messy.header_row) == ("xlsx", MESSY_SHEET, 4)
    columns = {c.letter: (c.header, c.field, c.unit, c.year) for c in messy.columns}
    assert columns == {
        "A": ("序号", None, None, None),
        "B": ("企业名称", "name", None, None),
        "C": ("统一社会信用代码", "uscc", None, None),
        "D": ("审查单位", "bureau", None, None),
        "E": ("注册日期", "registered_on", None, None),
        "F": ("近三年营业收入（万元）2022", "revenue_yuan", 10_000, 2022),
        "G": ("近三年营业收入（万元）2023", "revenue_yuan", 10_000, 2023),
        "H": ("近三年营业收入（万元）2024年", "revenue_yuan", 10_000, 2024),
        "I": ("研发费用（万元）", "rd_expense_yuan", 10_000, None),
        "J": ("资产总额", "total_assets_yuan", 1, None),
        "K": ("职工总数", "employees", None, None),
        "L": ("科技人员数", "tech_staff", None, None),
        "M": ("科研严重失信", "research_misconduct", None, None),
        "N": ("经营异常名录", "abnormal_operation", None, None),
        "O": ("严重违法失信名单", "serious_violation", None, None),
        "P": ("科技奖励级别", "st_award_level", None, None),
        "Q": ("研发机构级别", "rd_institution_level", None, None),
        "R": ("主要产品", None, None, None),
        "S": ("备注", None, None, None),
    }


def test_messy_title_blank_total_and_note_rows_are_read_past(messy: ImportResult) -> None:
    assert [f.row for f in messy.firms] == [5, 6, 7, 8, 9, 10]
    assert (messy.rows_read, messy.rows_skipped) == (6, 3)  # 合计 (11), blank (12), 注 (13)
    assert {r.row for r in messy.rows} == {5, 6, 7, 8, 9, 10}
    assert {i.row for i in messy.issues} == {4}  # header warnings only: nothing on rows 11–13
    assert valid_row_numbers(messy) == {5, 6, 7, 8, 9, 10}


def test_messy_full_width_credit_code_is_folded(messy: ImportResult) -> None:
    assert [f.uscc for f in messy.firms] == [USCC_A, USCC_B, USCC_C, USCC_D, USCC_E, USCC_F]
    assert {f.identity["bureau"] for f in messy.firms} == {"jh"}  # 静海区科技局 / 静海区 / 静海
    assert messy.firms[0].identity["name"] == "天津雏鹰甲科技有限公司"


def test_messy_two_level_revenue_lands_on_its_years_in_yuan(messy: ImportResult) -> None:
    assert years_of(messy, 5) == [2022, 2023, 2024]
    assert filing(messy, 5, 2022).figures == {"revenue_yuan": 12_345_000}  # "1,234.5" 万元
    assert filing(messy, 5, 2023).figures == {"revenue_yuan": 20_000_000}  # "２，０００" 万元
    assert filing(messy, 5, 2024).figures["revenue_yuan"] == 30_002_500  # "3,000.25" 万元
    assert [filing(messy, 7, y).figures["revenue_yuan"] for y in (2022, 2023, 2024)] == [
        1_000_000, 2_000_000, 3_000_000,
    ]  # fmt: skip


def test_messy_thousands_separators_and_full_width_digits(messy: ImportResult) -> None:
    figures = filing(messy, 5, 2024).figures
    assert figures["rd_expense_yuan"] == 1_200_000  # "１２０" 万元
    assert figures["total_assets_yuan"] == 5_000_000  # "5,000,000" in a column without a unit: 元
    assert (figures["employees"], figures["tech_staff"]) == (45, 12)  # "４５", "１２"
    assert all(
        type(v) is int for k, v in figures.items() if k.endswith("_yuan") or k in ("employees", "tech_staff")
    )
    assert filing(messy, 7, 2024).figures["rd_expense_yuan"] == 5_000  # 0.5 万元


def test_messy_cell_naming_its_own_unit_is_not_scaled_again(messy: ImportResult) -> None:
    assert filing(messy, 6, 2024).figures["rd_expense_yuan"] == 200_000  # 「20万元」 in a 万元 column


def test_messy_dates_written_six_ways_are_the_same_day(messy: ImportResult) -> None:
    # 2019-03-05, 2019/3/5, 2019.03.05, 2019年3月5日, serial 43529, a real date cell
    assert [f.identity["registered_on"] for f in messy.firms] == [date(2019, 3, 5)] * 6


def test_messy_yes_no_columns(messy: ImportResult) -> None:
    flags = ("research_misconduct", "abnormal_operation", "serious_violation")
    assert [filing(messy, 5, 2024).figures[f] for f in flags] == [False, False, False]  # 否 无 ×
    assert [filing(messy, 6, 2024).figures[f] for f in flags] == [True, True, True]  # 是 有 √
    assert [filing(messy, 8, 2024).figures[f] for f in flags] == [False, False, False]


def test_messy_level_columns(messy: ImportResult) -> None:
    levels = [(filing(messy, r, 2024).figures["st_award_level"], filing(messy, r, 2024).figures["rd_institution_level"])
              for r in (5, 6, 8)]  # fmt: skip
    assert levels == [("national", "provincial"), ("provincial", "none"), ("none", "none")]


def test_messy_blank_likes_are_not_given(messy: ImportResult) -> None:
    # row 6: revenue "-" "—" "/" and assets "-": no revenue years at all, no assets key
    assert years_of(messy, 6) == [2024]
    assert "revenue_yuan" not in filing(messy, 6, 2024).figures
    assert "total_assets_yuan" not in filing(messy, 6, 2024).figures
    # row 7: yes/no "-" "—" "/" and levels "—" "/": absent, not False / "none"
    assert filing(messy, 7, 2024).figures == {
        "revenue_yuan": 3_000_000, "rd_expense_yuan": 5_000, "total_assets_yuan": 1_000,
        "employees": 10, "tech_staff": 2,
    }  # fmt: skip


def test_messy_unknown_column_and_money_without_unit_warn(messy: ImportResult) -> None:
    unknown = [i for i in messy.issues if i.column == "R"]
    assert [issue_key(i) for i in unknown] == [
        ("warning", MESSY_SHEET, 4, "R", "主要产品", "未识别的列“主要产品”，该列未导入")
    ]
    no_unit = [i for i in messy.issues if i.field == "total_assets_yuan" and "单位" in i.message]
    assert len(no_unit) == 1
    assert (no_unit[0].severity, no_unit[0].row, no_unit[0].column) == ("warning", 4, "J")
    assert "“资产总额”未注明金额单位" in no_unit[0].message
    assert "按“元”导入" in no_unit[0].message


def test_messy_issues_are_exactly_the_header_warnings(messy: ImportResult) -> None:
    undated = zip(
        "IJKLMNOPQ",
        ["研发费用（万元）", "资产总额", "职工总数", "科技人员数", "科研严重失信", "经营异常名录",
         "严重违法失信名单", "科技奖励级别", "研发机构级别"],
        strict=True,
    )  # fmt: skip
    expected = [
        ("warning", MESSY_SHEET, 4, "R", "主要产品", "未识别的列“主要产品”，该列未导入"),
        ("warning", MESSY_SHEET, 4, "J", "资产总额",
         "列“资产总额”未注明金额单位，按“元”导入；如为万元请在表头写明（万元）"),
        *[("warning", MESSY_SHEET, 4, letter, header, f"列“{header}”未写年度，按 2024 年度导入")
          for letter, header in undated],
    ]  # fmt: skip
    assert sorted(issue_key(i) for i in messy.issues) == sorted(expected)  # 序号 and 备注: silent


# -- 2. the same rows in every format ---------------------------------------------------------------

EXPECTED_FIRMS = [
    (2, USCC_A, {"name": "天津甲科技有限公司", "registered_on": date(2019, 3, 5)}),
    (3, USCC_B, {"name": "天津乙科技有限公司", "registered_on": date(2019, 3, 5)}),
    (4, USCC_C, {"name": "天津丙科技有限公司", "registered_on": date(2020, 11, 30)}),
]
EXPECTED_ROWS = [
    FilingRow(2, 2024, USCC_A, {"revenue_yuan": 12_345_000, "rd_expense_yuan": 2_000_000, "employees": 45,
                                "tech_staff": 12, "abnormal_operation": False, "serious_violation": True,
                                "st_award_level": "national"}),
    FilingRow(3, 2024, USCC_B, {"revenue_yuan": 3_000_000, "total_assets_yuan": 1_500_001, "employees": 30,
                                "abnormal_operation": True, "serious_violation": False, "st_award_level": "none"}),
    FilingRow(4, 2023, USCC_C, {"revenue_yuan": 200_000, "rd_expense_yuan": 12_500, "total_assets_yuan": 1_000_000,
                                "employees": 8, "tech_staff": 8, "abnormal_operation": False,
                                "st_award_level": "provincial"}),
]  # fmt: skip
FORMATS: list[tuple[str, Callable[[], bytes], str, str, str | None]] = [
    ("xlsx", lambda: wb.xlsx_rows(wb.FORMAT_ROWS), "xlsx", SHEET, None),
    ("xls", lambda: wb.xls(wb.FORMAT_ROWS), "xls", SHEET, None),
    ("ods", lambda: wb.ods(wb.FORMAT_ROWS), "ods", SHEET, None),
    ("csv-utf8-bom", lambda: wb.csv_file(wb.FORMAT_ROWS, "utf-8-sig"), "csv", "CSV", "utf-8-sig"),
    ("csv-utf8", lambda: wb.csv_file(wb.FORMAT_ROWS, "utf-8"), "csv", "CSV", "utf-8"),
    ("csv-gbk", lambda: wb.csv_file(wb.FORMAT_ROWS, "gbk"), "csv", "CSV", "gb18030"),
]


@pytest.mark.parametrize(
    ("build", "kind", "sheet", "encoding"), [f[1:] for f in FORMATS], ids=[f[0] for f in FORMATS]
)
def test_every_format_gives_the_same_values(
    build: Callable[[], bytes], kind: str, sheet: str, encoding: str | None
) -> None:
    content = build()
    if kind == "xls":
        assert content.startswith(wb.OLE2_MAGIC)  # a real BIFF file, not an .xlsx renamed
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            content.decode("utf-8")  # really GBK bytes
    assert read_workbook(content).encoding == encoding
    result = parse(content)
    assert (result.file_kind, result.sheet, result.header_row) == (kind, sheet, 1)
    assert [(f.row, f.uscc, f.identity) for f in result.firms] == EXPECTED_FIRMS
    assert result.rows == EXPECTED_ROWS
    assert result.issues == []


# -- 3. bad cells -------------------------------------------------------------------------------------

BAD_ROWS: list[list[wb.Value]] = [
    ["序号", "企业名称", "统一社会信用代码", "会计年度", "注册日期", "营业收入（万元）", "研发费用（万元）", "职工总数", "科技人员数"],
    [1, "天津甲科技有限公司", wb.USCC_A_BAD_CHECK, 2024, "2019-03-05", 100, 10, 20, 5],
    [2, "天津乙科技有限公司", USCC_B, 2024, "2019-03-05", "12a3", 10, 20, 5],
    [3, "天津丙科技有限公司", USCC_C, 2024, "2019-03-05", 100, -5, 20, 5],
    [4, "天津丁科技有限公司", USCC_D, 2024, "2019-03-05", 100, 10, 12.5, 5],
    [5, "天津戊科技有限公司", USCC_E, 2024, "2019-03-05", 100, 10, 10, 11],
    [6, "天津己科技有限公司", USCC_F, 2024, "2019-02-30", 100, 10, 20, 5],
    [7, "天津庚科技有限公司", USCC_A, 2024, "2019-03-05", 100, 10, 20, 5],
    [8, "天津庚科技有限公司", USCC_A, 2024, "2019-03-05", 120, 10, 20, 5],
    [9, "厦门试点科技有限公司", USCC_PILOT, 2024, "2018-06-01", 100, 10, 20, 5],
]  # fmt: skip


@pytest.fixture(scope="module")
def bad() -> ImportResult:
    return parse(wb.xlsx_rows(BAD_ROWS))


def test_bad_cells_block_only_their_rows(bad: ImportResult) -> None:
    assert valid_row_numbers(bad) == {8, 10}
    expected = [
        ("error", 2, "uscc", "统一社会信用代码“91120223MA05ABCD1R”无效：校验码应为“Q”，实际为“R”"),
        ("error", 3, "revenue_yuan", "“12a3”不是数字"),
        ("error", 4, "rd_expense_yuan", "金额不能为负数（-5）"),
        ("error", 5, "employees", "应为整数（12.5）"),
        ("error", 6, "tech_staff", "科技人员数（11）不能超过职工总数（10）"),
        ("error", 7, "registered_on", "“2019-02-30”不是有效日期"),
        ("error", 9, "uscc", "与第 8 行重复：同一企业同一会计年度出现两次"),
        ("warning", 10, "uscc", PILOT_WARNING),
    ]
    assert sorted((i.severity, i.row, i.field, i.message) for i in bad.issues) == expected
    assert {i.sheet for i in bad.issues} == {SHEET}


def test_invalid_check_character(bad: ImportResult) -> None:
    issue = the_issue(bad, row=2, field="uscc")
    assert where(issue) == ("error", "C", "统一社会信用代码", "91120223MA05ABCD1R")
    assert "校验码应为“Q”，实际为“R”" in issue.message
    assert 2 not in {f.row for f in bad.firms}


def test_letters_in_a_number(bad: ImportResult) -> None:
    issue = the_issue(bad, row=3, field="revenue_yuan")
    assert where(issue) == ("error", "F", "营业收入（万元）", "12a3")
    assert "不是数字" in issue.message
    assert 3 not in valid_row_numbers(bad)


def test_negative_amount(bad: ImportResult) -> None:
    issue = the_issue(bad, row=4, field="rd_expense_yuan")
    assert where(issue) == ("error", "G", "研发费用（万元）", "-5")
    assert "金额不能为负数" in issue.message
    assert 4 not in valid_row_numbers(bad)


def test_fractional_employee_count(bad: ImportResult) -> None:
    issue = the_issue(bad, row=5, field="employees")
    assert where(issue) == ("error", "H", "职工总数", "12.5")
    assert "整数" in issue.message
    assert 5 not in valid_row_numbers(bad)


def test_tech_staff_above_employees(bad: ImportResult) -> None:
    issue = the_issue(bad, row=6, field="tech_staff")
    assert (issue.severity, issue.sheet, issue.value) == ("error", SHEET, "11")
    assert issue.message == "科技人员数（11）不能超过职工总数（10）"
    assert 6 not in valid_row_numbers(bad)


def test_date_that_does_not_exist(bad: ImportResult) -> None:
    issue = the_issue(bad, row=7, field="registered_on")
    assert where(issue) == ("error", "E", "注册日期", "2019-02-30")
    assert "不是有效日期" in issue.message
    assert 7 not in valid_row_numbers(bad)


def test_duplicate_firm_and_year_names_the_first_row(bad: ImportResult) -> None:
    issue = the_issue(bad, row=9, field="uscc")
    assert (issue.severity, issue.value) == ("error", USCC_A)
    assert "与第 8 行重复" in issue.message
    assert not [i for i in bad.issues if i.row == 8]  # the first occurrence is fine
    _, filings = valid_rows(bad)
    assert [r.figures["revenue_yuan"] for r in filings if r.uscc == USCC_A] == [1_000_000]


def test_pilot_exception_code_warns_and_keeps_the_row(bad: ImportResult) -> None:
    issue = the_issue(bad, row=10, field="uscc")
    assert (issue.severity, issue.value) == ("warning", USCC_PILOT)
    assert "试点" in issue.message
    firms, filings = valid_rows(bad)
    assert [f.uscc for f in firms if f.row == 10] == [USCC_PILOT]
    assert [r.figures for r in filings if r.row == 10] == [
        {"revenue_yuan": 1_000_000, "rd_expense_yuan": 100_000, "employees": 20, "tech_staff": 5}
    ]


@pytest.mark.parametrize(
    ("row", "field", "column"), [(6, "tech_staff", "I"), (9, "uscc", "C"), (10, "uscc", "C")]
)
def test_cross_cell_issues_name_the_cell(bad: ImportResult, row: int, field: str, column: str) -> None:
    assert the_issue(bad, row=row, field=field).column == column


# -- 4. whole files refused ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (wb.png_image, "不是电子表格文件：请上传 .xlsx、.xls、.xlsm、.ods 或 .csv 文件"),
        (wb.random_binary, "不是电子表格文件：请上传 .xlsx、.xls、.xlsm、.ods 或 .csv 文件"),
        (wb.word_document, "不是电子表格文件（压缩包中没有工作簿）"),
        (wb.corrupt_ole2, "无法读取工作簿（文件可能已损坏）"),
    ],
    ids=["png", "random-binary", "docx", "corrupt-ole2"],
)
def test_bytes_that_are_not_a_spreadsheet(build: Callable[[], bytes], message: str) -> None:
    error = rejected(build())
    assert error.message.startswith(message)
    assert_chinese(error.message)


def test_encrypted_workbook() -> None:
    error = rejected(wb.encrypted_workbook())
    assert error.message == "工作簿已加密（设置了打开密码）：请取消密码后重新导入"
    assert_actionable(error.message)


class NeverOpened:
    """Stands in for calamine: a file refused from its zip directory never reaches the reader."""

    @staticmethod
    def from_filelike(_: object) -> None:
        raise AssertionError("the workbook was handed to the reader")


def test_zip_bomb_is_refused_before_anything_is_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    # Default limits: a 100 MB member of zeros deflates to ~100 KB (ratio ~1000:1, limit 120:1).
    content = wb.zip_bomb_xlsx(simple_rows(firm(1)), 100 * MB)
    expanded, compressed = wb.member_sizes(content)["xl/media/image1.png"]
    assert len(content) < 1 * MB
    assert expanded / compressed > 500
    monkeypatch.setattr("importers.workbook.CalamineWorkbook", NeverOpened)
    error = rejected(content)
    assert error.message.startswith("工作簿内部文件 xl/media/image1.png 的压缩比 ")
    assert "疑似压缩炸弹" in error.message
    assert error.context == {"limit": DEFAULT_LIMITS.max_ratio}
    assert_chinese(error.message)


def test_expanded_size_over_the_limit() -> None:
    # Lowered limit (1 MB) so the test stays small: 2 MB of random bytes compress ~1:1, no bomb by ratio.
    content = wb.rewrite_zip(
        wb.xlsx_rows(simple_rows(firm(1))),
        extra={"xl/media/image1.png": wb.random_binary() * 256},
    )
    error = rejected(content, limits=Limits(max_uncompressed=1 * MB))
    assert error.message.startswith("工作簿解压后过大（2 MB，上限 1 MB）")
    assert error.context == {"limit": 1 * MB}
    assert_actionable(error.message)


def one_and_a_half_megabytes() -> bytes:
    return wb.csv_file(simple_rows(*[firm(i) for i in range(25_200)]), "utf-8")


def test_file_over_max_bytes() -> None:
    content = one_and_a_half_megabytes()
    assert 1.4 * MB < len(content) < 1.6 * MB
    error = rejected(content, limits=Limits(max_bytes=1 * MB))
    assert error.message == "文件过大（1.5 MB，上限 1 MB）"
    assert error.context == {"limit": 1 * MB}
    assert_actionable(error.message)


def test_too_many_rows() -> None:
    content = wb.xlsx_rows(simple_rows(*[firm(i) for i in range(3)]))
    error = rejected(content, limits=Limits(max_rows=2))
    assert error.message == f"工作表“{SHEET}”数据行过多（3 行，上限 2 行）"
    assert_actionable(error.message)


def test_ten_million_character_cell_is_an_error_on_that_cell() -> None:
    rows = simple_rows([1, wb.HUGE_MARK, USCC_A, 2024, 5, 10], [2, "天津乙科技有限公司", USCC_B, 2024, 6, 12])
    result = parse(wb.huge_cell_xlsx(rows, 10_000_000))
    assert len(result.issues) == 1
    issue = result.issues[0]
    assert (issue.severity, issue.sheet, issue.row, issue.column, issue.header) == (
        "error",
        SHEET,
        2,
        "B",
        "企业名称",
    )
    assert issue.message == "单元格内容过长（10000000 个字符，上限 32767 个）"
    assert issue.value is not None
    assert len(issue.value) <= 51  # the issue does not carry 10 MB
    assert valid_row_numbers(result) == {3}
    assert [r.figures for r in result.rows if r.row == 3] == [{"rd_expense_yuan": 60_000, "employees": 12}]


def test_ten_million_character_cell_in_a_csv_is_an_error_on_that_cell_too() -> None:
    rows = simple_rows(
        [1, "x" * 10_000_000, USCC_A, 2024, 5, 10], [2, "天津乙科技有限公司", USCC_B, 2024, 6, 12]
    )
    result = parse(wb.csv_text(rows).encode("utf-8"))
    assert [(i.severity, i.row, i.column, i.message) for i in result.issues] == [
        ("error", 2, "B", "单元格内容过长（10000000 个字符，上限 32767 个）")
    ]
    assert valid_row_numbers(result) == {3}


def test_a_million_formatted_empty_rows_are_not_rows() -> None:
    """Formatting a column down to row 1,000,000 leaves the three filled rows (speed: benchmarks, not here)."""
    content = wb.formatted_down_to(wb.FORMAT_ROWS, 1_000_000)
    assert wb.member_sizes(content)["xl/worksheets/sheet1.xml"][0] > 50 * MB
    result = parse(content)
    assert [f.row for f in result.firms] == [2, 3, 4]
    assert result.rows == EXPECTED_ROWS
    assert (result.rows_read, result.issues) == (3, [])


def no_header() -> bytes:
    return wb.xlsx_rows([[wb.MESSY_TITLE], ["序号", "名称", "金额"], [1, "天津甲科技有限公司", 100]])


def english_header() -> bytes:
    return wb.xlsx_rows([["Credit code", "Company", "Revenue"], [USCC_A, "Tianjin Jia Tech Co., Ltd.", 100]])


def two_filing_sheets() -> bytes:
    return wb.xlsx({
        "一月": simple_rows([1, "天津甲科技有限公司", USCC_A, 2024, 10, 20]),
        "二月": simple_rows([1, "天津乙科技有限公司", USCC_B, 2024, 30, 40]),
        "填表说明": [["填表说明"], ["1. 金额单位为万元。"]],
    })  # fmt: skip


def no_fiscal_year() -> bytes:
    return wb.xlsx_rows([
        [wb.MESSY_TITLE],
        ["序号", "企业名称", "统一社会信用代码", "营业收入（万元）", "职工总数"],
        [1, "天津甲科技有限公司", USCC_A, "1,234.5", 45],
    ])  # fmt: skip


def test_no_recognisable_header() -> None:
    error = rejected(no_header())
    assert error.message.startswith(f"工作表“{SHEET}”中找不到表头")
    assert "“统一社会信用代码”" in error.message
    assert_actionable(error.message)


def test_english_header_is_not_guessed() -> None:
    error = rejected(english_header())
    assert error.message.startswith(f"工作表“{SHEET}”中找不到表头")
    assert "中文" in error.message
    assert "统一社会信用代码" in error.message
    assert_actionable(error.message)


def test_two_filing_sheets_are_listed_then_one_is_chosen() -> None:
    content = two_filing_sheets()
    error = rejected(content)
    assert "一月、二月" in error.message
    assert "填表说明" not in error.message
    assert "请指定要导入的工作表" in error.message
    assert error.context == {"sheets": ["一月", "二月"]}
    assert_actionable(error.message)

    chosen = parse(content, sheet="二月")
    assert chosen.sheet == "二月"
    assert chosen.rows == [FilingRow(2, 2024, USCC_B, {"rd_expense_yuan": 300_000, "employees": 40})]

    missing = rejected(content, sheet="三月")
    assert missing.message == "工作簿中没有名为“三月”的工作表（有：一月、二月、填表说明）"


def test_formulas_are_read_as_their_cached_values_and_flagged() -> None:
    rows: list[list[wb.Value]] = [
        [
            "统一社会信用代码",
            "企业名称",
            "会计年度",
            "研发费用（万元）",
            "营业收入（万元）",
            "职工总数",
            "科技人员数",
        ],
        [USCC_A, "天津甲科技有限公司", 2024, 50, None, 30, None],
        [USCC_B, "天津乙科技有限公司", 2024, 7, None, 12, 4],
    ]
    # E2's cached result is stale on purpose (=D2*2 would give 100): the cache is read, nothing is evaluated.
    formulas: dict[str, tuple[str, wb.Value]] = {
        "E2": ("=D2*2", 120),
        "G2": ("=ROUND(F2*0.3,0)", 9),
        "E3": ("=D3*10", 70),
    }
    result = parse(wb.xlsx_with_formulas(rows, formulas))
    assert result.rows == [
        FilingRow(2, 2024, USCC_A, {"rd_expense_yuan": 500_000, "revenue_yuan": 1_200_000, "employees": 30, "tech_staff": 9}),
        FilingRow(3, 2024, USCC_B, {"rd_expense_yuan": 70_000, "revenue_yuan": 700_000, "employees": 12, "tech_staff": 4}),
    ]  # fmt: skip
    assert sorted((i.severity, i.row, i.column, i.message) for i in result.issues) == [
        ("warning", 2, "E", FORMULA_WARNING), ("warning", 2, "G", FORMULA_WARNING), ("warning", 3, "E", FORMULA_WARNING),
    ]  # fmt: skip
    assert valid_row_numbers(result) == {2, 3}  # warnings do not block


def test_no_fiscal_year_anywhere_then_given() -> None:
    error = rejected(no_fiscal_year())
    assert "会计年度" in error.message
    assert f"（标题为“{wb.MESSY_TITLE}”）" in error.message
    assert_actionable(error.message)

    result = parse(no_fiscal_year(), fiscal_year=2024)
    assert result.rows == [FilingRow(3, 2024, USCC_A, {"revenue_yuan": 12_345_000, "employees": 45})]
    assert result.issues == []


REJECTIONS = [
    pytest.param(wb.png_image, DEFAULT_LIMITS, None, id="png"),
    pytest.param(wb.random_binary, DEFAULT_LIMITS, None, id="random-binary"),
    pytest.param(wb.encrypted_workbook, DEFAULT_LIMITS, None, id="encrypted"),
    pytest.param(one_and_a_half_megabytes, Limits(max_bytes=1 * MB), None, id="max-bytes"),
    pytest.param(no_header, DEFAULT_LIMITS, None, id="no-header"),
    pytest.param(english_header, DEFAULT_LIMITS, None, id="english-header"),
    pytest.param(two_filing_sheets, DEFAULT_LIMITS, None, id="two-sheets"),
    pytest.param(two_filing_sheets, DEFAULT_LIMITS, "三月", id="unknown-sheet"),
    pytest.param(no_fiscal_year, DEFAULT_LIMITS, None, id="no-fiscal-year"),
    pytest.param(
        lambda: wb.zip_bomb_xlsx(simple_rows(), 4 * MB), DEFAULT_LIMITS, None, id="zip-bomb"
    ),
    pytest.param(
        lambda: b"", DEFAULT_LIMITS, None, id="empty-file"
    ),
    pytest.param(
        wb.word_document, DEFAULT_LIMITS, None, id="docx"
    ),
    pytest.param(
        wb.corrupt_ole2, DEFAULT_LIMITS, None, id="corrupt-ole2"
    ),
]  # fmt: skip


@pytest.mark.parametrize(("build", "limits", "sheet"), REJECTIONS)
def test_every_rejection_is_chinese_and_says_what_to_do(
    build: Callable[[], bytes], limits: Limits, sheet: str | None
) -> None:
    error = rejected(build(), limits=limits, sheet=sheet)
    assert_actionable(error.message)


# -- 5. cells that once slipped through: each was a bug found by these tests ----------------------------------


def test_firm_whose_name_contains_a_total_word_is_imported() -> None:
    result = parse(wb.xlsx_rows(simple_rows([1, "天津联合计算科技有限公司", USCC_A, 2024, 10, 20])))
    assert [f.row for f in result.firms] == [2]
    assert result.rows == [FilingRow(2, 2024, USCC_A, {"rd_expense_yuan": 100_000, "employees": 20})]


def test_template_rows_with_only_a_serial_number_are_read_past() -> None:
    result = parse(wb.xlsx_rows(simple_rows([1, "天津甲科技有限公司", USCC_A, 2024, 10, 20], [2], [3], [4])))
    assert result.issues == []
    assert (result.rows_read, result.rows_skipped) == (1, 3)


def test_wu_in_numeric_columns_means_not_given() -> None:
    result = parse(wb.xlsx_rows(simple_rows([1, "天津甲科技有限公司", USCC_A, 2024, "无", "无"])))
    assert result.issues == []
    assert [f.row for f in result.firms] == [2]
    assert result.rows == []


def test_boolean_cell_in_a_money_column_is_an_error() -> None:
    result = parse(wb.xlsx_rows(simple_rows([1, "天津甲科技有限公司", USCC_A, 2024, True, 20])))
    issue = the_issue(result, row=2, field="rd_expense_yuan")
    assert (issue.severity, issue.column) == ("error", "E")
    assert valid_row_numbers(result) == set()


@pytest.mark.parametrize("text", ["inf", "1e400"])
def test_infinite_amount_is_a_cell_issue_not_a_crash(text: str) -> None:
    result = parse(wb.xlsx_rows(simple_rows([1, "天津甲科技有限公司", USCC_A, 2024, text, 20])))
    issue = the_issue(result, row=2, field="rd_expense_yuan")
    assert (issue.severity, issue.column, issue.value) == ("error", "E", text)


def test_ratio_columns_do_not_overwrite_amounts() -> None:
    rows: list[list[wb.Value]] = [
        [
            "统一社会信用代码",
            "会计年度",
            "营业收入（万元）",
            "研发费用（万元）",
            "科技人员数",
            "研发费用占营业收入比例（%）",
            "科技人员占比",
        ],
        [USCC_A, 2024, 100, 5, 3, "5%", "30%"],
    ]
    result = parse(wb.xlsx_rows(rows))
    assert result.rows == [
        FilingRow(2, 2024, USCC_A, {"revenue_yuan": 1_000_000, "rd_expense_yuan": 50_000, "tech_staff": 3})
    ]
    assert {(i.column, i.message) for i in result.issues} == {
        ("F", "未识别的列“研发费用占营业收入比例（%）”，该列未导入"),
        ("G", "未识别的列“科技人员占比”，该列未导入"),
    }


def test_percent_sign_in_an_amount_cell_is_an_error() -> None:
    result = parse(wb.xlsx_rows(simple_rows([1, "天津甲科技有限公司", USCC_A, 2024, "5%", 20])))
    issue = the_issue(result, row=2, field="rd_expense_yuan")
    assert (issue.severity, issue.column, issue.value) == ("error", "E", "5%")


def test_two_columns_for_one_field_are_reported() -> None:
    rows: list[list[wb.Value]] = [
        ["统一社会信用代码", "会计年度", "营业收入（万元）", "主营业务收入（万元）"],
        [USCC_A, 2024, 100, 80],
    ]
    result = parse(wb.xlsx_rows(rows))
    assert any("营业收入（万元）" in i.message and "主营业务收入（万元）" in i.message for i in result.issues)


@pytest.mark.parametrize(
    ("header", "yuan"), [("营业收入（百万元）", 2_000_000), ("营业收入（亿元）", 200_000_000)]
)
def test_larger_money_units(header: str, yuan: int) -> None:
    result = parse(wb.xlsx_rows([["统一社会信用代码", "会计年度", header], [USCC_A, 2024, 2]]))
    assert result.rows == [FilingRow(2, 2024, USCC_A, {"revenue_yuan": yuan})]


def test_date_typed_as_the_number_20190305() -> None:
    rows: list[list[wb.Value]] = [["统一社会信用代码", "会计年度", "注册日期"], [USCC_A, 2024, 20190305]]
    result = parse(wb.xlsx_rows(rows))
    assert result.issues == []
    assert result.firms[0].identity == {"registered_on": date(2019, 3, 5)}


def test_bare_year_number_in_a_date_column_is_an_error() -> None:
    rows: list[list[wb.Value]] = [["统一社会信用代码", "会计年度", "注册日期"], [USCC_A, 2024, 2019]]
    result = parse(wb.xlsx_rows(rows))
    issue = the_issue(result, row=2, field="registered_on")
    assert (issue.severity, issue.column, issue.value) == ("error", "C", "2019")


def test_merged_cell_in_the_body_applies_to_every_row_it_covers() -> None:
    rows: list[list[wb.Value]] = [
        ["统一社会信用代码", "会计年度", "审查单位", "职工总数"],
        [USCC_A, 2024, "静海区科技局", 10],
        [USCC_B, 2024, None, 20],
    ]
    result = parse(wb.xlsx({SHEET: rows}, {SHEET: ["C2:C3"]}))
    assert [f.identity.get("bureau") for f in result.firms] == ["jh", "jh"]


def test_blank_fiscal_year_cell_is_one_error_on_that_cell() -> None:
    result = parse(wb.xlsx_rows(simple_rows([1, "天津甲科技有限公司", USCC_A, None, 10, 20])))
    assert [(i.severity, i.row, i.column, i.field) for i in result.issues] == [
        ("error", 2, "D", "fiscal_year")
    ]


def test_formula_without_a_cached_result_is_an_error() -> None:
    result = parse(wb.xlsx_rows(simple_rows([1, "天津甲科技有限公司", USCC_A, 2024, "=2+3", 20])))
    formula = [i for i in result.issues if (i.row, i.column) == (2, "E")]
    assert len(formula) == 1
    assert formula[0].severity == "error"
    assert "已按文件中保存的计算结果导入" not in formula[0].message


def test_reading_a_csv_leaves_the_csv_module_alone() -> None:
    before = csv.field_size_limit()
    csv.field_size_limit(1_000_000)
    try:
        parse(wb.csv_file(simple_rows([1, "天津甲科技有限公司", USCC_A, 2024, 10, 20]), "utf-8"))
        assert csv.field_size_limit() == 1_000_000
    finally:
        csv.field_size_limit(before)


def test_a_figure_merged_down_over_two_firms_is_an_error_on_the_covered_row() -> None:
    rows: list[list[wb.Value]] = [
        ["统一社会信用代码", "会计年度", "职工总数"],
        [USCC_A, 2024, 10],
        [USCC_B, 2024, None],
    ]
    result = parse(wb.xlsx({SHEET: rows}, {SHEET: ["C2:C3"]}))
    issue = the_issue(result, row=3, field="employees")
    assert (issue.severity, issue.column) == ("error", "C")
    assert "第 2 行合并" in issue.message
    assert valid_row_numbers(result) == {2}


def test_a_dated_column_and_the_plain_one_disagreeing_is_an_error() -> None:
    header = ["统一社会信用代码", "会计年度", "营业收入（万元）", "2024年营业收入（万元）"]
    agree = parse(wb.xlsx_rows([header, [USCC_A, 2024, 100, 100]]))
    assert agree.issues == []
    assert agree.rows == [FilingRow(2, 2024, USCC_A, {"revenue_yuan": 1_000_000})]

    differ = parse(wb.xlsx_rows([header, [USCC_A, 2024, 100, 90]]))
    issue = the_issue(differ, row=2, field="revenue_yuan")
    assert (issue.severity, issue.column) == ("error", "D")
    assert "营业收入（万元）" in issue.message
    assert valid_row_numbers(differ) == set()


@pytest.mark.parametrize(("text", "yuan"), [("2亿", 200_000_000), ("3百万元", 3_000_000), ("20万", 200_000)])
def test_units_written_in_the_cell(text: str, yuan: int) -> None:
    result = parse(wb.xlsx_rows([["统一社会信用代码", "会计年度", "营业收入（万元）"], [USCC_A, 2024, text]]))
    assert result.rows == [FilingRow(2, 2024, USCC_A, {"revenue_yuan": yuan})]


def test_amounts_beyond_any_firm_are_an_error_not_an_overflow() -> None:
    result = parse(wb.xlsx_rows([["统一社会信用代码", "会计年度", "营业收入（万元）", "职工总数"],
                                 [USCC_A, 2024, 1e12, 10**12]]))  # fmt: skip
    assert sorted((i.column, i.message) for i in result.errors) == [
        ("C", "金额过大（1000000000000），请核对单位"), ("D", "数值过大（1000000000000）"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "header", ["高企认定专家评审总分", "专家评审总分（分）", "高企评审总分", "创新能力评价总分"]
)
def test_the_experts_hte_total_is_read_under_the_headers_bureaus_write(header: str) -> None:
    result = parse(wb.xlsx_rows([["统一社会信用代码", "会计年度", header], [USCC_A, 2024, 71]]))
    assert result.issues == []
    assert result.rows == [FilingRow(2, 2024, USCC_A, {"hte_score_total": 71})]


@pytest.mark.parametrize("value", [101, "101"])
def test_an_hte_total_above_100_is_an_error_on_its_cell_not_a_database_refusal(value: wb.Value) -> None:
    rows: list[list[wb.Value]] = [["统一社会信用代码", "会计年度", "高企认定专家评审总分", "职工总数"],
                                  [USCC_A, 2024, value, 10]]  # fmt: skip
    result = parse(wb.xlsx_rows(rows))
    issue = the_issue(result, row=2, field="hte_score_total")
    assert (issue.severity, issue.column, issue.message) == ("error", "C", "不能大于 100（101）")
    assert valid_row_numbers(result) == set()

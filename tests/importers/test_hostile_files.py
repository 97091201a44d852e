"""Files that once got past tidu's defences or were misread, through parse_filings: zips that lie
about their sizes, workbooks of too many sheets, a space far away counted as a million rows, text
encodings taken for binary. (How much memory each takes is measured in test_memory_bounds.)
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from importers.annotate import annotate
from importers.errors import ImportRejected
from importers.filings import ImportResult
from importers.limits import Limits
from importers.workbook import RESAVE, read_workbook
from tests.importers import hostile as h
from tests.importers import workbooks as wb
from tests.importers.test_filings import assert_actionable, parse, rejected

FIRM_ROWS = [2, 3, 4, 5]
UNREADABLE_ENCODING = "无法识别文件编码：请另存为 UTF-8、GBK 或 UTF-16 编码的 CSV，或另存为 Excel 文件"


def assert_the_four_firms(result: ImportResult) -> None:
    assert [f.row for f in result.firms] == FIRM_ROWS
    assert [(r.row, r.figures) for r in result.rows] == [
        (n + 1, {"rd_expense_yuan": (n + 4) * 10_000, "employees": 2 * (n + 4)}) for n in range(1, 5)
    ]
    assert (result.rows_read, result.issues) == (4, [])


# -- 1. zips that lie about their sizes -----------------------------------------------------------------


def test_a_member_that_expands_beyond_its_declared_size_is_refused_as_it_expands() -> None:
    # Declared 1 KB, holds 16 MB of rows: ratio and total of the declared sizes look harmless.
    content = h.lying_xlsx(16)
    assert wb.member_sizes(content)["xl/worksheets/sheet1.xml"][0] == 1024
    error = rejected(content)
    assert error.message == (
        "工作簿内部文件 xl/worksheets/sheet1.xml 解压后超过文件中记录的大小（1 KB），"
        f"疑似压缩炸弹或文件已损坏：{RESAVE}"
    )
    assert_actionable(error.message)


def test_a_member_that_expands_to_less_than_its_declared_size_is_refused_as_damaged() -> None:
    honest = wb.xlsx_rows(h.filing_rows())
    expanded, _ = wb.member_sizes(honest)["xl/worksheets/sheet1.xml"]
    error = rejected(h.understate(honest, "xl/worksheets/sheet1.xml", expanded + 1))
    assert (
        error.message == f"工作簿内部文件 xl/worksheets/sheet1.xml 已损坏（解压后的大小与记录不符）：{RESAVE}"
    )


def test_shared_strings_that_understate_their_size_are_refused_too() -> None:
    # Read whole when the workbook is opened: a lie here would be read to its end. (Declared 2 MB,
    # more than the first piece expanded, so the lie shows only further on.)
    content = h.understate(h.shared_strings_xlsx([h.text_items(3)]), "xl/sharedStrings.xml", 2 * h.MB)
    assert rejected(content).message.startswith(
        "工作簿内部文件 xl/sharedStrings.xml 解压后超过文件中记录的大小（2 MB），疑似压缩炸弹"
    )


def test_two_members_of_the_same_name_are_refused_as_damaged() -> None:
    # Readers disagree on which of the two they use: the one checked might not be the one read.
    content = wb.xlsx_rows([h.FILING_HEADER, *h.FIRMS])
    members = h.members_of(content)
    sheet = next(m for m in members if m.name == "xl/worksheets/sheet1.xml")
    error = rejected(h.zip_of([*members, sheet]))
    assert error.message == f"工作簿内部文件 xl/worksheets/sheet1.xml 出现了两次，文件已损坏：{RESAVE}"


def test_the_annotated_workbook_checks_expanded_sizes_too() -> None:
    with pytest.raises(ImportRejected) as caught:
        annotate(h.lying_xlsx(16), [])
    assert caught.value.message.startswith(
        "工作簿内部文件 xl/worksheets/sheet1.xml 解压后超过文件中记录的大小"
    )


def test_a_zip_bomb_inside_a_workbook_is_never_expanded() -> None:
    # An embedded object that is itself a zip of 1 GB of zeros: tidu never opens embedded files.
    content = h.nested_bomb_xlsx()
    assert len(content) < 2 * h.MB
    assert_the_four_firms(parse(content))


def test_shared_strings_beyond_their_limit_are_refused_before_they_are_read() -> None:
    content = h.shared_strings_xlsx([h.text_items(3)])
    expanded, compressed = wb.member_sizes(content)["xl/sharedStrings.xml"]
    assert expanded / compressed < 120  # no ratio check stops it
    error = rejected(content, limits=Limits(max_shared_strings=1 * h.MB))
    assert error.message == (
        "工作簿中的文字内容过多（解压后 3 MB，上限 1 MB）：请删去不需要导入的工作表，或拆分后重新导入"
    )
    assert error.context == {"limit": 1 * h.MB}


@pytest.mark.parametrize("build", [h.merged_ranges, h.xls_merged_ranges], ids=["xlsx", "xls"])
def test_more_merged_ranges_than_the_limit_are_refused_before_the_sheet_is_read(
    build: Callable[[int], bytes],
) -> None:
    # A million merged ranges (a 4 MB file) took 300 MB to read; a real sheet has dozens.
    error = rejected(build(20), limits=Limits(max_merged=10))
    assert (
        error.message == "工作表“申报表”中的合并单元格过多（20 处，上限 10 处）：请取消不需要的合并后重新导入"
    )
    assert error.context == {"limit": 10}


# -- 2. too many sheets ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "count"),
    [
        (lambda: h.many_sheets_xlsx(590), 590),
        (lambda: h.xls_sheets(60), 60),
        (lambda: h.ods_sheets(60), 60),
    ],
    ids=["xlsx-590", "xls-60", "ods-60"],
)
def test_more_sheets_than_the_limit_are_refused_without_listing_them(
    build: Callable[[], bytes], count: int
) -> None:
    error = rejected(build())
    assert error.message == f"工作簿含 {count} 个工作表，超过上限 50 个：请只保留要导入的工作表后重新导入"
    assert error.context == {"limit": 50}
    assert "表1" not in error.message
    assert_actionable(error.message)


def test_messages_name_at_most_five_sheets() -> None:
    sheets = {f"表{n}": h.filing_rows() for n in range(1, 8)} | {f"说明{n}": [["说明"]] for n in range(1, 6)}
    content = wb.xlsx(sheets)
    several = rejected(content)
    assert (
        several.message
        == "工作簿中有 7 个工作表像申报表（表1、表2、表3、表4、表5 等 7 个）：请指定要导入的工作表"
    )
    assert several.context == {"sheets": [f"表{n}" for n in range(1, 8)]}
    missing = rejected(content, sheet="三月")
    assert missing.message == "工作簿中没有名为“三月”的工作表（有：表1、表2、表3、表4、表5 等 12 个）"


# -- 3. blank and whitespace cells far away ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: h.far_shared_space("F1048576"),
        lambda: h.far_space("F1048576"),
        lambda: h.far_space("KO5"),  # one column past the 300-column limit
        lambda: h.ods_with(
            '<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated'
            '="5"/><table:table-cell office:value-type="string"><text:p> </text:p></table:table-cell></table:table-row>'
        ),
    ],
    ids=[
        "xlsx-shared-space-F1048576",
        "xlsx-inline-space-F1048576",
        "xlsx-space-KO5",
        "ods-spaces-down-column-F",
    ],
)
def test_a_space_far_away_is_neither_a_row_nor_a_column(build: Callable[[], bytes]) -> None:
    assert_the_four_firms(parse(build()))


def test_a_tiny_xls_held_in_the_compound_files_mini_stream_is_read() -> None:
    # Its sheet is measured (and a blank cell set aside) through the 64-byte mini sectors.
    assert_the_four_firms(parse(h.mini_stream_xls()))


def test_whitespace_rows_at_the_end_of_a_csv_are_not_rows() -> None:
    content = wb.csv_text([h.FILING_HEADER, *h.FIRMS]).encode() + b" , , \r\n\t,,\r\n \r\n" * 3
    assert_the_four_firms(parse(content, limits=Limits(max_rows=4)))


def test_a_csv_line_of_endless_delimiters_is_refused_before_it_is_split() -> None:
    # 48 MB of commas made the reader build a row of 48 million empty cells (670 MB) and then ask
    # for a fiscal year; a CSV's width was never checked at all.
    content = "统一社会信用代码,企业名称\r\n".encode() + b"," * 200_000 + b"\r\n"
    error = rejected(content)
    assert error.message == "工作表“CSV”的列数超过 300 列"


def test_the_row_limit_counts_rows_with_content() -> None:
    spaced: list[list[wb.Value]] = [h.FILING_HEADER]
    for firm in h.FIRMS:
        spaced += [list(firm), *[[] for _ in range(20)], [None, " "]]
    result = parse(wb.xlsx_rows(spaced), limits=Limits(max_rows=4))
    assert [f.row for f in result.firms] == [2, 24, 46, 68]
    assert result.rows_read == 4

    error = rejected(wb.xlsx_rows([h.FILING_HEADER, *h.FIRMS, [5, "天津戊科技有限公司", wb.USCC_E, 2024, 1, 1]]),
                     limits=Limits(max_rows=4))  # fmt: skip
    assert error.message == f"工作表“{wb.SHEET}”数据行过多（5 行，上限 4 行）"


# -- 5. encodings --------------------------------------------------------------------------------------------------

UNICODE = ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"]


@pytest.mark.parametrize("encoding", UNICODE)
def test_csv_in_any_unicode_encoding_is_read_with_or_without_a_byte_order_mark(encoding: str) -> None:
    content = wb.csv_file([h.FILING_HEADER, *h.FIRMS], encoding)
    assert read_workbook(content).encoding == encoding
    assert_the_four_firms(parse(content))


def test_big5_is_not_taken_for_gbk() -> None:
    # Big5 bytes decode as GBK without an error, into characters nobody writes: refused, saying why.
    rows: list[list[wb.Value]] = [["序號", "企業名稱", "統一社會信用代碼", "會計年度", "研發費用（萬元）", "職工總數"],
            [1, "天津甲科技有限公司", wb.USCC_A, 2024, 5, 10]]  # fmt: skip
    content = wb.csv_file(rows, "big5")
    content.decode("gb18030")  # no error: only the content tells them apart
    error = rejected(content)
    assert error.message == UNREADABLE_ENCODING
    assert_actionable(error.message)


def test_gbk_with_rare_characters_still_reads() -> None:
    rows: list[list[wb.Value]] = [h.FILING_HEADER, [1, "天津堃喆燊犇科技有限公司", wb.USCC_A, 2024, 5, 10]]
    content = wb.csv_file(rows, "gbk")
    assert read_workbook(content).encoding == "gb18030"
    assert parse(content).firms[0].identity["name"] == "天津堃喆燊犇科技有限公司"

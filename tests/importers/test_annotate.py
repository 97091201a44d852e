"""The annotated workbook: real files written, annotated, and read back with openpyxl and calamine."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from typing import Any

import openpyxl  # type: ignore[import-untyped, unused-ignore]
import pandas as pd
import pytest
import xlwt  # type: ignore[import-untyped, unused-ignore]
from openpyxl.comments import Comment  # type: ignore[import-untyped, unused-ignore]
from openpyxl.styles import Font, PatternFill  # type: ignore[import-untyped, unused-ignore]
from openpyxl.worksheet.datavalidation import DataValidation  # type: ignore[import-untyped, unused-ignore]

from importers import annotate as annotate_module
from importers.annotate import annotate, safe_text
from importers.errors import ImportRejected
from importers.filings import Issue, Reference, parse_filings
from importers.workbook import ISSUES_SHEET, read_workbook, sniff

HEADERS = ["序号", "统一社会信用代码", "企业名称", "职工总数", "上年营业收入（万元）"]
ISSUE_HEADERS = ("严重程度", "工作表", "行", "列", "表头", "原值", "说明")


def user_xlsx() -> bytes:
    """A bureau's workbook: a merged title, a styled header, a user comment, a formula, a second sheet."""
    book = openpyxl.Workbook()
    ws: Any = book.active
    ws.title = "申报表"
    ws["A1"] = "2024年度静海区雏鹰企业申报汇总表"
    ws.merge_cells("A1:E1")
    ws.append(HEADERS)
    for cell in ws[2]:
        cell.font = Font(bold=True, color="0000FF")
    ws.append([1, "91120116592938202F", "天津甲科技有限公司", "十二", 1234.5])
    ws.append([2, "91120118MA06R1D13A", "天津乙科技有限公司", 30, -5])
    ws.append([3, "bad", '=HYPERLINK("http://x")', 8, "=E3*2"])
    ws["E3"].number_format = "#,##0.00"
    ws["C3"].comment = Comment("请核对名称", "张三")
    ws["C4"].fill = PatternFill(fill_type="solid", start_color="00B050", end_color="00B050")
    validation = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0")
    validation.add("D3:D100")
    ws.add_data_validation(validation)
    book.create_sheet("说明")["A1"] = "注：金额单位为万元"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


ISSUES = [
    Issue("error", "申报表", 3, "D", "职工总数", "十二", "“十二”不是数字", "employees"),
    Issue("warning", "申报表", 3, "C", "企业名称", "天津甲科技有限公司", "名称与登记名称不一致", "name"),
    Issue("error", "申报表", 4, "E", "上年营业收入（万元）", "-5", "金额不能为负数（-5）", "revenue_yuan"),
    Issue("warning", "申报表", 4, "E", "上年营业收入（万元）", "-5", "请核对金额", "revenue_yuan"),
    Issue("error", "申报表", 5, "B", "统一社会信用代码", "bad", "统一社会信用代码“bad”无效", "uscc"),
    Issue(
        "error", "申报表", 4, None, "科技人员数", "40", "科技人员数（40）不能超过职工总数（30）", "tech_staff"
    ),
    Issue("warning", "申报表", 2, "A", "序号", None, "未识别的列“序号”，该列未导入"),
    Issue("warning", "申报表", None, None, None, None, "另有 3 个公式单元格，均按保存的计算结果导入"),
    Issue("error", "附表", 7, "C", "企业名称", "=1+1", "工作表不在文件中"),
    Issue("error", "申报表", 1, "C", None, None, "标题行中的问题"),
]


def load(content: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(content))


def fill_of(cell: Any) -> str | None:
    return str(cell.fill.fgColor.rgb)[-6:] if cell.fill.fill_type == "solid" else None


def issue_rows(book: Any) -> list[tuple[Any, ...]]:
    return list(book[ISSUES_SHEET].iter_rows(min_row=2, values_only=True))


def sheet_xml(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/sheet")}


# -- .xlsx: the user's own workbook ----------------------------------------------------------------------


def test_cells_named_by_issues_are_filled_and_commented() -> None:
    book = load(annotate(user_xlsx(), ISSUES))
    ws = book["申报表"]
    assert fill_of(ws["D3"]) == "FFC7CE"
    assert ws["D3"].comment.text == "错误：“十二”不是数字"
    assert ws["D3"].comment.author == "tidu"
    assert fill_of(ws["C3"]) == "FFEB9C"
    assert fill_of(ws["B5"]) == "FFC7CE"
    assert fill_of(ws["A2"]) == "FFEB9C"  # a header issue lands on the header cell
    assert fill_of(ws["D4"]) is None
    assert ws["D4"].comment is None


def test_several_issues_on_one_cell_make_one_comment_and_the_error_wins() -> None:
    ws = load(annotate(user_xlsx(), ISSUES))["申报表"]
    assert fill_of(ws["E4"]) == "FFC7CE"
    assert ws["E4"].comment.text == "错误：金额不能为负数（-5）\n警告：请核对金额"


def test_a_users_own_comment_is_kept_below_tidus() -> None:
    ws = load(annotate(user_xlsx(), ISSUES))["申报表"]
    assert ws["C3"].comment.text == "警告：名称与登记名称不一致\n\n【原批注·张三】\n请核对名称"


def test_a_row_issue_goes_on_the_rows_first_cell() -> None:
    ws = load(annotate(user_xlsx(), ISSUES))["申报表"]
    assert fill_of(ws["A4"]) == "FFC7CE"
    assert ws["A4"].comment.text == "错误（本行）：科技人员数（40）不能超过职工总数（30）"


def test_an_issue_inside_a_merged_range_lands_on_its_top_left_cell() -> None:
    ws = load(annotate(user_xlsx(), ISSUES))["申报表"]
    assert fill_of(ws["A1"]) == "FFC7CE"
    assert ws["A1"].comment.text == "错误：标题行中的问题"
    assert "A1:E1" in {str(r) for r in ws.merged_cells.ranges}


def test_the_users_values_formats_and_sheets_are_kept() -> None:
    book = load(annotate(user_xlsx(), ISSUES))
    assert book.sheetnames == ["申报表", "说明", ISSUES_SHEET]
    ws = book["申报表"]
    assert [c.value for c in ws[2]] == HEADERS
    assert ws["A2"].font.bold
    assert ws["B2"].font.color.rgb == "000000FF"
    assert ws["E3"].value == 1234.5
    assert ws["E3"].number_format == "#,##0.00"
    assert ws["E5"].value == "=E3*2"  # the user's own formula stays a formula
    assert fill_of(ws["C4"]) == "00B050"
    assert [str(v.sqref) for v in ws.data_validations.dataValidation] == ["D3:D100"]
    assert book["说明"]["A1"].value == "注：金额单位为万元"


def test_the_issue_sheet_lists_every_issue_in_chinese() -> None:
    book = load(annotate(user_xlsx(), ISSUES))
    ws = book[ISSUES_SHEET]
    assert tuple(c.value for c in ws[1]) == ISSUE_HEADERS
    rows = issue_rows(book)
    assert len(rows) == len(ISSUES)
    assert rows[0] == (
        "警告",
        "申报表",
        None,
        None,
        None,
        None,
        "另有 3 个公式单元格，均按保存的计算结果导入",
    )
    assert rows[1] == ("错误", "申报表", 1, "C", None, None, "标题行中的问题")
    assert rows[2] == ("警告", "申报表", 2, "A", "序号", None, "未识别的列“序号”，该列未导入")
    assert ("错误", "申报表", 3, "D", "职工总数", "十二", "“十二”不是数字") in rows
    row_issue = next(r for r in rows if r[3] is None and r[2] == 4)
    assert row_issue == (
        "错误",
        "申报表",
        4,
        None,
        "科技人员数",
        "40",
        "科技人员数（40）不能超过职工总数（30）",
    )
    assert rows[-1] == (
        "错误",
        "附表",
        7,
        "C",
        "企业名称",
        "'=1+1",
        "工作表不在文件中",
    )  # listed, not painted
    assert [r[2] or 0 for r in rows[:-1]] == sorted(r[2] or 0 for r in rows[:-1])  # in sheet order, by row
    assert {r[0] for r in rows} == {"错误", "警告"}


def test_the_issue_sheet_is_last_opened_first_and_easy_to_use() -> None:
    book = load(annotate(user_xlsx(), ISSUES))
    ws = book[ISSUES_SHEET]
    assert book.sheetnames[-1] == ISSUES_SHEET
    assert book.active.title == ISSUES_SHEET
    assert [s.sheet_view.tabSelected for s in book.worksheets] == [False, False, True]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:G{len(ISSUES) + 1}"
    assert all(c.font.bold for c in ws[1])
    assert fill_of(ws["A1"]) == "DDEBF7"
    assert ws.column_dimensions["G"].width == 70
    assert ws.column_dimensions["E"].width >= 20
    assert fill_of(ws["A2"]) == "FFEB9C"
    assert fill_of(ws["A3"]) == "FFC7CE"
    linked = ws["B3"].hyperlink  # the sheet name links to the painted cell
    assert linked is not None
    assert linked.location == "'申报表'!A1"
    assert ws["B2"].hyperlink is None
    assert ws[f"B{len(ISSUES) + 1}"].hyperlink is None


def test_user_text_in_the_issue_sheet_never_becomes_a_formula() -> None:
    issues = [
        Issue("error", "申报表", 3, "C", "+表头", '=HYPERLINK("http://evil","点我")', "=cmd|' /C calc'!A0"),
        Issue("error", "申报表", 3, "D", "@SUM(1)", "-2+3", "\t=1+1"),
        Issue("warning", "申报表", 3, "E", "x", "\r=1", "ok"),
    ]
    content = annotate(user_xlsx(), issues)
    ws = load(content)[ISSUES_SHEET]
    assert [c.value for c in ws[2]][4:] == [
        "'+表头",
        '\'=HYPERLINK("http://evil","点我")',
        "'=cmd|' /C calc'!A0",
    ]
    assert [c.value for c in ws[3]][4:] == ["'@SUM(1)", "'-2+3", "'\t=1+1"]
    assert ws["F4"].value.startswith("'")  # (XML reads the carriage return back as a line feed)
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    issue_xml = sheet_xml(content)["xl/worksheets/sheet3.xml"]
    assert b"<f>" not in issue_xml
    assert b"<f " not in issue_xml


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+86 22 1234", "'+86 22 1234"),
        ("-cmd", "'-cmd"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("-5", "-5"),
        ("+3.5%", "+3.5%"),
        ("-1,234.5", "-1,234.5"),
        ("-", "-"),
        ("——", "——"),
        ("天津=甲", "天津=甲"),
        ("a\x00b\x1fc", "abc"),
    ],
)
def test_safe_text(text: str, written: str) -> None:
    assert safe_text(text) == written


def test_a_workbook_annotated_before_is_cleaned_first() -> None:
    first = annotate(user_xlsx(), ISSUES)
    second = annotate(first, [Issue("error", "申报表", 4, "D", "职工总数", "30", "职工总数有误")])
    book = load(second)
    assert book.sheetnames.count(ISSUES_SHEET) == 1
    ws = book["申报表"]
    assert fill_of(ws["D3"]) is None
    assert ws["D3"].comment is None
    assert ws["C3"].comment.text == "请核对名称"
    assert ws["C3"].comment.author == "张三"
    assert fill_of(ws["D4"]) == "FFC7CE"
    assert ws["D4"].comment.text == "错误：职工总数有误"
    assert fill_of(ws["C4"]) == "00B050"  # a fill of the user's own stays
    assert issue_rows(book) == [("错误", "申报表", 4, "D", "职工总数", "30", "职工总数有误")]


def test_an_xlsm_comes_back_as_xlsx() -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(user_xlsx())) as source, zipfile.ZipFile(packed, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not really a macro")
    assert sniff(packed.getvalue()) == "xlsm"
    content = annotate(packed.getvalue(), ISSUES[:1])
    assert sniff(content) == "xlsx"
    assert fill_of(load(content)["申报表"]["D3"]) == "FFC7CE"


def test_no_issues_still_gives_the_sheet() -> None:
    book = load(annotate(user_xlsx(), []))
    assert issue_rows(book) == [(None, None, None, None, None, None, "未发现问题")]
    assert all(c.comment is None for row in book["申报表"].iter_rows() for c in row if c.coordinate != "C3")


def test_odd_positions_are_listed_not_painted() -> None:
    issues = [
        Issue("error", "申报表", 0, "A", None, None, "第 0 行"),
        Issue("error", "申报表", 3, "AAAA", None, None, "列超出范围"),
        Issue("error", "申报表", 3, "3", None, None, "列不是字母"),
        Issue("warning", "申报表", 2_000_000, "A", None, None, "行超出范围"),
        Issue("notice", "申报表", None, None, None, "a\x07b", "c\x1bd"),
    ]
    book = load(annotate(user_xlsx(), issues))
    assert len(issue_rows(book)) == 5
    assert ("notice", "申报表", None, None, None, "ab", "cd") in issue_rows(book)
    assert all(
        c.comment is None or c.comment.author != "tidu" for row in book["申报表"].iter_rows() for c in row
    )


def test_the_result_reads_back_with_the_same_values() -> None:
    before = read_workbook(user_xlsx()).sheets[0]
    after = read_workbook(annotate(user_xlsx(), ISSUES))
    assert [g.name for g in after.sheets] == ["申报表", "说明", ISSUES_SHEET]
    assert after.sheets[0].rows[1:4] == before.rows[1:4]


# -- rebuilt workbooks: .xls, .csv, .ods, and .xlsx openpyxl must not open ---------------------------------


def user_xls() -> bytes:
    """A table placed at C3 (not A1), a merged title, numbers, a date and formula-like text."""
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("申报表")
    ws.write_merge(2, 2, 2, 5, "2024年度申报汇总表")
    for j, header in enumerate(["统一社会信用代码", "企业名称", "职工总数", "注册日期"]):
        ws.write(3, 2 + j, header)
    ws.write(4, 2, "91120116592938202F")
    ws.write(4, 3, "=1+1")
    ws.write(4, 4, 12)
    ws.write(4, 5, date(2019, 3, 5), xlwt.easyxf(num_format_str="yyyy-mm-dd"))
    ws.write(5, 2, "bad")
    ws.write(5, 3, "#N/A")
    ws.write(5, 4, "-")
    book.add_sheet("附表").write(0, 0, "备注")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xls_is_rebuilt_with_values_at_their_places() -> None:
    content = annotate(user_xls(), [Issue("error", "申报表", 6, "C", "统一社会信用代码", "bad", "代码无效")])
    assert sniff(content) == "xlsx"
    book = load(content)
    assert book.sheetnames == ["申报表", "附表", ISSUES_SHEET]
    ws = book["申报表"]
    assert ws["C3"].value == "2024年度申报汇总表"
    assert "C3:F3" in {str(r) for r in ws.merged_cells.ranges}
    assert [ws.cell(row=4, column=c).value for c in range(3, 7)] == [
        "统一社会信用代码",
        "企业名称",
        "职工总数",
        "注册日期",
    ]
    assert ws["C5"].value == "91120116592938202F"
    assert ws["E5"].value == 12
    assert ws["F5"].value.date() == date(2019, 3, 5)
    assert ws["D5"].value == "=1+1"
    assert ws["D5"].data_type == "s"
    assert ws["D5"].quotePrefix
    assert ws["D6"].value == "#N/A"
    assert ws["D6"].data_type == "s"
    assert ws["E6"].value == "-"
    assert fill_of(ws["C6"]) == "FFC7CE"
    assert ws["C6"].comment.text == "错误：代码无效"
    assert ws["A1"].value is None
    assert ws["B4"].value is None
    assert book["附表"]["A1"].value == "备注"
    assert all(b"<f>" not in xml for xml in sheet_xml(content).values())


def test_a_rebuilt_workbook_reads_back_as_the_original() -> None:
    before = read_workbook(user_xls()).sheets[0]
    after = read_workbook(annotate(user_xls(), [])).sheets[0]
    assert (after.first_row, after.first_column) == (before.first_row, before.first_column) == (3, 3)
    assert after.rows[1:] == before.rows[1:]


def test_cells_outside_the_rebuilt_grid_and_inside_merges_are_painted_too() -> None:
    issues = [
        Issue("error", "申报表", 5, "H", None, None, "表格右侧的单元格"),
        Issue("error", "申报表", 9, "C", None, None, "表格下方的单元格"),
        Issue("warning", "申报表", 3, "E", None, None, "合并的标题"),
        Issue("error", "申报表", 1, "A", None, None, "表格上方的单元格"),
    ]
    content = annotate(user_xls(), issues)
    book = load(content)
    ws = book["申报表"]
    assert fill_of(ws["H5"]) == "FFC7CE"
    assert ws["H5"].value is None
    assert fill_of(ws["C9"]) == "FFC7CE"
    assert fill_of(ws["A1"]) == "FFC7CE"
    assert fill_of(ws["C3"]) == "FFEB9C"  # E3 lies in the merged title C3:F3
    assert ws["C3"].comment.text == "警告：合并的标题"
    assert ws["C3"].value == "2024年度申报汇总表"
    links = {row[6].value: row[1].hyperlink.location for row in book[ISSUES_SHEET].iter_rows(min_row=2)}
    assert links["合并的标题"] == "'申报表'!C3"
    assert links["表格下方的单元格"] == "'申报表'!C9"
    assert [s.sheet_view.tabSelected for s in book.worksheets] == [False, False, True]
    assert book.active.title == ISSUES_SHEET


def test_a_row_issue_in_a_rebuilt_sheet_goes_on_its_first_column() -> None:
    ws = load(annotate(user_xls(), [Issue("warning", "申报表", 5, None, None, None, "本行重复")]))["申报表"]
    assert fill_of(ws["C5"]) == "FFEB9C"
    assert ws["C5"].comment.text == "警告（本行）：本行重复"


def test_a_gbk_csv_is_rebuilt_and_its_text_stays_text() -> None:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["统一社会信用代码", "企业名称", "职工总数", "备注"])
    writer.writerow(["91120116592938202F", '=HYPERLINK("http://evil")', "-", "+86 22 1234"])
    writer.writerow(["bad", "天津乙", "12", "@SUM(A1)"])
    issues = [
        Issue("error", "CSV", 3, "A", "统一社会信用代码", "bad", "统一社会信用代码“bad”无效"),
        Issue("warning", "CSV", 2, "B", "企业名称", '=HYPERLINK("http://evil")', "名称可疑"),
    ]
    content = annotate(text.getvalue().encode("gbk"), issues)
    book = load(content)
    assert book.sheetnames == ["CSV", ISSUES_SHEET]
    ws = book["CSV"]
    assert [c.value for c in ws[2]] == ["91120116592938202F", '=HYPERLINK("http://evil")', "-", "+86 22 1234"]
    assert [c.data_type for c in ws[2]] == ["s", "s", "s", "s"]
    assert ws["B2"].quotePrefix
    assert ws["D3"].value == "@SUM(A1)"
    assert ws["D3"].quotePrefix
    assert ws["C3"].value == "12"  # CSV cells are text, and stay text
    assert fill_of(ws["A3"]) == "FFC7CE"
    assert fill_of(ws["B2"]) == "FFEB9C"
    assert issue_rows(book)[0] == (
        "警告",
        "CSV",
        2,
        "B",
        "企业名称",
        '\'=HYPERLINK("http://evil")',
        "名称可疑",
    )
    assert all(b"<f>" not in xml for xml in sheet_xml(content).values())


def test_an_ods_is_rebuilt() -> None:
    out = io.BytesIO()
    frame = pd.DataFrame({"统一社会信用代码": ["91120116592938202F", "bad"], "职工总数": [12, 30]})
    frame.to_excel(out, engine="odf", index=False, sheet_name="申报表")
    assert sniff(out.getvalue()) == "ods"
    ws = load(annotate(out.getvalue(), [Issue("error", "申报表", 3, "A", None, "bad", "代码无效")]))["申报表"]
    assert [c.value for c in ws[1]] == ["统一社会信用代码", "职工总数"]
    assert ws["B2"].value == 12
    assert fill_of(ws["A3"]) == "FFC7CE"


def test_xlsx_is_rebuilt_when_openpyxl_would_parse_without_defusedxml(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    ws = load(annotate(user_xlsx(), ISSUES[:1]))["申报表"]
    assert ws["D3"].value == "十二"
    assert fill_of(ws["D3"]) == "FFC7CE"
    assert ws["C3"].comment is None  # rebuilt from values: the user's comment is not read
    assert ws["E5"].data_type != "f"  # a formula comes back as its cached value (none here)


def test_a_very_large_xlsx_is_rebuilt_not_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(annotate_module, "IN_PLACE_MAX_XML", 100)
    ws = load(annotate(user_xlsx(), ISSUES[:1]))["申报表"]
    assert ws["D3"].value == "十二"
    assert fill_of(ws["D3"]) == "FFC7CE"
    assert not ws["B2"].font.bold  # rebuilt: values only


def test_a_broken_xlsx_openpyxl_cannot_open_is_rebuilt_from_calamine(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise KeyError("openpyxl could not read a part")

    with monkeypatch.context() as patched:
        patched.setattr(openpyxl, "load_workbook", refuse)
        content = annotate(user_xlsx(), ISSUES[:1])
    ws = load(content)["申报表"]
    assert ws["D3"].value == "十二"
    assert fill_of(ws["D3"]) == "FFC7CE"


# -- hostile and odd files -------------------------------------------------------------------------------------


def with_entities(content: bytes) -> bytes:
    """The workbook with a billion-laughs entity in its first sheet's XML."""
    entities = (
        '<!DOCTYPE x [<!ENTITY a0 "lol">'
        + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
        + "]>"
    )
    packed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(packed, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = entities.encode() + data.replace(b"<v>1</v>", b"<v>&a9;</v>", 1)
            target.writestr(item, data)
    return packed.getvalue()


def test_entity_expansion_is_refused() -> None:
    with pytest.raises(ImportRejected, match="不安全的 XML"):
        annotate(with_entities(user_xlsx()), ISSUES)


def test_not_a_spreadsheet_is_refused() -> None:
    with pytest.raises(ImportRejected):
        annotate(b"\x00\x01\x02\x03" * 100, ISSUES)
    with pytest.raises(ImportRejected):
        annotate(b"", ISSUES)


def test_a_sheet_name_excel_would_refuse_is_made_safe() -> None:
    text = "统一社会信用代码,企业名称\n91120116592938202F,天津甲\n"
    content = annotate(text.encode("utf-8"), [Issue("error", "CSV", 2, "A", None, None, "m")])
    assert load(content).sheetnames == ["CSV", ISSUES_SHEET]
    assert annotate_module._sheet_title("a/b:c?[d]*", set()) == "a_b_c__d__"
    assert annotate_module._sheet_title("错误清单", set()) == "错误清单_2"
    assert len(annotate_module._sheet_title("长" * 40, {"长" * 31})) <= 31
    assert annotate_module._sheet_title("sheet", {"Sheet"}) == "sheet_2"


def test_merged_ranges_anchor_issues_to_their_top_left_cell() -> None:
    target = annotate_module.Target("s", 1, [(1, 1, 1, 5), (3, 2, 4, 3), (10, 1, 5_000, 1)])
    assert target.anchor(1, 4) == (1, 1)
    assert target.anchor(4, 3) == (3, 2)
    assert target.anchor(4, 4) == (4, 4)
    assert target.anchor(4_321, 1) == (10, 1)  # a tall range, not indexed by row
    assert target.anchor(2, 1) == (2, 1)


def test_an_old_issue_sheet_is_dropped_when_the_workbook_is_rebuilt(monkeypatch: pytest.MonkeyPatch) -> None:
    first = annotate(user_xlsx(), ISSUES)
    monkeypatch.setattr(annotate_module, "IN_PLACE_MAX_XML", 100)
    book = load(annotate(first, ISSUES[:1]))
    assert book.sheetnames == ["申报表", "说明", ISSUES_SHEET]
    assert len(issue_rows(book)) == 1


def test_dates_survive_a_rebuild() -> None:
    ws = load(annotate(user_xls(), []))["申报表"]
    assert isinstance(ws["F5"].value, datetime)
    assert ws["F5"].value.date() == date(2019, 3, 5)


def test_an_annotated_workbook_imports_again_without_naming_its_sheet() -> None:
    book = openpyxl.Workbook()
    ws: Any = book.active
    ws.title = "申报表"
    ws.append(["统一社会信用代码", "企业名称", "会计年度", "职工总数"])
    ws.append(["91120116592938202F", "天津甲", 2024, 12])
    ws.append(["91120118MA06R1D13B", "天津乙", 2024, 30])
    out = io.BytesIO()
    book.save(out)
    reference = Reference(bureaus=(), zones={}, districts={})
    first = parse_filings(out.getvalue(), reference)
    assert [i.row for i in first.errors] == [3]
    again = parse_filings(annotate(out.getvalue(), first.issues), reference)
    assert again.sheet == "申报表"

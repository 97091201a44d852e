"""The blank filing template: its layout, notes and validations, and that what it holds imports cleanly."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import openpyxl  # type: ignore[import-untyped, unused-ignore]
import pytest

from importers.filings import BureauRef, ImportResult, Reference, parse_filings
from importers.headers import load_spec, match_header
from importers.template import (
    DATA_SHEET,
    blank_template,
    choice_forms,
    prize_choices,
    template_header,
)
from importers.workbook import GUIDE_SHEET, LISTS_SHEET

BUREAUS = [("120118", "静海区科技局"), ("120116", "滨海新区科技局"), ("teda", "经开区科技局")]
REFERENCE = Reference(
    bureaus=(
        BureauRef("120118", "静海区科技局", "120118", "静海区", "district"),
        BureauRef("120116", "滨海新区科技局", "120116", "滨海新区", "district"),
        BureauRef("teda", "经开区科技局", "120116", "滨海新区", "zone"),
    ),
    zones={"teda": "经开区"},
    districts={"120118": "静海区", "120116": "滨海新区"},
)
SPEC = load_spec()


def load(content: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(content))


def validations(ws: Any) -> dict[str, Any]:
    """Each validation by the header of the column it covers."""
    headers = {c.column_letter: c.value for c in ws[2]}
    found = {}
    for validation in ws.data_validations.dataValidation:
        ref = str(validation.sqref)
        letter = ref.split(":")[0].rstrip("0123456789")
        assert ref == f"{letter}3:{letter}1048576"
        found[headers[letter]] = validation
    return found


def test_sheets_title_headers_and_frozen_panes() -> None:
    book = load(blank_template(BUREAUS, 2024))
    assert book.sheetnames == [DATA_SHEET, GUIDE_SHEET]
    assert book.active.title == DATA_SHEET
    ws = book[DATA_SHEET]
    assert ws["A1"].value == "科技型企业梯度培育申报表（2024 会计年度）"
    last = openpyxl.utils.get_column_letter(len(SPEC.columns))
    assert f"A1:{last}1" in {str(r) for r in ws.merged_cells.ranges}
    headers = [c.value for c in ws[2]]
    assert headers == [template_header(c) for c in SPEC.columns]
    assert headers[:7] == [
        "统一社会信用代码",
        "企业名称",
        "审查单位",
        "所属区",
        "功能区",
        "注册日期",
        "会计年度",
    ]
    assert "上年营业收入（万元）" in headers
    assert "单笔单家创投最大额（万元）" in headers
    assert all(
        h.endswith("（万元）") == (c.type == "money") for h, c in zip(headers, SPEC.columns, strict=True)
    )
    assert ws.freeze_panes == "C3"
    assert ws.max_row == 2  # no data rows: nothing to read past
    assert ws["A2"].font.bold
    assert ws["A2"].font.color.rgb == "00C00000"


def test_without_a_year_the_title_names_none() -> None:
    assert load(blank_template(BUREAUS))[DATA_SHEET]["A1"].value == "科技型企业梯度培育申报表"


def test_every_header_has_a_note() -> None:
    ws = load(blank_template(BUREAUS, 2024))[DATA_SHEET]
    notes = {c.value: c.comment for c in ws[2]}
    assert all(note is not None and note.author == "tidu" for note in notes.values())
    assert "单位：万元" in notes["上年营业收入（万元）"].text
    assert "不能为负数" in notes["上年营业收入（万元）"].text
    assert "可为负数" in notes["净资产（万元）"].text
    assert "是、否" in notes["科研严重失信"].text
    assert "国家级、省部级、无" in notes["科技奖励级别"].text
    assert "特等奖、一等奖、二等奖、三等奖、优秀奖" in notes["大赛获奖名次"].text
    assert "静海区科技局、滨海新区科技局、经开区科技局" in notes["审查单位"].text
    assert "2019-03-05" in notes["注册日期"].text
    assert "本表一般填 2024" in notes["会计年度"].text
    assert "18 位" in notes["统一社会信用代码"].text
    assert "整数" in notes["职工总数"].text


def test_dropdowns_list_the_written_forms() -> None:
    found = validations(load(blank_template(BUREAUS, 2024))[DATA_SHEET])
    lists = {header: v.formula1 for header, v in found.items() if v.type == "list"}
    assert lists["科研严重失信"] == '"是,否"'
    assert lists["严重弄虚作假"] == '"是,否"'
    assert lists["科技奖励级别"] == '"国家级,省部级,无"'
    assert lists["科技计划项目级别"] == '"国家级,省部级,无"'
    assert lists["大赛获奖级别"] == '"国家级,省部级,无"'  # each level's label, as pages name it
    assert lists["研发机构级别"] == '"国家级,省部级,区级,无"'
    assert lists["参与标准级别"] == '"国际标准,国家标准,行业标准,地方标准,团体标准,企业标准,无"'
    assert lists["标准制定角色"] == '"主导,参与,无"'
    assert lists["大赛获奖名次"] == '"特等奖,一等奖,二等奖,三等奖,优秀奖"'
    assert lists["审查单位"] == '"静海区科技局,滨海新区科技局,经开区科技局"'
    expected = {template_header(c) for c in SPEC.columns if c.type in ("bool", "choice", "prize", "bureau")}
    assert set(lists) == expected
    for validation in found.values():
        assert validation.showErrorMessage
        assert validation.showInputMessage
        assert validation.allow_blank
        assert validation.prompt
        assert len(validation.prompt) <= 255
        assert len(validation.promptTitle) <= 32
        assert validation.error.startswith("“")


def test_numbers_dates_and_codes_are_validated() -> None:
    found = validations(load(blank_template(BUREAUS))[DATA_SHEET])
    for column in SPEC.columns:
        header = template_header(column)
        if column.type == "count":
            assert (found[header].type, found[header].operator, found[header].formula1) == (
                "whole",
                "greaterThanOrEqual",
                "0",
            )
        elif column.type == "money" and not column.signed:
            assert (found[header].type, found[header].operator, found[header].formula1) == (
                "decimal",
                "greaterThanOrEqual",
                "0",
            )
        elif column.type in ("text", "district", "zone"):
            assert header not in found
    net = found["净资产（万元）"]
    assert (net.type, net.operator, net.formula1, net.formula2) == (
        "decimal",
        "between",
        "-1000000000",
        "1000000000",
    )
    registered = found["注册日期"]
    assert (registered.type, registered.formula1, registered.formula2) == (
        "date",
        "DATE(1900,1,1)",
        "TODAY()",
    )
    year = found["会计年度"]
    assert (year.type, year.operator, year.formula1, year.formula2) == ("whole", "between", "1980", "2100")
    code = found["统一社会信用代码"]
    assert (code.type, code.operator, code.formula1) == ("textLength", "equal", "18")


def test_columns_carry_number_formats_and_widths() -> None:
    ws = load(blank_template(BUREAUS))[DATA_SHEET]
    letter = {c.field: openpyxl.utils.get_column_letter(i) for i, c in enumerate(SPEC.columns, start=1)}
    dimensions = ws.column_dimensions
    assert dimensions[letter["uscc"]].number_format == "@"  # never 9.11E+17
    assert dimensions[letter["name"]].number_format == "@"
    assert dimensions[letter["revenue_yuan"]].number_format == "#,##0.00##"
    assert dimensions[letter["employees"]].number_format == "0"
    assert dimensions[letter["registered_on"]].number_format == "yyyy-mm-dd"
    assert dimensions[letter["uscc"]].width == 22
    assert dimensions[letter["name"]].width == 32
    assert all((dimensions[letter[c.field]].width or 0) >= 10 for c in SPEC.columns)


def test_the_guide_explains_units_dates_yes_no_blanks_and_years() -> None:
    ws = load(blank_template(BUREAUS, 2024))[GUIDE_SHEET]
    assert ws["A1"].value == "填表说明"
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    for words in (
        "万元",
        "2019-03-05",
        "“是”或“否”",
        "留空表示未报送",
        "每行填写一家企业一个会计年度",
        "会计年度",
        "2024",
    ):
        assert words in text
    # The importer takes any sheet naming the credit-code column for a data sheet: the guide must not.
    assert "信用代码" not in text
    assert "统一代码" not in text


def test_no_bureaus_means_no_bureau_dropdown() -> None:
    found = validations(load(blank_template([]))[DATA_SHEET])
    assert "审查单位" not in found


def test_a_long_or_odd_bureau_list_goes_to_a_hidden_sheet() -> None:
    bureaus = [(f"b{i}", f"第{i}号功能区科技局") for i in range(30)] + [("x", "甲,乙科技局")]
    book = load(blank_template(bureaus))
    assert book.sheetnames == [DATA_SHEET, GUIDE_SHEET, LISTS_SHEET]
    lists = book[LISTS_SHEET]
    assert lists.sheet_state == "hidden"
    assert validations(book[DATA_SHEET])["审查单位"].formula1 == f"'{LISTS_SHEET}'!$A$2:$A$32"
    assert [lists.cell(row=r, column=1).value for r in (1, 2, 32)] == [
        "审查单位",
        "第0号功能区科技局",
        "甲,乙科技局",
    ]


def test_choice_and_prize_forms_come_from_the_spec_and_normalize() -> None:
    assert prize_choices() == ("特等奖", "一等奖", "二等奖", "三等奖", "优秀奖")
    assert choice_forms(SPEC.by_field("standard_role")) == ("主导", "参与", "无")


@pytest.mark.parametrize("column", SPEC.columns, ids=lambda c: c.field)
def test_every_template_header_reads_back_as_its_column(column: Any) -> None:
    match = match_header(template_header(column), SPEC)
    assert match.spec is not None
    assert match.spec.field == column.field
    if column.type == "money":
        assert match.unit == 10_000
        assert match.unit_named


# -- round trip: fill the template as a bureau would, import it ------------------------------------------------


def filled(content: bytes, rows: list[dict[str, Any]]) -> bytes:
    book = load(content)
    ws = book[DATA_SHEET]
    columns = {c.value: c.column for c in ws[2]}
    for offset, values in enumerate(rows):
        for header, value in values.items():
            ws.cell(row=3 + offset, column=columns[header], value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


FIRST = {
    "统一社会信用代码": "91120116592938202F",
    "企业名称": "天津中渔置业有限公司",
    "审查单位": "滨海新区科技局",
    "所属区": "滨海新区",
    "功能区": "经开区",
    "注册日期": date(2012, 3, 5),
    "会计年度": 2024,
    "上年营业收入（万元）": 1234.5678,
    "总收入（万元）": 1300,
    "高新技术产品(服务)收入（万元）": 800.25,
    "研发费用（万元）": 150,
    "境内研发费用（万元）": 120.5,
    "成本费用总额（万元）": 1000,
    "资产总额（万元）": 5000,
    "净资产（万元）": -12.3456,
    "职工总数": 120,
    "科技人员数": 35,
    "I类知识产权数(有效)": 2,
    "II类知识产权数(有效)": 15,
    "科技成果转化数": 4,
    "单笔单家创投最大额（万元）": 500,
    "大赛获奖级别": "国家级",
    "大赛获奖名次": "二等奖",
    "科技奖励级别": "省部级",
    "科技奖励排名": 3,
    "研发机构级别": "区级",
    "参与标准级别": "团体标准",
    "标准制定角色": "主导",
    "科技计划项目级别": "无",
    "科研严重失信": "否",
    "经营异常名录": "否",
    "严重违法失信名单": "否",
    "重大安全质量事故或严重环境违法": "否",
    "严重弄虚作假": "是",
    "高企知识产权质量评分": 20,
    "高企成果转化能力评分": 20,
    "高企研发组织管理评分": 16,
    "高企认定专家评审总分": 71,
}
SECOND = {
    "统一社会信用代码": "91120118MA06R1D13A",
    "企业名称": "天津吉众科技有限公司",
    "审查单位": "静海区科技局",
    "所属区": "静海区",
    "注册日期": "2019/3/5",
    "会计年度": 2023,
    "上年营业收入（万元）": 88,
    "职工总数": 12,
    "科研严重失信": "否",
}


def round_trip() -> ImportResult:
    return parse_filings(filled(blank_template(BUREAUS, 2024), [FIRST, SECOND]), REFERENCE)


def test_a_filled_template_imports_without_a_single_issue() -> None:
    result = round_trip()
    assert result.issues == []
    assert (result.file_kind, result.sheet, result.header_row, result.rows_read) == ("xlsx", DATA_SHEET, 2, 2)
    assert all(c.field is not None for c in result.columns)
    assert {c.unit for c in result.columns if c.field and c.field.endswith("_yuan")} == {10_000}


def test_a_filled_template_imports_every_field_in_yuan() -> None:
    result = round_trip()
    first, second = result.rows
    assert (first.row, first.fiscal_year, first.uscc) == (3, 2024, "91120116592938202F")
    assert first.figures == {
        "revenue_yuan": 12_345_678,
        "total_income_yuan": 13_000_000,
        "hitech_revenue_yuan": 8_002_500,
        "rd_expense_yuan": 1_500_000,
        "rd_domestic_yuan": 1_205_000,
        "total_cost_yuan": 10_000_000,
        "total_assets_yuan": 50_000_000,
        "net_assets_yuan": -123_456,
        "employees": 120,
        "tech_staff": 35,
        "ip_class1": 2,
        "ip_class2": 15,
        "tech_transformations": 4,
        "max_single_vc_yuan": 5_000_000,
        "contest_level": "national",
        "contest_prize": 3,
        "st_award_level": "provincial",
        "st_award_rank": 3,
        "rd_institution_level": "municipal",
        "standard_level": "group",
        "standard_role": "led",
        "project_level": "none",
        "research_misconduct": False,
        "abnormal_operation": False,
        "serious_violation": False,
        "major_incident": False,
        "serious_fraud": True,
        "hte_score_ip_quality": 20,
        "hte_score_conversion": 20,
        "hte_score_management": 16,
        "hte_score_total": 71,
    }
    assert (second.row, second.fiscal_year, second.uscc) == (4, 2023, "91120118MA06R1D13A")
    assert second.figures == {"revenue_yuan": 880_000, "employees": 12, "research_misconduct": False}


def test_a_filled_template_imports_the_firms() -> None:
    first, second = round_trip().firms
    assert first.identity == {
        "name": "天津中渔置业有限公司",
        "bureau": "120116",
        "district": "120116",
        "zone": "teda",
        "registered_on": date(2012, 3, 5),
    }
    assert second.identity == {
        "name": "天津吉众科技有限公司",
        "bureau": "120118",
        "district": "120118",
        "registered_on": date(2019, 3, 5),
    }


def test_the_hidden_lists_sheet_does_not_disturb_the_import() -> None:
    bureaus = [*BUREAUS, *((f"b{i}", f"第{i}号功能区科技局") for i in range(30))]
    content = filled(blank_template(bureaus, 2024), [SECOND])
    result = parse_filings(content, REFERENCE)
    assert result.issues == []
    assert result.sheet == DATA_SHEET
    assert len(result.rows) == 1

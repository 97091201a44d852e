"""write_xlsx: real workbooks written to memory and read back with openpyxl and pandas."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest

from exports.capitals import yuan_capitals
from exports.cells import local_naive
from exports.changes import DiffEntry, SnapshotRow, diff_rows
from exports.columns import Column
from exports.document import ListDocument
from exports.errors import ExportError
from exports.sanitize import neutralise
from exports.xlsx import write_xlsx
from tests.exports.lists import (
    DISBURSEMENT_COLUMNS,
    HOSTILE_NAMES,
    disbursement,
    disbursement_rows,
    info,
    read_sheet,
    reopen,
    sheet_values,
    streamed,
    with_diff,
)

HEADERS = tuple(column.header for column in DISBURSEMENT_COLUMNS)
FIRST_DATA_ROW = 4  # 1-based: title, notes, header, then rows


def written(doc: ListDocument) -> tuple[bytes, Any]:
    out = io.BytesIO()
    manifest = write_xlsx(doc, out)
    return out.getvalue(), manifest


def column_widths(sheet: Any) -> dict[int, float]:
    """Width per 1-based column; the file stores runs of equal columns once (min..max)."""
    widths: dict[int, float] = {}
    for dimension in sheet.column_dimensions.values():
        for index in range(dimension.min, dimension.max + 1):
            widths[index] = dimension.width
    return widths


def test_title_notes_and_header_are_laid_out_for_people() -> None:
    content, _ = written(disbursement(disbursement_rows()))
    sheet = reopen(content)["拨付清单"]
    assert sheet["A1"].value == "2025年度天津市雏鹰企业奖励资金拨付清单"
    assert sheet["A1"].font.b
    assert sheet["A1"].font.sz >= 14
    assert "A1:J1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet["A2"].value == "金额单位：元；年度：2025；审查单位：全部；正式清单"
    header = list(sheet[3])
    assert tuple(cell.value for cell in header) == HEADERS
    for cell in header:
        assert cell.font.b
        assert cell.fill.fgColor.rgb.endswith("DDEBF7")
        assert cell.border.bottom.style == "thin"
        assert cell.alignment.wrap_text
        assert cell.alignment.horizontal == "center"


def test_widths_number_formats_frozen_header_and_filter() -> None:
    content, _ = written(disbursement(disbursement_rows(9)))
    sheet = reopen(content)["拨付清单"]
    widths = column_widths(sheet)
    for index, column in enumerate(DISBURSEMENT_COLUMNS, start=1):
        assert widths[index] == pytest.approx(column.width, abs=1)  # Excel adds a little padding
    formats = [cell.number_format for cell in sheet[FIRST_DATA_ROW]]
    assert formats == ["0", "@", "@", "@", "@", "#,##0", "@", "0.00%", "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss"]
    assert sheet.freeze_panes == "A4"
    assert sheet.auto_filter.ref == f"A3:J{3 + 9 + 3}"  # 9 rows and 3 subtotals; 合计 left out


def test_print_setup() -> None:
    content, _ = written(disbursement(disbursement_rows()))
    sheet = reopen(content)["拨付清单"]
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert int(sheet.page_setup.fitToWidth or 1) == 1  # 1 is the file format's default, left out
    assert int(sheet.page_setup.fitToHeight) == 0
    assert sheet.print_title_rows == "$3:$3"
    assert sheet.oddFooter.center.text == "第 &P 页，共 &N 页"


def test_rows_are_written_as_given_and_read_back_by_pandas() -> None:
    rows = disbursement_rows(9)
    content, manifest = written(disbursement(rows))
    frame = read_sheet(content, "拨付清单", header=2, dtype={"统一社会信用代码": str})
    data = frame[frame["统一社会信用代码"].notna()]  # not a 小计 or 合计 row
    assert list(data["统一社会信用代码"]) == [row["uscc"] for row in rows]
    assert list(data["奖励金额（元）"]) == [row["amount"] for row in rows]
    assert list(data["大写金额"]) == [yuan_capitals(row["amount"]) for row in rows]
    assert list(data["区级分担比例"]) == [row["share"] for row in rows]
    assert list(data["认定日期"].dt.date) == [row["certified_on"] for row in rows]
    assert list(data["审核时间"].dt.to_pydatetime()) == [local_naive(row["reviewed_at"]) for row in rows]
    assert manifest.row_count == 9


def test_subtotals_after_each_group_and_a_grand_total_that_reconcile() -> None:
    rows = disbursement_rows(10)
    content, manifest = written(disbursement(rows))
    frame = read_sheet(content, "拨付清单", header=2)
    labels = frame["序号"].astype(str)
    subtotals = frame[labels.str.startswith("小计")]
    expected: dict[str, int] = {}
    for row in rows:
        expected[row["bureau"]] = expected.get(row["bureau"], 0) + row["amount"]
    assert list(subtotals["序号"]) == [f"小计（审查单位：{bureau}）" for bureau in expected]
    assert list(subtotals["奖励金额（元）"]) == list(expected.values())
    assert list(subtotals["大写金额"]) == [yuan_capitals(total) for total in expected.values()]
    grand = frame[labels == "合计"]
    total = sum(row["amount"] for row in rows)
    assert list(grand["奖励金额（元）"]) == [total] == [sum(expected.values())]
    assert list(grand["大写金额"]) == [yuan_capitals(total)]
    assert manifest.sums == {"amount": total}
    assert frame.index[labels == "合计"][0] == len(frame) - 1  # the last row


def test_totals_are_bold_numbers_not_formulas() -> None:
    content, _ = written(disbursement(disbursement_rows(3)))
    sheet = reopen(content)["拨付清单"]
    subtotal, grand = sheet[sheet.max_row - 1], sheet[sheet.max_row]
    assert str(subtotal[0].value).startswith("小计")
    assert grand[0].value == "合计"
    for cell in (subtotal[5], grand[5]):
        assert cell.data_type == "n"
        assert cell.font.b
        assert cell.number_format == "#,##0"


def test_without_groups_only_the_grand_total() -> None:
    rows = disbursement_rows(5)
    content, _ = written(disbursement(rows, group_key=None, group_label=None))
    values = sheet_values(content)["拨付清单"]
    assert not any(str(row[0]).startswith("小计") for row in values)
    assert values[-1][0] == "合计"
    assert values[-1][5] == sum(row["amount"] for row in rows)


def test_lists_without_amounts_have_no_total() -> None:
    columns = (
        Column("uscc", "统一社会信用代码", "text", 22),
        Column("name", "企业名称", "text", 30),
        Column("missing", "未达标条件", "text", 60),
    )
    rows = [
        {"uscc": f"9112{i}", "name": f"公司{i}", "missing": "研发费用占比不足；知识产权不足"}
        for i in range(3)
    ]
    doc = ListDocument(info(kind="eligibility", title="资格审查报告"), columns, streamed(rows))
    content, manifest = written(doc)
    book = reopen(content)
    assert book.sheetnames == ["资格审查报告", "清单说明", "变动情况"]
    sheet = book["资格审查报告"]
    assert [row[0] for row in sheet.iter_rows(min_row=FIRST_DATA_ROW, values_only=True)] == [
        "91120",
        "91121",
        "91122",
    ]
    assert sheet["C4"].alignment.wrap_text  # the long reasons wrap
    assert manifest.sums == {}


def test_formulas_are_neutralised_everywhere() -> None:
    rows = disbursement_rows(len(HOSTILE_NAMES), hostile=True)
    hostile_info = info(title="=1+1", generated_by="@admin", filters={"-筛选": "+值"})
    content, _ = written(disbursement(rows, info=hostile_info, notes=("=notes",)))
    book = reopen(content)
    sheet = book["拨付清单"]
    names = [row[2] for row in sheet.iter_rows(min_row=FIRST_DATA_ROW) if isinstance(row[0].value, int)]
    assert [cell.value for cell in names] == ["'" + name for name in HOSTILE_NAMES]
    assert all(cell.data_type == "s" for cell in names)
    assert sheet["A1"].value == "'=1+1"
    assert str(sheet["A2"].value).startswith("'=notes")
    for each in book.worksheets:
        for row in each.iter_rows():
            assert all(cell.data_type != "f" for cell in row)
    manifest_values = {row[0]: row[1] for row in book["清单说明"].iter_rows(values_only=True)}
    assert manifest_values["生成人"] == "'@admin"
    assert manifest_values["筛选条件"] == "'-筛选：+值"


def test_manifest_sheet() -> None:
    rows = disbursement_rows(9)
    content, manifest = written(disbursement(rows))
    lines = sheet_values(content)["清单说明"]
    assert lines[0] == ("项目", "内容")
    assert lines[1:] == [
        ("清单类型", "拨付清单（disbursement）"),
        ("标题", "2025年度天津市雏鹰企业奖励资金拨付清单"),
        ("生成人", "王科员"),
        ("生成时间", "2025-03-01 10:00:00"),  # Tianjin time
        ("数据截止", "2025-02-28"),
        ("规则版本", "seedling：2021 (0123456789ab)"),
        ("规则版本", "hte：2016 (ba9876543210)"),
        ("筛选条件", "年度：2025"),
        ("筛选条件", "审查单位：全部"),
        ("行数", 9),
        ("奖励金额合计（元）", sum(row["amount"] for row in rows)),
        ("行数据SHA-256", manifest.rows_sha256),
        ("正式清单", "是"),
        ("上一份同类清单", "#12 2025-02-01 10:00"),
    ]
    frame = read_sheet(content, "清单说明")
    assert list(frame.columns) == ["项目", "内容"]


def test_diff_sheet() -> None:
    previous = [SnapshotRow("k1", "甲公司", 100_000), SnapshotRow("k2", "乙公司", 100_000)]
    current = [SnapshotRow("k2", "乙公司", 80_000), SnapshotRow("k3", "丙公司", 50_000)]
    reasons = {"added": "新认定", "removed": "资格已撤销", "amount_changed": "=奖励标准调整"}

    def explain(entry: DiffEntry) -> str:
        return reasons[entry.change]

    diff = diff_rows(previous, current, previous_label="#12 2025-02-01 10:00", explain=explain)
    content, _ = written(with_diff(disbursement(disbursement_rows(3)), diff))
    lines = sheet_values(content)["变动情况"]
    assert [line[0] for line in lines[:4]] == [
        "比较对象：上一份同类清单 #12 2025-02-01 10:00",
        "新增：1",
        "移除：1",
        "金额变动：1",
    ]
    assert lines[5] == ("变动类型", "标识", "名称", "原金额", "现金额", "原因")
    assert lines[6:] == [
        ("新增", "k3", "丙公司", None, 50_000, "新认定"),
        ("移除", "k1", "甲公司", 100_000, None, "资格已撤销"),
        ("金额变动", "k2", "乙公司", 100_000, 80_000, "'=奖励标准调整"),
    ]


def test_first_of_its_kind_says_so_in_one_line() -> None:
    diff = diff_rows([], [SnapshotRow("k1", "甲公司", 1)], previous_label=None)
    content, _ = written(with_diff(disbursement(disbursement_rows(3), info=info(previous=None)), diff))
    values = sheet_values(content)
    assert values["变动情况"] == [("首份同类清单，无可比较的上一份",)]
    assert dict(values["清单说明"])["上一份同类清单"] == "无（首份同类清单）"


def test_zero_rows_still_make_a_valid_workbook() -> None:
    content, manifest = written(disbursement([]))
    values = sheet_values(content)
    assert values["拨付清单"][2] == HEADERS
    assert values["拨付清单"][3][0] == "合计"
    assert values["拨付清单"][3][5] == 0
    assert values["拨付清单"][3][6] == "零元整"
    assert len(values["拨付清单"]) == 4
    assert dict(values["清单说明"])["行数"] == 0
    assert manifest.row_count == 0
    assert manifest.sums == {"amount": 0}
    assert values["变动情况"] == [("未与上一份同类清单比较",)]
    frame = read_sheet(content, "拨付清单", header=2)
    assert list(frame.columns) == list(HEADERS)


def test_same_document_same_workbook() -> None:
    rows = disbursement_rows(20)
    first, first_manifest = written(disbursement(rows))
    second, second_manifest = written(disbursement(streamed(rows)))  # type: ignore[arg-type]
    assert sheet_values(first) == sheet_values(second)
    assert first == second  # even the bytes: fixed creation date and zip timestamps
    assert first_manifest == second_manifest
    changed = [dict(row) for row in rows]
    changed[7]["amount"] += 1
    _, changed_manifest = written(disbursement(changed))
    assert changed_manifest.rows_sha256 != first_manifest.rows_sha256


def test_the_workbook_records_when_it_was_generated() -> None:
    content, _ = written(disbursement(disbursement_rows(2)))
    created = reopen(content).properties.created
    assert created.replace(tzinfo=UTC) == datetime(2025, 3, 1, 2, 0, tzinfo=UTC)


def test_a_list_needs_columns_and_whole_yuan() -> None:
    with pytest.raises(ExportError):
        write_xlsx(disbursement([], columns=()), io.BytesIO())
    rows = disbursement_rows(2)
    rows[1]["amount"] = 1.5
    with pytest.raises(ExportError, match="整数元"):
        write_xlsx(disbursement(rows), io.BytesIO())
    rows = disbursement_rows(2)
    rows[1]["share"] = float("nan")
    with pytest.raises(ExportError, match="有限的数字"):
        write_xlsx(disbursement(rows), io.BytesIO())


def test_headers_are_neutralised() -> None:
    columns = (Column("a", "=危险表头", "text"), Column("b", "金额", "yuan"))
    doc = ListDocument(info(), columns, [{"a": "x", "b": 1}])
    content, _ = written(doc)
    assert sheet_values(content)["拨付清单"][2] == (neutralise("=危险表头"), "金额")


def test_text_that_looks_like_sheet_xml_stays_text() -> None:
    """xlsxwriter alone would write '<r>…</r>' unescaped in constant_memory mode: a way to inject cells."""
    rows = disbursement_rows(1)
    rows[0]["name"] = '<r><t>a</t></r></is></c><c r="Z9"><f>1+1</f></c><c r="Y9"><is><r><t>b</t></r>'
    content, _ = written(disbursement(rows))
    sheet = reopen(content)["拨付清单"]
    assert sheet["C4"].value == rows[0]["name"]
    assert sheet.max_column == len(DISBURSEMENT_COLUMNS)  # no smuggled cell in Z9
    assert sheet["C4"].data_type == "s"


def test_control_characters_edge_spaces_and_markup_round_trip() -> None:
    rows = disbursement_rows(1)
    rows[0]["name"] = ' _x0041_ 控制\x01字符 & <x> "引号" '
    content, _ = written(disbursement(rows))
    frame = read_sheet(content, "拨付清单", header=2)
    calamine = read_sheet(content, "拨付清单", header=2, engine="calamine")
    assert calamine["企业名称"][0] == rows[0]["name"]  # Excel's _xHHHH_ escapes, decoded by a full reader
    assert frame["企业名称"][0].startswith(" _x005F_x0041_")  # openpyxl leaves them encoded

"""The blank filing workbook bureaus hand out: the canonical columns, with notes and dropdowns. No database.

Sheet 「申报表」: a title row, then one header row with every column of the filing spec under its
canonical header (money columns say 「（万元）」: the template's unit), a note on each header
(type, unit, allowed values), data validations (dropdowns, whole numbers, amounts, dates),
number formats and a frozen header. Sheet 「填表说明」: how to fill it in. What the template
writes, ``importers.filings.parse_filings`` reads back without a question.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl.comments import Comment  # type: ignore[import-untyped, unused-ignore]
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side  # type: ignore[import-untyped, unused-ignore]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped, unused-ignore]
from openpyxl.workbook.workbook import Workbook  # type: ignore[import-untyped, unused-ignore]
from openpyxl.worksheet.datavalidation import DataValidation  # type: ignore[import-untyped, unused-ignore]
from openpyxl.worksheet.properties import PageSetupProperties  # type: ignore[import-untyped, unused-ignore]
from openpyxl.worksheet.worksheet import Worksheet  # type: ignore[import-untyped, unused-ignore]

from importers.headers import ColumnSpec, Spec, load_spec
from importers.normalize import PRIZES
from importers.workbook import GUIDE_SHEET, LISTS_SHEET

DATA_SHEET = "申报表"
MONEY_UNIT = "万元"
TITLE_ROW, HEADER_ROW, FIRST_DATA_ROW, LAST_ROW = 1, 2, 3, 1_048_576
FROZEN = "C3"  # the header, and the code and name columns
BOOL_CHOICES = ("是", "否")
INLINE_LIST_LIMIT = 255  # Excel's limit on a list validation written inline
YEAR_RANGE = (1980, 2100)  # what importers.normalize.to_year accepts
NUMBER_FORMATS = {
    "money": "#,##0.00##",
    "count": "0",
    "year": "0",
    "date": "yyyy-mm-dd",
    "uscc": "@",
    "text": "@",
}
WIDTHS = {"uscc": 22, "name": 32, "bureau": 16, "registered_on": 12}
HEADER_FILL = "DDEBF7"
REQUIRED_FONT = "C00000"


def prize_choices() -> tuple[str, ...]:
    """One written form per rank: 特等奖, 一等奖, 二等奖, 三等奖, 优秀奖."""
    first: dict[int, str] = {}
    for word, rank in PRIZES.items():
        first.setdefault(rank, word)
    return tuple(first[rank] for rank in sorted(first))


def choice_forms(column: ColumnSpec) -> tuple[str, ...]:
    """The first written form of each code a choice column allows, in the spec's order (国家级, 省部级, 无 …)."""
    first: dict[str, str] = {}
    for written, code in column.choices.items():
        first.setdefault(code, written)
    return tuple(first.values())


def template_header(column: ColumnSpec) -> str:
    """The header the template writes: canonical, with the unit for money (「上年营业收入（万元）」)."""
    return f"{column.header}（{MONEY_UNIT}）" if column.type == "money" else column.header


def blank_template(
    bureaus: Sequence[tuple[str, str]], fiscal_year: int | None = None, *, spec: Spec | None = None
) -> bytes:
    """The filing workbook as .xlsx; ``bureaus`` are (code, name) pairs, their names the 审查单位 dropdown."""
    spec = spec or load_spec()
    names = tuple(dict.fromkeys(name.strip() for _, name in bureaus if name.strip()))
    book = Workbook()
    ws = book.active
    assert isinstance(ws, Worksheet)
    ws.title = DATA_SHEET
    _title(ws, spec, fiscal_year)
    _guide(book.create_sheet(GUIDE_SHEET), fiscal_year)
    for index, column in enumerate(spec.columns, start=1):
        _column(book, ws, index, column, names, fiscal_year)
    ws.freeze_panes = FROZEN
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    book.active = ws
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _title(ws: Worksheet, spec: Spec, fiscal_year: int | None) -> None:
    year = f"（{fiscal_year} 会计年度）" if fiscal_year else ""
    cell = ws.cell(row=TITLE_ROW, column=1, value=f"科技型企业梯度培育申报表{year}")
    cell.font = Font(bold=True, size=16)
    cell.alignment = Alignment(horizontal="left", vertical="center")
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=len(spec.columns))
    ws.row_dimensions[TITLE_ROW].height = 30
    ws.row_dimensions[HEADER_ROW].height = 45


def _column(
    book: Workbook,
    ws: Worksheet,
    index: int,
    column: ColumnSpec,
    bureaus: Sequence[str],
    fiscal_year: int | None,
) -> None:
    letter = get_column_letter(index)
    header = template_header(column)
    note = _note(column, bureaus, fiscal_year)
    cell = ws.cell(row=HEADER_ROW, column=index, value=header)
    required = column.required or column.field == "fiscal_year"
    cell.font = Font(bold=True, color=REQUIRED_FONT if required else None)
    cell.fill = PatternFill(fill_type="solid", start_color=HEADER_FILL, end_color=HEADER_FILL)
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    thin = Side(style="thin", color="8EA9DB")
    cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
    lines = max(1, -(-len(note) // 22))
    cell.comment = Comment(f"{header}\n{note}", "tidu", height=min(40 + 18 * lines, 400), width=260)
    dimension = ws.column_dimensions[letter]
    dimension.width = WIDTHS.get(column.field, min(max(len(header) * 2 + 2, 10), 26))
    number_format = NUMBER_FORMATS.get(column.type)
    if number_format:
        dimension.number_format = number_format  # the column's style: cells typed in later take it
    validation = _validation(book, column, bureaus)
    if validation is not None:
        validation.promptTitle = header[:32]
        validation.prompt = note[:255]
        validation.showInputMessage = True
        validation.showErrorMessage = True
        validation.errorTitle = "输入有误"
        validation.error = f"“{header}”{_error_text(column)}"[:255]
        validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_ROW}")
        ws.add_data_validation(validation)


def _list_values(column: ColumnSpec, bureaus: Sequence[str]) -> tuple[str, ...] | None:
    if column.type == "bool":
        return BOOL_CHOICES
    if column.type == "choice":
        return choice_forms(column)
    if column.type == "prize":
        return prize_choices()
    if column.type == "bureau":
        return tuple(bureaus) or None
    return None


def _validation(book: Workbook, column: ColumnSpec, bureaus: Sequence[str]) -> DataValidation | None:
    values = _list_values(column, bureaus)
    if values is not None:
        return DataValidation(type="list", formula1=_list_formula(book, column, values), allow_blank=True)
    if column.type == "count":
        return DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    if column.type == "money" and column.signed:
        return DataValidation(
            type="decimal",
            operator="between",
            formula1="-1000000000",
            formula2="1000000000",
            allow_blank=True,
        )
    if column.type == "money":
        return DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    if column.type == "year":
        low, high = YEAR_RANGE
        return DataValidation(
            type="whole", operator="between", formula1=str(low), formula2=str(high), allow_blank=True
        )
    if column.type == "date":
        return DataValidation(
            type="date", operator="between", formula1="DATE(1900,1,1)", formula2="TODAY()", allow_blank=True
        )
    if column.type == "uscc":
        return DataValidation(type="textLength", operator="equal", formula1="18", allow_blank=True)
    return None


def _list_formula(book: Workbook, column: ColumnSpec, values: Sequence[str]) -> str:
    """「"是,否"」 inline, or a range of the hidden 「下拉选项」 sheet for long lists or names with commas."""
    inline = '"' + ",".join(values) + '"'
    if len(inline) <= INLINE_LIST_LIMIT and not any("," in v or '"' in v for v in values):
        return inline
    if LISTS_SHEET in book.sheetnames:
        lists = book[LISTS_SHEET]
    else:
        lists = book.create_sheet(LISTS_SHEET)
        lists.sheet_state = "hidden"
    assert isinstance(lists, Worksheet)
    index = lists.max_column + 1 if lists.max_row > 1 or lists.cell(row=1, column=1).value else 1
    lists.cell(row=1, column=index, value=column.header)
    for row, value in enumerate(values, start=2):
        cell = lists.cell(row=row, column=index, value=value)
        cell.data_type = "s"  # a name is never a formula
    letter = get_column_letter(index)
    return f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(values) + 1}"


FIXED_NOTES = {
    "uscc": "必填。营业执照上的 18 位代码，字母大写；企业以此识别。",
    "count": "非负整数。",
    "date": "日期，如 2019-03-05（也可写 2019/3/5 或 2019年3月5日）。",
    "bureau": "审查单位（区科技局）名称，如“静海区科技局”。",
    "district": "企业注册地所属区，如“静海区”。",
    "zone": "企业所在功能区名称；不在功能区的留空。",
}


def _note(column: ColumnSpec, bureaus: Sequence[str], fiscal_year: int | None) -> str:
    """The header's note: what goes in the column, in which unit, which values are allowed."""
    if column.type == "money":
        sign = "可为负数" if column.signed else "不能为负数"
        return (
            f"金额，单位：{MONEY_UNIT}。可填小数（保留 4 位小数即精确到元），{sign}；不要填写“万元”等文字。"
        )
    if column.type == "year":
        usual = f"本表一般填 {fiscal_year}；" if fiscal_year else ""
        return f"必填。数据所属会计年度，四位年份，如 2024。{usual}每家企业每个会计年度填一行。"
    values = _list_values(column, bureaus)
    if values is not None:
        blank = "；未获奖留空" if column.type == "prize" else ""
        return f"从下拉列表选择：{'、'.join(values)}{blank}。"
    if column.field == "name":
        return "企业全称，与营业执照一致。"
    return FIXED_NOTES.get(column.type, "文本。")


def _error_text(column: ColumnSpec) -> str:
    if column.type in ("bool", "choice", "prize", "bureau"):
        return "请从下拉列表中选择。"
    if column.type == "count":
        return "应为非负整数。"
    if column.type == "money":
        return f"应为数字（单位：{MONEY_UNIT}），不要填写文字。"
    if column.type == "year":
        return "应为四位年份，如 2024。"
    if column.type == "date":
        return "应为日期，如 2019-03-05，且不能晚于今天。"
    if column.type == "uscc":
        return "应为 18 位代码。"
    return "格式不正确。"


def _guide(ws: Worksheet, fiscal_year: int | None) -> None:
    """「填表说明」. It names no credit-code header: the importer takes any sheet naming one for a data sheet."""
    year = f"本表为 {fiscal_year} 会计年度的数据，“会计年度”列一般填 {fiscal_year}；" if fiscal_year else ""
    items = (
        f"请在“{DATA_SHEET}”工作表中填写，表头（第 {HEADER_ROW} 行）请勿修改、删除或合并；"
        f"数据从第 {FIRST_DATA_ROW} 行开始填写，不要插入小计、合计行。",
        "每行填写一家企业一个会计年度的数据。同一企业填报多个年度时，每个年度各占一行。",
        f"会计年度：{year}填写四位年份（如 2024），必填。",
        "第一列填写企业营业执照上的 18 位代码（字母大写），必填，企业以此识别；企业名称与营业执照一致。",
        f"金额：所有金额列的单位均为“{MONEY_UNIT}”（见表头），填数字即可，可带小数；"
        "保留 4 位小数即精确到元。不要在单元格中写“万元”“元”等文字。",
        "日期：注册日期填写为日期格式，如 2019-03-05；也可写作 2019/3/5 或 2019年3月5日。",
        "是/否：科研严重失信、经营异常名录、严重违法失信名单等列，从下拉列表选择“是”或“否”。",
        "级别、名次：从下拉列表选择；没有的选“无”，未获奖的名次留空。",
        "人数、知识产权数、成果转化数、评分等填写整数。",
        "留空表示未报送该项（不是 0）：确为 0 的请填 0。再次导入时，留空的单元格不会改动已有数据。",
        "表头上的红色文字为必填列；把鼠标移到表头上可查看该列的填写要求。",
        "导入后如有问题，系统会返回标出问题单元格的原文件（附“错误清单”工作表），按批注修改后可重新导入。",
    )
    title = ws.cell(row=1, column=1, value="填表说明")
    title.font = Font(bold=True, size=16)
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 80  # about 38 Chinese characters a line
    for row, text in enumerate(items, start=3):
        ws.cell(row=row, column=1, value=f"{row - 2}.").alignment = Alignment(
            horizontal="right", vertical="top"
        )
        cell = ws.cell(row=row, column=2, value=text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[row].height = 20 * max(1, -(-len(text) // 36))
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)

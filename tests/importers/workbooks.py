"""Filing workbooks as bureaus really send them, built in code (no binary fixtures are checked in).

Every builder returns the file's bytes. The messy .xlsx is written with openpyxl; .xls with xlwt
(real BIFF8), .ods with pandas' odf engine, CSV with the csv module in the encoding asked for;
formulas with cached results with xlsxwriter (openpyxl cannot store a formula's result). Cells
that no writer will produce (a 10-million-character cell, a million formatted empty rows, a
zip bomb, an encrypted OLE2 container) are made by editing the zip members or writing bytes.
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import TypeAlias

import pandas as pd
import xlsxwriter  # type: ignore[import-untyped]
import xlwt  # type: ignore[import-untyped]
from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import PatternFill  # type: ignore[import-untyped]

Value: TypeAlias = str | int | float | bool | date | None
Row: TypeAlias = Sequence[Value]
Rows: TypeAlias = Sequence[Row]

# Valid credit codes (check characters per GB 32100), one per firm of the workbooks below.
USCC_A = "91120223MA05ABCD1Q"
USCC_A_FULL_WIDTH = "９１１２０２２３ＭＡ０５ＡＢＣＤ１Ｑ"
USCC_B = "91120223MA06KX2P3T"
USCC_C = "91120223MA07R8WQ4U"
USCC_D = "91120223MA0N1T5Y6L"
USCC_E = "911201183004721152"
USCC_F = "91120118MA05JRCE1G"
USCC_A_BAD_CHECK = "91120223MA05ABCD1R"  # the check character of USCC_A is Q
USCC_PILOT = "91350100M0001TGQXM"  # 2014–2015 Fujian pilot: fails the check, legally issued

SHEET = "申报表"
MESSY_SHEET = "雏鹰企业申报"
MESSY_TITLE = "2025年度静海区雏鹰企业申报汇总表"
MESSY_NOTE = "注：1. 数据来源于企业上一年度财务报表；2. 请勿修改表头。"


# -- generic writers ---------------------------------------------------------------------------


def xlsx(sheets: Mapping[str, Rows], merges: Mapping[str, Sequence[str]] | None = None) -> bytes:
    """An .xlsx with one sheet per entry; None leaves a cell empty; ``merges`` as "A1:S1" ranges."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(r, c, value)
        for cells in (merges or {}).get(name, ()):
            sheet.merge_cells(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_rows(rows: Rows, sheet: str = SHEET) -> bytes:
    return xlsx({sheet: rows})


def xls(rows: Rows, sheet: str = SHEET) -> bytes:
    """A real BIFF8 .xls (OLE2 container); dates become date-formatted number cells as Excel writes them."""
    book = xlwt.Workbook(encoding="utf-8")
    target = book.add_sheet(sheet)
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, date):
                target.write(r, c, value, date_style)
            else:
                target.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def ods(rows: Rows, sheet: str = SHEET) -> bytes:
    """An OpenDocument spreadsheet (pandas' odf engine, odfpy underneath); dates as date cells."""
    frame = pd.DataFrame([["" if value is None else value for value in row] for row in rows])
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="odf") as writer:
        frame.to_excel(writer, sheet_name=sheet, header=False, index=False)
    return buffer.getvalue()


def csv_text(rows: Rows) -> str:
    """The rows as CSV text the way Excel's 另存为 CSV writes them (dates as ISO text)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else str(v) for v in row])
    return out.getvalue()


def csv_file(rows: Rows, encoding: str) -> bytes:
    """``encoding``: "utf-8-sig" (with BOM), "utf-8" (without), "gbk" (Excel on a Chinese Windows)."""
    return csv_text(rows).encode(encoding)


def rewrite_zip(
    content: bytes,
    edits: Mapping[str, Callable[[bytes], bytes]] | None = None,
    extra: Mapping[str, bytes] | None = None,
) -> bytes:
    """The same zip with some members' bytes edited and ``extra`` members added (deflated)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            edit = (edits or {}).get(info.filename)
            target.writestr(info.filename, edit(data) if edit else data)
        for name, payload in (extra or {}).items():
            target.writestr(name, payload)
    return out.getvalue()


def member_sizes(content: bytes) -> dict[str, tuple[int, int]]:
    """Member name → (expanded size, compressed size)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {i.filename: (i.file_size, i.compress_size) for i in archive.infolist()}


# -- the realistic messy workbook --------------------------------------------------------------

MESSY_TOP = [
    "序号", "企业名称", "统一社会信用代码", "审查单位", "注册日期",
    "近三年营业收入（万元）", None, None,
    "研发费用（万元）", "资产总额", "职工总数", "科技人员数",
    "科研严重失信", "经营异常名录", "严重违法失信名单", "科技奖励级别", "研发机构级别",
    "主要产品", "备注",
]  # fmt: skip
MESSY_SUB: list[Value] = [None, None, None, None, None, 2022, "2023", "2024年", *([None] * 11)]
MESSY_BODY: list[list[Value]] = [
    # 序号, 名称, 代码, 审查单位, 注册日期 | 营收 2022, 2023, 2024 | 研发, 资产, 职工, 科技人员 | 失信, 异常, 违法 | 奖励, 机构 | 产品, 备注
    [1, "天津雏鹰甲科技有限公司", USCC_A_FULL_WIDTH, "静海区科技局", "2019-03-05",
     "1,234.5", "２，０００", "3,000.25", "１２０", "5,000,000", "４５", "１２",
     "否", "无", "×", "国家级", "省部级", "智能传感器", None],
    [2, "天津雏鹰乙科技有限公司", USCC_B, "静海区", "2019/3/5",
     "-", "—", "/", "20万元", "-", 30, 5,
     "是", "有", "√", "省部级", "无", "工业软件", "重点培育"],
    [3, "天津雏鹰丙科技有限公司", USCC_C, "静海", "2019.03.05",
     100, 200, 300, 0.5, 1000, 10, 2,
     "-", "—", "/", "—", "/", None, None],
    [4, "天津雏鹰丁科技有限公司", USCC_D, "静海区科技局", "2019年3月5日",
     1, 2, 3, 4, 5, 6, 1, "否", "无", "×", "无", "无", None, None],
    [5, "天津雏鹰戊科技有限公司", USCC_E, "静海区科技局", 43529,  # an Excel serial number typed as a number
     1, 2, 3, 4, 5, 6, 1, "否", "无", "×", "无", "无", None, None],
    [6, "天津雏鹰己科技有限公司", USCC_F, "静海区科技局", date(2019, 3, 5),  # a real date cell
     1, 2, 3, 4, 5, 6, 1, "否", "无", "×", "无", "无", None, None],
]  # fmt: skip
MESSY_TOTAL: list[Value] = ["合计", None, None, None, None, 1337.5, 2206, 3309.25, None, None, 103, 22]
MESSY_WIDTH = len(MESSY_TOP)


def messy_filing_xlsx() -> bytes:
    """What a district bureau sends: title, blank row, two-level merged header, totals and a note.

    Rows: 1 merged title, 2 blank, 3–4 header (「近三年营业收入（万元）」 merged over 2022 / 2023 /
    2024, every other header merged down over both rows), 5–10 six firms, 11 合计, 12 blank,
    13 a merged 「注：…」 note.
    """
    last = chr(ord("A") + MESSY_WIDTH - 1)
    rows: list[Row] = [[MESSY_TITLE], [], MESSY_TOP, MESSY_SUB, *MESSY_BODY, MESSY_TOTAL, [], [MESSY_NOTE]]
    merges = [f"A1:{last}1", "F3:H3", f"A13:{last}13"]
    merges += [f"{column}3:{column}4" for column in "ABCDEIJKLMNOPQRS"]
    return xlsx({MESSY_SHEET: rows}, {MESSY_SHEET: merges})


# -- the same rows in every format ---------------------------------------------------------------

FORMAT_ROWS: list[list[Value]] = [
    ["序号", "企业名称", "统一社会信用代码", "会计年度", "注册日期", "营业收入（万元）", "研发费用（千元）",
     "资产总额（元）", "职工总数", "科技人员数", "经营异常名录", "严重违法失信名单", "科技奖励级别"],
    [1, "天津甲科技有限公司", USCC_A_FULL_WIDTH, 2024, date(2019, 3, 5), "1,234.5", "２，０００",
     "—", 45, 12, "无", "√", "国家级"],
    [2, "天津乙科技有限公司", USCC_B, "2024年", "2019年3月5日", 300, "-",
     1500000.5, "３０", "/", "有", "×", "无"],
    [3, "天津丙科技有限公司", USCC_C, 2023, "2020/11/30", "20万元", 12.5,
     "1,000,000", 8, 8, "否", "-", "省部级"],
]  # fmt: skip


# -- files no writer produces --------------------------------------------------------------------


def xlsx_with_formulas(rows: Rows, formulas: Mapping[str, tuple[str, Value]], sheet: str = SHEET) -> bytes:
    """xlsxwriter stores a formula together with the cached result Excel would have saved."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    target = book.add_worksheet(sheet)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                target.write(r, c, value)
    for cell, (formula, cached) in formulas.items():
        target.write_formula(cell, formula, None, cached)
    book.close()
    return buffer.getvalue()


HUGE_MARK = "@@HUGE-CELL@@"


def huge_cell_xlsx(rows: Rows, chars: int, sheet: str = SHEET) -> bytes:
    """The cell holding HUGE_MARK replaced by ``chars`` characters of incompressible text.

    openpyxl and xlsxwriter both cut strings at Excel's 32,767 characters, so the sheet XML is
    edited; the text is random hex so the member compresses ~2:1 and is no zip bomb.
    """
    text = random.Random(20250305).randbytes(chars // 2).hex().encode()

    def fill(xml: bytes) -> bytes:
        assert HUGE_MARK.encode() in xml
        return xml.replace(HUGE_MARK.encode(), text)

    return rewrite_zip(xlsx({sheet: rows}), {"xl/worksheets/sheet1.xml": fill})


def formatted_down_to(rows: Rows, last_row: int, sheet: str = SHEET) -> bytes:
    """The rows, then every row down to ``last_row`` formatted (yellow fill) with an empty string.

    This is what a sheet formatted "to the bottom" looks like: each row has a styled cell and an
    empty text cell, and the sheet's dimension claims A1:D<last_row>, so a reader that trusts the
    dimension or keeps empty cells sees a million rows.
    """
    book = Workbook()
    target = book.active
    target.title = sheet
    for row in rows:
        target.append(list(row))
    target.cell(len(rows) + 1, 1).fill = PatternFill("solid", fgColor="FFFF00")  # style index 1
    buffer = io.BytesIO()
    book.save(buffer)
    first = len(rows) + 1
    tail = "".join(
        f'<row r="{n}"><c r="A{n}" s="1"/><c r="B{n}" t="inlineStr"><is><t></t></is></c></row>'
        for n in range(first, last_row + 1)
    ).encode()

    def extend(xml: bytes) -> bytes:
        start = xml.index(f'<row r="{first}"'.encode())
        end = xml.index(b"</sheetData>")
        xml = xml[:start] + tail + xml[end:]
        dimension_start = xml.index(b"<dimension ref=")
        dimension_end = xml.index(b"/>", dimension_start) + 2
        return xml[:dimension_start] + f'<dimension ref="A1:D{last_row}"/>'.encode() + xml[dimension_end:]

    return rewrite_zip(buffer.getvalue(), {"xl/worksheets/sheet1.xml": extend})


def zip_bomb_xlsx(rows: Rows, expanded: int) -> bytes:
    """A valid workbook plus one member of ``expanded`` zero bytes (deflates ~1000:1)."""
    return rewrite_zip(xlsx_rows(rows), extra={"xl/media/image1.png": bytes(expanded)})


OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def encrypted_workbook() -> bytes:
    """What Excel saves for a workbook with an open password: an OLE2 compound file whose directory
    holds EncryptionInfo and EncryptedPackage (the real .xlsx, encrypted) instead of a workbook.

    Sector 0 after the 512-byte header is the directory: 128-byte entries whose names are UTF-16-LE.
    """
    header = OLE2_MAGIC + bytes(512 - len(OLE2_MAGIC))
    directory = b""
    for name in ("Root Entry", "EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"):
        encoded = (name + "\x00").encode("utf-16-le")
        directory += encoded + bytes(64 - len(encoded)) + len(encoded).to_bytes(2, "little") + bytes(62)
    return header + directory + random.Random(7).randbytes(4096)


def corrupt_ole2() -> bytes:
    """OLE2 magic followed by nothing a reader can use (a truncated or damaged .xls)."""
    return OLE2_MAGIC + bytes(4096)


def png_image() -> bytes:
    return (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa"
        + bytes(64)
    )


def random_binary() -> bytes:
    return random.Random(42).randbytes(8192)


def word_document() -> bytes:
    """A .docx: a zip, but without a workbook in it."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


# -- the linked registers' exports (企业登记信息库, 知识产权数据库) ---------------------------------------

USCC_G = "91120116MA06PQ7R8A"
USCC_H = "91120118MA07XB2L9U"

REGISTRATION_SHEET = "企业登记信息"
REGISTRATION_TITLE = "天津市市场主体登记信息（导出）"
REGISTRATION_EXPORTED = "导出时间：2025-03-01 09:30　共 8 户"
REGISTRATION_NOTE = "注：本表数据来源于国家企业信用信息公示系统，仅供核查使用。"
REGISTRATION_HEADER: list[Value] = [
    "序号", "企业名称", "统一社会信用代码/注册号", "法定代表人", "登记状态", "成立日期", "注册资本（万元）",
    "登记机关", "是否列入经营异常名录", "是否列入严重违法失信企业名单", "住所", "标签",
]  # fmt: skip
REGISTRATION_BODY: list[list[Value]] = [
    # 序号, 名称, 代码, 法人, 状态, 成立日期, 注册资本, 登记机关, 异常名录, 严重违法, 住所, 标签
    [1, "天津雏鹰甲科技有限公司", USCC_A_FULL_WIDTH, "张三", "存续（在营、开业、在册）", "2019-03-05", "1,000",
     "天津市静海区市场监督管理局", "否", "否", "天津市静海区团泊新城博士园", "高新技术企业"],
    [2, "天津雏鹰乙科技有限公司", USCC_B, "李四", "在 业", "2019/3/5", 500,
     "天津市静海区市场监督管理局", "是", "×", "天津市静海区经济开发区", None],
    [3, "天津雏鹰丙科技有限公司", USCC_C, "王五", "吊销，未注销", "2019年3月5日", 300,
     "天津市滨海新区市场监督管理局", "√", "是", "天津市滨海新区", None],
    [4, None, USCC_D, None, "注销", "2019.03.05", None, None, "—", "/", None, None],
    [],
    [5, "天津雏鹰戊科技有限公司", USCC_E, "赵六", "迁出", date(2019, 3, 5), 100,
     "天津市静海区市场监督管理局", "无", "无", "天津市静海区", None],
    [6, "天津雏鹰己科技有限公司", USCC_G, "钱七", "开业", "20190305", 100,
     "天津市静海区市场监督管理局", "否", "否", None, None],
    [7, "天津雏鹰庚科技有限公司", USCC_H, "孙八", "存续", "2019-03-05 00:00:00", 100,
     "天津市静海区市场监督管理局", "否", "否", None, None],
    [8, None, USCC_F],  # only its credit code
    [9],  # a 序号 the exporter numbered ahead
]  # fmt: skip


def registration_rows() -> list[list[Value]]:
    """The export as rows: two title lines, the header, eight firms (one blank row among them), a note."""
    return [[REGISTRATION_TITLE], [REGISTRATION_EXPORTED], REGISTRATION_HEADER, *REGISTRATION_BODY, [],
            [REGISTRATION_NOTE]]  # fmt: skip


def messy_registration_xlsx() -> bytes:
    """What the market-regulation system exports: title and export-time lines merged across, the header
    in row 3, firms in rows 4–13 (row 8 blank, row 13 only a 序号), row 14 blank, a merged note in 15."""
    return xlsx(
        {REGISTRATION_SHEET: registration_rows()},
        {REGISTRATION_SHEET: ["A1:L1", "A2:L2", "A15:L15"]},
    )


IP_SHEET = "知识产权清单"
IP_TITLE = "静海区企业知识产权清单（截至2024年12月31日）"
IP_NOTE = "注：数据来源于国家知识产权局、中国版权保护中心，法律状态以公告为准。"
IP_HEADER: list[Value] = [
    "序号", "专利号/登记号", "名称", "类型", "专利权人", "权利人统一社会信用代码", "申请日", "授权公告日",
    "有效期至", "法律状态", "备注",
]  # fmt: skip
IP_BODY: list[list[Value]] = [
    # 序号, 编号, 名称, 类型, 权利人, 信用代码, 申请日, 授权公告日, 有效期至, 法律状态, 备注
    [1, "ZL 2019 1 0123456.7", "一种智能传感器", "发明", "天津雏鹰甲科技有限公司", USCC_A_FULL_WIDTH,
     "2019-03-05", "2021-06-01", "2039-03-04", "有效", None],
    [2, "ＺＬ２０２０２ ０２３４５６７．８", "一种传感器支架", "实用新型专利", "天津雏鹰甲科技有限公司", USCC_A_FULL_WIDTH,
     "2020/1/5", "2020年9月8日", "2030/1/4", "有 效", None],
    [3, "2021SR0123456", "雏鹰数据采集软件V1.0", "计算机软件著作权", "天津雏鹰乙科技有限公司", USCC_B,
     None, "20210809", None, None, "软件著作权无届满日"],
    [4, "zl202130123456.x", "传感器外壳", "外观设计专利", "天津雏鹰乙科技有限公司", USCC_B,
     "2021-01-04", date(2021, 6, 1), "2023-05-01", "未缴年费终止", None],
    [5, "第12345678号", "雏鹰", "注册商标", "天津雏鹰丙科技有限公司", USCC_C,
     "2019-05-07", "2020.05.07", "2030.05.06", "有效", "第9类"],
    [6, "CNA20191234.5", "津育1号", "植物新品种权", "天津雏鹰丙科技有限公司", USCC_C,
     None, "2021-12-01 00:00:00", None, "有效", None],
    [7, "BS.19501234.5", "传感芯片布图", "布图设计", "天津雏鹰丁科技有限公司", USCC_D,
     None, "2020-02-02", "2029-12-31", "有效", None],
]  # fmt: skip
IP_TOTAL: list[Value] = ["合计", "7 件"]


def ip_rows() -> list[list[Value]]:
    """The list as rows: a title, the header, seven IP rights, a 合计 row, a blank row and a note."""
    return [[IP_TITLE], IP_HEADER, *IP_BODY, IP_TOTAL, [], [IP_NOTE]]


def messy_ip_xlsx() -> bytes:
    """An IP list as a bureau keeps it: title merged across, the first owner's name and credit code
    merged down over both of its patents (rows 3–4), 合计 in row 10, a merged note in row 12."""
    rows = ip_rows()
    rows[3] = [*rows[3][:4], None, None, *rows[3][6:]]  # covered by the merged E3:E4 and F3:F4
    return xlsx({IP_SHEET: rows}, {IP_SHEET: ["A1:K1", "E3:E4", "F3:F4", "A12:K12"]})

"""parse_registrations and parse_ip_records on the exports the linked registers (多库联动) really send:
messy layouts in .xlsx, .xls and GBK CSV, every rule on bad cells, and whole files that must be refused.
Workbooks are built in code by ``workbooks``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from importers import filings
from importers.errors import ImportRejected
from importers.headers import load_spec, match_header
from importers.limits import DEFAULT_LIMITS, Limits
from importers.registers import (
    IP_CLASSES,
    IP_SPEC,
    REGISTRATION_SPEC,
    BusinessRow,
    IpRow,
    RegisterResult,
    normalize_ip_number,
    parse_ip_records,
    parse_registrations,
)
from importers.workbook import read_workbook
from tests.importers import workbooks as wb
from tests.importers.test_filings import PILOT_WARNING, assert_actionable, assert_chinese
from tests.importers.workbooks import (
    IP_SHEET,
    REGISTRATION_SHEET,
    SHEET,
    USCC_A,
    USCC_B,
    USCC_C,
    USCC_D,
    USCC_E,
    USCC_F,
    USCC_G,
    USCC_H,
    USCC_PILOT,
)

Parser = Callable[..., RegisterResult]
IssueKey = tuple[str, int | None, str | None, str | None, str | None, str]
ACCEPTED_TYPES = (
    "可填写：发明专利、国防专利、植物新品种、国家级农作物品种、国家新药、国家一级中药保护品种、集成电路布图设计专有权、"
    "实用新型、外观设计、软件著作权；商标、作品著作权、地理标志可导入，但不计入I类、II类知识产权"
)
LAPSED_NO_DATE = (
    "法律状态为“{}”，但没有填写失效日期：tidu 按会计年度末是否有效计数，请在“有效期至”列填写权利终止的日期"
)


# -- helpers ------------------------------------------------------------------------------------------


def businesses(result: RegisterResult) -> list[BusinessRow]:
    assert result.kind == "registration"
    found = [r for r in result.records if isinstance(r, BusinessRow)]
    assert len(found) == len(result.records)
    return found


def ip_records(result: RegisterResult) -> list[IpRow]:
    assert result.kind == "ip"
    found = [r for r in result.records if isinstance(r, IpRow)]
    assert len(found) == len(result.records)
    return found


def keys(result: RegisterResult) -> list[IssueKey]:
    """Each issue as (severity, row, column, header, raw value, message), in row and column order."""
    return sorted(
        ((i.severity, i.row, i.column, i.header, i.value, i.message) for i in result.issues),
        key=lambda k: (k[1] or 0, k[2] or "", k[0], k[5]),
    )


def valid_rows(result: RegisterResult) -> list[int]:
    return [r.row for r in result.valid_records()]


def rejected(
    parse: Parser, content: bytes, *, sheet: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> str:
    """The rejection's message, after checking that nothing (no partial result) came back."""
    returned: list[RegisterResult] = []
    with pytest.raises(ImportRejected) as caught:
        returned.append(parse(content, sheet=sheet, limits=limits))
    assert returned == []
    return caught.value.message


# -- 1. the registration register's export -------------------------------------------------------------

EXPECTED_BUSINESSES = [
    BusinessRow(4, USCC_A, "天津雏鹰甲科技有限公司", "存续(在营、开业、在册)", date(2019, 3, 5), False, False),
    BusinessRow(5, USCC_B, "天津雏鹰乙科技有限公司", "在业", date(2019, 3, 5), True, False),
    BusinessRow(6, USCC_C, "天津雏鹰丙科技有限公司", "吊销,未注销", date(2019, 3, 5), True, True),
    BusinessRow(7, USCC_D, None, "注销", date(2019, 3, 5), None, None),  # 「—」「/」: not given
    BusinessRow(9, USCC_E, "天津雏鹰戊科技有限公司", "迁出", date(2019, 3, 5), False, False),  # 「无」: not listed
    BusinessRow(10, USCC_G, "天津雏鹰己科技有限公司", "开业", date(2019, 3, 5), False, False),
    BusinessRow(11, USCC_H, "天津雏鹰庚科技有限公司", "存续", date(2019, 3, 5), False, False),
    BusinessRow(12, USCC_F, None, None, None, None, None),  # only its credit code
]  # fmt: skip
REGISTRATION_FORMATS: list[tuple[str, Callable[[], bytes], str, str, str | None]] = [
    ("xlsx", wb.messy_registration_xlsx, "xlsx", REGISTRATION_SHEET, None),
    ("xls", lambda: wb.xls(wb.registration_rows(), REGISTRATION_SHEET), "xls", REGISTRATION_SHEET, None),
    ("csv-gbk", lambda: wb.csv_file(wb.registration_rows(), "gbk"), "csv", "CSV", "gb18030"),
    ("csv-utf8-bom", lambda: wb.csv_file(wb.registration_rows(), "utf-8-sig"), "csv", "CSV", "utf-8-sig"),
]


@pytest.fixture(scope="module")
def registrations() -> RegisterResult:
    return parse_registrations(wb.messy_registration_xlsx())


def test_registration_header_is_found_below_the_title_lines(registrations: RegisterResult) -> None:
    assert (registrations.kind, registrations.file_kind) == ("registration", "xlsx")
    assert (registrations.sheet, registrations.header_row) == (REGISTRATION_SHEET, 3)
    assert {c.letter: (c.header, c.field) for c in registrations.columns} == {
        "A": ("序号", None),
        "B": ("企业名称", "name"),
        "C": ("统一社会信用代码/注册号", "uscc"),
        "D": ("法定代表人", None),
        "E": ("登记状态", "status"),
        "F": ("成立日期", "registered_on"),
        "G": ("注册资本（万元）", None),
        "H": ("登记机关", None),
        "I": ("是否列入经营异常名录", "abnormal_operation"),
        "J": ("是否列入严重违法失信企业名单", "serious_violation"),
        "K": ("住所", None),
        "L": ("标签", None),
    }


def test_registration_records_are_stored_exactly(registrations: RegisterResult) -> None:
    # full-width code folded; status NFKC'd without spaces; six date forms on one day; 是/否/√/×/无/—
    assert businesses(registrations) == EXPECTED_BUSINESSES
    assert valid_rows(registrations) == [4, 5, 6, 7, 9, 10, 11, 12]


def test_registration_blank_serial_only_and_note_rows_are_read_past(registrations: RegisterResult) -> None:
    # blank (8), only a 序号 (13), blank (14), 注 (15)
    assert (registrations.rows_read, registrations.rows_skipped) == (8, 4)


def test_registration_issues_are_exactly_the_unknown_column(registrations: RegisterResult) -> None:
    # 序号, 法定代表人, 注册资本, 登记机关, 住所: read past silently
    assert keys(registrations) == [("warning", 3, "L", "标签", None, "未识别的列“标签”，该列未导入")]
    assert registrations.errors == []
    assert registrations.warnings == registrations.issues


@pytest.mark.parametrize(
    ("build", "kind", "sheet", "encoding"),
    [f[1:] for f in REGISTRATION_FORMATS],
    ids=[f[0] for f in REGISTRATION_FORMATS],
)
def test_registration_every_format_gives_the_same_records(
    build: Callable[[], bytes], kind: str, sheet: str, encoding: str | None
) -> None:
    content = build()
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            content.decode("utf-8")  # really GBK bytes, as Excel on a Chinese Windows saves them
    assert read_workbook(content).encoding == encoding
    result = parse_registrations(content)
    assert (result.file_kind, result.sheet, result.header_row) == (kind, sheet, 3)
    assert businesses(result) == EXPECTED_BUSINESSES
    assert keys(result) == [("warning", 3, "L", "标签", None, "未识别的列“标签”，该列未导入")]


# -- 2. the IP register's list -----------------------------------------------------------------------------

EXPECTED_IP = [
    IpRow(3, "ZL201910123456.7", "发明专利", 1, USCC_A, date(2021, 6, 1), date(2039, 3, 4),
          "天津雏鹰甲科技有限公司", "有效"),
    IpRow(4, "ZL202020234567.8", "实用新型", 2, USCC_A, date(2020, 9, 8), date(2030, 1, 4),
          "天津雏鹰甲科技有限公司", "有效"),
    IpRow(5, "2021SR0123456", "软件著作权", 2, USCC_B, date(2021, 8, 9), None, "天津雏鹰乙科技有限公司", None),
    IpRow(6, "ZL202130123456.X", "外观设计", 2, USCC_B, date(2021, 6, 1), date(2023, 5, 1),
          "天津雏鹰乙科技有限公司", "终止"),
    IpRow(7, "第12345678号", "商标", None, USCC_C, date(2020, 5, 7), date(2030, 5, 6), "天津雏鹰丙科技有限公司", "有效"),
    IpRow(8, "CNA20191234.5", "植物新品种", 1, USCC_C, date(2021, 12, 1), None, "天津雏鹰丙科技有限公司", "有效"),
    IpRow(9, "BS.19501234.5", "集成电路布图设计专有权", 1, USCC_D, date(2020, 2, 2), date(2029, 12, 31),
          "天津雏鹰丁科技有限公司", "有效"),
]  # fmt: skip
IP_FORMATS: list[tuple[str, Callable[[], bytes], str, str, str | None]] = [
    ("xlsx", wb.messy_ip_xlsx, "xlsx", IP_SHEET, None),
    ("xls", lambda: wb.xls(wb.ip_rows(), IP_SHEET), "xls", IP_SHEET, None),
    ("csv-gbk", lambda: wb.csv_file(wb.ip_rows(), "gbk"), "csv", "CSV", "gb18030"),
    ("csv-utf8", lambda: wb.csv_file(wb.ip_rows(), "utf-8"), "csv", "CSV", "utf-8"),
]


@pytest.fixture(scope="module")
def ip_list() -> RegisterResult:
    return parse_ip_records(wb.messy_ip_xlsx())


def test_ip_header_is_found_below_the_title(ip_list: RegisterResult) -> None:
    assert (ip_list.kind, ip_list.file_kind, ip_list.sheet, ip_list.header_row) == ("ip", "xlsx", IP_SHEET, 2)
    assert {c.letter: (c.header, c.field) for c in ip_list.columns} == {
        "A": ("序号", None),
        "B": ("专利号/登记号", "number"),
        "C": ("名称", None),
        "D": ("类型", "ip_type"),
        "E": ("专利权人", "owner_name"),
        "F": ("权利人统一社会信用代码", "uscc"),
        "G": ("申请日", None),
        "H": ("授权公告日", "valid_from"),
        "I": ("有效期至", "valid_to"),
        "J": ("法律状态", "legal_status"),
        "K": ("备注", None),
    }


def test_ip_records_are_stored_exactly(ip_list: RegisterResult) -> None:
    # numbers: spaces out, full-width folded, upper-case; types to their canonical word and class;
    # dates in seven forms; 「有 效」 and 「未缴年费终止」 to the canonical status
    assert ip_records(ip_list) == EXPECTED_IP
    assert valid_rows(ip_list) == [3, 4, 5, 6, 7, 8, 9]


def test_ip_owner_merged_down_over_its_patents_is_given_to_each(ip_list: RegisterResult) -> None:
    second = ip_records(ip_list)[1]
    assert (second.row, second.owner_uscc, second.owner_name) == (4, USCC_A, "天津雏鹰甲科技有限公司")


def test_ip_total_blank_and_note_rows_are_read_past_without_issues(ip_list: RegisterResult) -> None:
    assert (ip_list.rows_read, ip_list.rows_skipped) == (7, 3)  # 合计 (10), blank (11), 注 (12)
    assert ip_list.issues == []  # 序号, 名称, 申请日, 备注: read past silently; 商标 is no issue


@pytest.mark.parametrize(
    ("build", "kind", "sheet", "encoding"), [f[1:] for f in IP_FORMATS], ids=[f[0] for f in IP_FORMATS]
)
def test_ip_every_format_gives_the_same_records(
    build: Callable[[], bytes], kind: str, sheet: str, encoding: str | None
) -> None:
    content = build()
    assert read_workbook(content).encoding == encoding
    result = parse_ip_records(content)
    assert (result.file_kind, result.sheet, result.header_row) == (kind, sheet, 2)
    assert ip_records(result) == EXPECTED_IP
    assert result.issues == []


@pytest.mark.parametrize(
    ("written", "number"),
    [
        ("ZL 2019 1 0123456.7", "ZL201910123456.7"),
        ("ｚｌ２０１９１０１２３４５６．７", "ZL201910123456.7"),
        ("\tZL201910123456.7\u3000", "ZL201910123456.7"),
        ("2021sr0123456", "2021SR0123456"),
    ],
)
def test_ip_numbers_are_normalised(written: str, number: str) -> None:
    assert normalize_ip_number(written) == number


TYPES: list[tuple[str, str, int | None]] = [
    ("发明", "发明专利", 1), ("发明专利", "发明专利", 1), ("国防专利", "国防专利", 1),
    ("植物新品种权", "植物新品种", 1), ("国家级农作物品种", "国家级农作物品种", 1), ("新药证书", "国家新药", 1),
    ("一级中药保护品种", "国家一级中药保护品种", 1), ("集成电路布图设计", "集成电路布图设计专有权", 1),
    ("实用新型", "实用新型", 2), ("外观专利", "外观设计", 2), ("软著", "软件著作权", 2),
    ("计算机软件著作权登记", "软件著作权", 2), ("商标", "商标", None), ("注册商标", "商标", None),
    ("作品登记", "作品著作权", None), ("地理标志", "地理标志", None), ("实用 新型", "实用新型", 2),
]  # fmt: skip


def test_ip_types_land_on_their_canonical_word_and_class() -> None:
    rows: list[list[wb.Value]] = [["专利号", "知识产权类型", "权利人统一社会信用代码"]]
    rows += [[f"ZL20191000{i:04d}.1", written, USCC_A] for i, (written, _, _) in enumerate(TYPES)]
    result = parse_ip_records(wb.xlsx_rows(rows))
    assert result.issues == []
    assert [(r.ip_type, r.ip_class) for r in ip_records(result)] == [(t, c) for _, t, c in TYPES]


def test_every_ip_type_written_lands_on_a_classified_type() -> None:
    choices = load_spec(IP_SPEC).by_field("ip_type").choices
    assert set(choices.values()) == set(IP_CLASSES)  # and each canonical word is accepted as written
    assert {t for t, c in IP_CLASSES.items() if c == 1} == {
        "发明专利", "国防专利", "植物新品种", "国家级农作物品种", "国家新药", "国家一级中药保护品种", "集成电路布图设计专有权",
    }  # fmt: skip
    assert {t for t, c in IP_CLASSES.items() if c == 2} == {"实用新型", "外观设计", "软件著作权"}


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("专利号", "number"), ("申请号", "number"), ("登记号", "number"), ("证书号", "number"), ("授权号", "number"),
        ("商标注册号", "number"), ("软件著作权登记号", "number"), ("知识产权类型", "ip_type"), ("专利类型", "ip_type"),
        ("权利人统一社会信用代码", "uscc"), ("专利权人信用代码", "uscc"), ("著作权人信用代码", "uscc"),
        ("品种权人信用代码", "uscc"), ("统一社会信用代码", "uscc"), ("专利权人", "owner_name"), ("权利人", "owner_name"),
        ("著作权人", "owner_name"), ("授权日", "valid_from"), ("授权公告日", "valid_from"), ("登记日期", "valid_from"),
        ("生效日期", "valid_from"), ("有效期至", "valid_to"), ("届满日", "valid_to"), ("失效日期", "valid_to"),
        ("终止日期", "valid_to"), ("法律状态", "legal_status"), ("当前法律状态", "legal_status"),
        ("授权公告号", None), ("申请日", None), ("专利名称", None),
    ],
)  # fmt: skip
def test_ip_headers_as_lists_write_them(header: str, field: str | None) -> None:
    spec = match_header(header, load_spec(IP_SPEC)).spec
    assert (spec.field if spec else None) == field


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("统一社会信用代码", "uscc"), ("信用代码", "uscc"), ("企业名称", "name"), ("企业（机构）名称", "name"),
        ("登记状态", "status"), ("经营状态", "status"), ("成立日期", "registered_on"), ("注册日期", "registered_on"),
        ("列入经营异常名录", "abnormal_operation"), ("经营异常名录", "abnormal_operation"),
        ("列入严重违法失信企业名单", "serious_violation"), ("严重违法失信名单", "serious_violation"),
        ("核准日期", None), ("注册号", None),
    ],
)  # fmt: skip
def test_registration_headers_as_exports_write_them(header: str, field: str | None) -> None:
    spec = match_header(header, load_spec(REGISTRATION_SPEC)).spec
    assert (spec.field if spec else None) == field


# -- 3. IP rules ------------------------------------------------------------------------------------------

IP_BAD_ROWS: list[list[wb.Value]] = [
    ["专利号", "知识产权类型", "权利人统一社会信用代码", "授权日", "有效期至", "法律状态"],
    ["ZL201910000001.1", "专利", USCC_A, "2020-01-01", None, "有效"],  # 2: unknown type
    ["ZL201910000002.2", "发明专利", wb.USCC_A_BAD_CHECK, "2020-01-01", None, "有效"],  # 3
    ["ZL201910000003.3", "发明专利", None, "2020-01-01", None, "有效"],  # 4
    ["ZL201910000004.4", "发明专利", USCC_PILOT, "2020-01-01", None, "有效"],  # 5: a warning only
    ["ZL201910000005.5", "实用新型", USCC_A, "2020-01-01", None, "有效"],  # 6: the first
    ["zl 201910000005.5", "实用新型", USCC_B, "2020-01-01", None, "有效"],  # 7: the same number again
    ["ZL201910000006.6", "发明专利", USCC_A, "2021-05-01", "2020-05-01", "有效"],  # 8: ends before it starts
    ["ZL201910000007.7", "发明专利", USCC_A, "2020-01-01", None, "失效"],  # 9: lapsed, no date
    ["ZL201910000008.8", "发明专利", USCC_A, "2020-01-01", "2023-02-30", "终止"],  # 10: lapsed, bad date
    [None, "发明专利", USCC_A, "2020-01-01", None, "有效"],  # 11
    ["ZL201910000009.9", None, USCC_A, "2020-01-01", None, "有效"],  # 12
    ["ZL201910000010.0", "发明专利", USCC_A, None, None, "实质审查"],  # 13: an application
    ["ZL201910000011.1", "发明专利", USCC_A, "2020-01-01", None, "待定"],  # 14
    ["待补充", "发明专利", USCC_A, "2020-01-01", None, "有效"],  # 15
    ["2022SR0000001", "软著", USCC_C, "2022-01-01", "2023-01-01", "放弃"],  # 16: lapsed, dated
    ["55667788", "商标", USCC_C, "2020-01-01", None, None],  # 17: imported, not counted
]
IP_BAD_ISSUES: list[IssueKey] = [
    ("error", 2, "B", "知识产权类型", "专利", f"“专利”不是可识别的知识产权类型（{ACCEPTED_TYPES}）"),
    ("error", 3, "C", "权利人统一社会信用代码", wb.USCC_A_BAD_CHECK,
     "统一社会信用代码“91120223MA05ABCD1R”无效：校验码应为“Q”，实际为“R”"),
    ("error", 4, "C", "权利人统一社会信用代码", None,
     "缺少权利人的统一社会信用代码：请填写权利人（企业）的18位统一社会信用代码"),
    ("warning", 5, "C", "权利人统一社会信用代码", USCC_PILOT, PILOT_WARNING),
    ("error", 7, "A", "专利号", "ZL201910000005.5", "与第 6 行重复：同一编号的知识产权出现两次，请只保留一行"),
    ("error", 8, "E", "有效期至", "2020-05-01", "“有效期至”（2020-05-01）早于“授权日”（2021-05-01）：请核对这两个日期"),
    ("error", 9, "E", "有效期至", None, LAPSED_NO_DATE.format("失效")),
    ("error", 10, "E", "有效期至", "2023-02-30", "“2023-02-30”不是有效日期"),
    ("error", 11, "A", "专利号", None, "缺少知识产权编号：请填写专利号、登记号或证书号"),
    ("error", 12, "B", "知识产权类型", None, f"缺少知识产权类型：请填写类型（{ACCEPTED_TYPES}）"),
    ("error", 13, "F", "法律状态", "实质审查",
     "法律状态“实质审查”表示申请尚未授权，不是有效的知识产权：请删除该行，授权后再导入"),
    ("error", 14, "F", "法律状态", "待定", "“待定”不是可识别的法律状态（可填写：有效、失效、终止、无效、放弃、撤销、届满）"),
    ("error", 15, "A", "专利号", "待补充",
     "“待补充”不是知识产权编号：请填写专利号、登记号或证书号（如 ZL201910123456.7、2021SR0123456）"),
]  # fmt: skip


@pytest.fixture(scope="module")
def bad_ip() -> RegisterResult:
    return parse_ip_records(wb.xlsx_rows(IP_BAD_ROWS))


def test_ip_bad_cells_are_exactly_these_issues(bad_ip: RegisterResult) -> None:
    assert keys(bad_ip) == IP_BAD_ISSUES
    assert {i.sheet for i in bad_ip.issues} == {SHEET}
    assert {(i.row, i.field) for i in bad_ip.issues if i.row in (7, 8, 9)} == {
        (7, "number"), (8, "valid_to"), (9, "valid_to"),
    }  # fmt: skip


def test_ip_only_rows_without_an_error_are_valid(bad_ip: RegisterResult) -> None:
    assert valid_rows(bad_ip) == [5, 6, 16, 17]
    assert [r for r in ip_records(bad_ip) if r.row in (16, 17)] == [
        IpRow(16, "2022SR0000001", "软件著作权", 2, USCC_C, date(2022, 1, 1), date(2023, 1, 1), None, "放弃"),
        IpRow(17, "55667788", "商标", None, USCC_C, date(2020, 1, 1), None, None, None),
    ]


def test_ip_rows_missing_their_key_give_no_record(bad_ip: RegisterResult) -> None:
    # no number (11, 15), no type (2, 12), no accepted owner code (3, 4): nothing to store
    assert [r.row for r in ip_records(bad_ip)] == [5, 6, 7, 8, 9, 10, 13, 14, 16, 17]


def test_ip_duplicate_names_the_first_row_and_leaves_it_alone(bad_ip: RegisterResult) -> None:
    assert not [i for i in bad_ip.issues if i.row == 6]
    assert [r.owner_uscc for r in bad_ip.valid_records() if isinstance(r, IpRow) and r.row in (6, 7)] == [
        USCC_A
    ]


def test_ip_duplicate_of_a_row_with_its_own_error_is_still_found() -> None:
    rows: list[list[wb.Value]] = [
        ["专利号", "知识产权类型", "权利人统一社会信用代码"],
        ["ZL201910000001.1", "发明专利", wb.USCC_A_BAD_CHECK],
        ["ZL 201910000001.1", "发明专利", USCC_B],
    ]
    result = parse_ip_records(wb.xlsx_rows(rows))
    assert [(i.row, i.column, i.message) for i in result.errors] == [
        (2, "C", "统一社会信用代码“91120223MA05ABCD1R”无效：校验码应为“Q”，实际为“R”"),
        (3, "A", "与第 2 行重复：同一编号的知识产权出现两次，请只保留一行"),
    ]


@pytest.mark.parametrize(
    "status", ["失效", "终止", "无效", "放弃", "撤销", "届满", "期限届满", "未缴年费终止", "否"]
)
def test_ip_every_lapsed_status_needs_its_end_date(status: str) -> None:
    rows: list[list[wb.Value]] = [
        ["专利号", "知识产权类型", "权利人统一社会信用代码", "授权日", "失效日期", "法律状态"],
        ["ZL201910000001.1", "发明专利", USCC_A, "2020-01-01", None, status],
        ["ZL201910000002.2", "发明专利", USCC_A, "2020-01-01", "2024-06-30", status],
    ]
    result = parse_ip_records(wb.xlsx_rows(rows))
    assert [(i.severity, i.row, i.column, i.header, i.field) for i in result.issues] == [
        ("error", 2, "E", "失效日期", "valid_to")
    ]
    assert f"法律状态为“{status}”，但没有填写失效日期" in result.issues[0].message
    assert "请在“失效日期”列填写" in result.issues[0].message
    assert valid_rows(result) == [3]


def test_ip_lapsed_status_without_any_end_date_column_is_an_error_on_the_status() -> None:
    rows: list[list[wb.Value]] = [
        ["专利号", "知识产权类型", "权利人统一社会信用代码", "法律状态"],
        ["ZL201910000001.1", "发明专利", USCC_A, "专利权终止"],
        ["ZL201910000002.2", "发明专利", USCC_A, "有效"],
    ]
    result = parse_ip_records(wb.xlsx_rows(rows))
    assert keys(result) == [
        ("error", 2, "D", "法律状态", "专利权终止",
         "法律状态为“专利权终止”，但表中没有失效日期列：tidu 按会计年度末是否有效计数，请加“失效日期”列并填写"),
    ]  # fmt: skip
    assert valid_rows(result) == [3]


def test_ip_number_merged_down_is_an_error_on_the_covered_row() -> None:
    rows: list[list[wb.Value]] = [
        ["专利号", "知识产权类型", "权利人统一社会信用代码"],
        ["ZL201910000001.1", "发明专利", USCC_A],
        [None, "发明专利", USCC_B],
    ]
    result = parse_ip_records(wb.xlsx({SHEET: rows}, {SHEET: ["A2:A3"]}))
    assert keys(result) == [
        (
            "error",
            3,
            "A",
            "专利号",
            None,
            "该单元格与第 2 行合并：每件知识产权的编号须各占一格，请取消合并后分别填写",
        )
    ]
    assert valid_rows(result) == [2]


# -- 4. registration rules --------------------------------------------------------------------------------

REGISTRATION_BAD_ROWS: list[list[wb.Value]] = [
    [
        "序号",
        "企业名称",
        "统一社会信用代码",
        "登记状态",
        "成立日期",
        "列入经营异常名录",
        "列入严重违法失信企业名单",
    ],
    [1, "天津甲科技有限公司", wb.USCC_A_BAD_CHECK, "存续", "2019-03-05", "否", "否"],  # 2
    [2, "天津乙科技有限公司", None, "存续", "2019-03-05", "否", "否"],  # 3: a name, no code
    [3, "天津丙科技有限公司", USCC_A, "存续", "2019-03-05", "否", "否"],  # 4: the first
    [4, "天津丙科技有限公司", wb.USCC_A_FULL_WIDTH, "存续", "2019-03-05", "否", "否"],  # 5: again
    [5, "厦门试点科技有限公司", USCC_PILOT, "存续", "2015-06-01", "否", "否"],  # 6: a warning only
    [6, "天津丁科技有限公司", USCC_B, "存续", "2019-02-30", "否", "否"],  # 7
    [7, "天津戊科技有限公司", USCC_C, "存续", "2019-03-05", "待查", "否"],  # 8
    [8, "天津己科技有限公司", USCC_D, "存续", "2999-01-01", None, None],  # 9: founded in the future
    [9, None, USCC_E],  # 10: only the code
    [10],  # 11: only a 序号
    [],  # 12: empty
    [11, "天津庚科技有限公司", USCC_F, "存 续", "2019-03-05", "是", "否"],  # 13
]
REGISTRATION_BAD_ISSUES: list[IssueKey] = [
    ("error", 2, "C", "统一社会信用代码", wb.USCC_A_BAD_CHECK,
     "统一社会信用代码“91120223MA05ABCD1R”无效：校验码应为“Q”，实际为“R”"),
    ("error", 3, "C", "统一社会信用代码", None, "缺少统一社会信用代码：请填写企业的18位统一社会信用代码"),
    ("error", 5, "C", "统一社会信用代码", USCC_A, "与第 4 行重复：同一企业出现两次，请只保留一行"),
    ("warning", 6, "C", "统一社会信用代码", USCC_PILOT, PILOT_WARNING),
    ("error", 7, "E", "成立日期", "2019-02-30", "“2019-02-30”不是有效日期"),
    ("error", 8, "F", "列入经营异常名录", "待查", "“待查”应为 是/否"),
    ("error", 9, "E", "成立日期", "2999-01-01", "成立日期不能晚于今天：请核对日期"),
]  # fmt: skip


@pytest.fixture(scope="module")
def bad_registrations() -> RegisterResult:
    return parse_registrations(wb.xlsx_rows(REGISTRATION_BAD_ROWS))


def test_registration_bad_cells_are_exactly_these_issues(bad_registrations: RegisterResult) -> None:
    assert keys(bad_registrations) == REGISTRATION_BAD_ISSUES
    assert {i.field for i in bad_registrations.issues if i.row == 9} == {"registered_on"}


def test_registration_only_rows_without_an_error_are_valid(bad_registrations: RegisterResult) -> None:
    assert valid_rows(bad_registrations) == [4, 6, 10, 13]
    assert [r for r in businesses(bad_registrations) if r.row in (10, 13)] == [
        BusinessRow(10, USCC_E, None, None, None, None, None),
        BusinessRow(13, USCC_F, "天津庚科技有限公司", "存续", date(2019, 3, 5), True, False),
    ]


def test_registration_code_only_row_is_kept_and_empty_rows_are_read_past(
    bad_registrations: RegisterResult,
) -> None:
    assert (bad_registrations.rows_read, bad_registrations.rows_skipped) == (10, 2)
    assert not [i for i in bad_registrations.issues if i.row in (10, 11, 12)]


def test_registration_rows_without_a_code_give_no_record(bad_registrations: RegisterResult) -> None:
    assert [r.row for r in businesses(bad_registrations)] == [4, 5, 6, 7, 8, 9, 10, 13]


def test_registration_status_too_long_for_the_register_is_an_error() -> None:
    status = "存续（在营、开业、在册）经营期限至二〇四九年十二月三十一日止"
    rows: list[list[wb.Value]] = [["统一社会信用代码", "登记状态"], [USCC_A, status]]
    result = parse_registrations(wb.xlsx_rows(rows))
    assert keys(result) == [
        ("error", 2, "B", "登记状态", "存续(在营、开业、在册)经营期限至二〇四九年十二月三十一日止",  # NFKC, as every value
         "登记状态“存续(在营、开业、在册)经营期限至二〇四九年十二月三十一日止”过长（上限 20 个字）："
         "请只填写状态，如“存续”“吊销”“注销”"),
    ]  # fmt: skip


def test_registration_shared_status_may_be_merged_but_a_name_may_not() -> None:
    rows: list[list[wb.Value]] = [
        ["统一社会信用代码", "企业名称", "登记状态"],
        [USCC_A, "天津甲科技有限公司", "存续"],
        [USCC_B, None, None],
    ]
    result = parse_registrations(wb.xlsx({SHEET: rows}, {SHEET: ["B2:B3", "C2:C3"]}))
    assert keys(result) == [
        (
            "error",
            3,
            "B",
            "企业名称",
            None,
            "该单元格与第 2 行合并：每家企业的登记信息须各占一格，请取消合并后分别填写",
        )
    ]
    assert [(r.row, r.name, r.status) for r in businesses(result)] == [
        (2, "天津甲科技有限公司", "存续"), (3, None, "存续"),
    ]  # fmt: skip


# -- 5. the shared pipeline: cells and files --------------------------------------------------------------


def test_issues_are_the_filing_importers_issues(
    bad_ip: RegisterResult, bad_registrations: RegisterResult
) -> None:
    assert all(type(i) is filings.Issue for i in [*bad_ip.issues, *bad_registrations.issues])


def test_every_message_of_these_rules_is_chinese_and_says_what_to_do(
    bad_ip: RegisterResult, bad_registrations: RegisterResult
) -> None:
    shared = (PILOT_WARNING, "无效：校验码", "应为 是/否", "不是有效日期")  # worded by the filing importer
    for issue in [*bad_ip.issues, *bad_registrations.issues]:
        assert_chinese(issue.message)
        if not any(words in issue.message for words in shared):
            assert_actionable(issue.message)


@pytest.mark.parametrize(
    ("first", "column", "records"),
    [
        ([wb.HUGE_MARK, USCC_A], "A", [(2, None), (3, "天津乙科技有限公司")]),  # a name: optional
        (["天津甲科技有限公司", wb.HUGE_MARK], "B", [(3, "天津乙科技有限公司")]),  # the code: no second error
    ],
    ids=["name", "credit-code"],
)
def test_an_over_long_cell_is_one_error_on_that_cell(
    first: list[wb.Value], column: str, records: list[tuple[int, str | None]]
) -> None:
    rows: list[list[wb.Value]] = [["企业名称", "统一社会信用代码"], first, ["天津乙科技有限公司", USCC_B]]
    result = parse_registrations(wb.huge_cell_xlsx(rows, 100_000))
    assert [(i.severity, i.row, i.column, i.message) for i in result.issues] == [
        ("error", 2, column, "单元格内容过长（100000 个字符，上限 32767 个）")
    ]
    assert [(r.row, r.name) for r in businesses(result)] == records
    assert valid_rows(result) == [3]


def test_formulas_are_read_as_their_saved_results_and_flagged() -> None:
    rows: list[list[wb.Value]] = [["专利号", "知识产权类型", "权利人统一社会信用代码", "授权日"]]
    rows += [["ZL201910000001.1", "发明专利", USCC_A, None], ["ZL201910000002.2", "发明专利", USCC_A, None]]
    content = wb.xlsx_with_formulas(
        rows, {"D2": ("=DATE(2021,6,1)", 44348), "D3": ('="2021-06-02"', "2021-06-02")}
    )
    result = parse_ip_records(content)
    assert [(r.row, r.valid_from) for r in ip_records(result)] == [
        (2, date(2021, 6, 1)),
        (3, date(2021, 6, 2)),
    ]
    warning = "单元格是公式：已按文件中保存的计算结果导入，请核对"
    assert keys(result) == [
        ("warning", 2, "D", None, None, warning),
        ("warning", 3, "D", None, None, warning),
    ]


def test_registration_export_without_a_credit_code_column_is_refused() -> None:
    content = wb.xlsx_rows(
        [[wb.REGISTRATION_TITLE], ["企业名称", "登记状态"], ["天津甲科技有限公司", "存续"]]
    )
    message = rejected(parse_registrations, content)
    assert message == (
        f"工作表“{SHEET}”中找不到表头：表头须在前几行，用中文写明“统一社会信用代码”“企业名称”“登记状态”“成立日期”等列"
    )
    assert_actionable(message)


def test_ip_list_naming_owners_without_their_credit_codes_is_refused() -> None:
    content = wb.xlsx_rows(
        [["专利号", "知识产权类型", "专利权人"], ["ZL201910000001.1", "发明专利", "天津甲科技有限公司"]]
    )
    message = rejected(parse_ip_records, content)
    assert message.startswith(f"工作表“{SHEET}”中找不到表头：")
    assert "“权利人统一社会信用代码”" in message
    assert_actionable(message)


def test_ip_list_without_a_number_or_type_column_is_refused() -> None:
    content = wb.xlsx_rows([["权利人统一社会信用代码", "授权日"], [USCC_A, "2021-06-01"]])
    message = rejected(parse_ip_records, content)
    assert message == (
        f"工作表“{SHEET}”缺少“专利号”、“知识产权类型”列：请加上后重新导入"
        "（“专利号”也可写作“专利号/登记号”、“登记号”、“申请号”；“知识产权类型”也可写作“类型”、“专利类型”、“知识产权类别”）"
    )
    assert_actionable(message)


def test_a_registration_export_is_no_ip_list() -> None:
    message = rejected(parse_ip_records, wb.messy_registration_xlsx())
    assert message.startswith(f"工作表“{REGISTRATION_SHEET}”缺少“专利号”、“知识产权类型”列")


def two_register_sheets() -> bytes:
    sheet: list[list[wb.Value]] = [["统一社会信用代码", "登记状态"], [USCC_A, "存续"]]
    other: list[list[wb.Value]] = [["统一社会信用代码", "登记状态"], [USCC_B, "注销"]]
    return wb.xlsx({"静海区": sheet, "滨海新区": other, "填表说明": [["填表说明"]]})


def test_two_register_sheets_are_listed_then_one_is_chosen() -> None:
    message = rejected(parse_registrations, two_register_sheets())
    assert message == "工作簿中有 2 个工作表像企业登记信息表（静海区、滨海新区）：请指定要导入的工作表"
    chosen = parse_registrations(two_register_sheets(), sheet="滨海新区")
    assert (chosen.sheet, businesses(chosen)) == (
        "滨海新区",
        [BusinessRow(2, USCC_B, None, "注销", None, None, None)],
    )
    missing = rejected(parse_registrations, two_register_sheets(), sheet="和平区")
    assert missing == "工作簿中没有名为“和平区”的工作表（有：静海区、滨海新区、填表说明）"


def test_too_many_rows() -> None:
    message = rejected(parse_ip_records, wb.messy_ip_xlsx(), limits=Limits(max_rows=5))
    # Below the header: seven rights, 合计, a blank row (not counted) and the note.
    assert message == f"工作表“{IP_SHEET}”数据行过多（9 行，上限 5 行）"
    assert_actionable(message)


@pytest.mark.parametrize("parse", [parse_registrations, parse_ip_records], ids=["registration", "ip"])
def test_bytes_that_are_not_a_spreadsheet_are_refused(parse: Parser) -> None:
    message = rejected(parse, wb.png_image())
    assert message == "不是电子表格文件：请上传 .xlsx、.xls、.xlsm、.ods 或 .csv 文件"

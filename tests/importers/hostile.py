"""Hostile workbooks, built in code and small on disk: zips that lie about their sizes, bombs,
workbooks of hundreds of sheets, a single space far away, repeat bombs, lying record headers.

A member that expands to a gigabyte is never held expanded here: its deflate stream is made of
one deflated block (compressed once, from a fresh state and fully flushed, so it refers to nothing
before it) repeated as many times as asked, which is a valid stream of about 1 KB per MB. Zips
are written member by member (local header, data, central directory), so a test can then patch a
declared size exactly where a reader finds it.
"""

from __future__ import annotations

import io
import random
import re
import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

import xlsxwriter  # type: ignore[import-untyped]
import xlwt  # type: ignore[import-untyped]

from importers.workbook import column_letter
from tests.importers import workbooks as wb

MB = 1024 * 1024
FILING_HEADER: list[wb.Value] = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "会计年度",
    "研发费用（万元）",
    "职工总数",
]
FIRMS: list[list[wb.Value]] = [
    [1, "天津甲科技有限公司", wb.USCC_A, 2024, 5, 10],
    [2, "天津乙科技有限公司", wb.USCC_B, 2024, 6, 12],
    [3, "天津丙科技有限公司", wb.USCC_C, 2024, 7, 14],
    [4, "天津丁科技有限公司", wb.USCC_D, 2024, 8, 16],
]


def filing_rows() -> list[list[wb.Value]]:
    return [FILING_HEADER, *FIRMS]


SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"
SPACE = '<is><t xml:space="preserve"> </t></is>'


@dataclass(frozen=True)
class Member:
    name: str
    raw: bytes  # as stored in the zip: a raw deflate stream (method 8) or the bytes themselves (0)
    crc: int
    size: int  # expanded
    method: int = zipfile.ZIP_DEFLATED


def deflated(name: str, data: bytes) -> Member:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Member(name, packer.compress(data) + packer.flush(), zlib.crc32(data), len(data))


def repeated(name: str, parts: Sequence[tuple[bytes, int]]) -> Member:
    """A member whose content is each part repeated ``times``, without ever holding it expanded."""
    raw, crc, size = b"", 0, 0
    for data, times in parts:
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        raw += (packer.compress(data) + packer.flush(zlib.Z_FULL_FLUSH)) * times
        for _ in range(times):
            crc = zlib.crc32(data, crc)
        size += len(data) * times
    return Member(name, raw + b"\x03\x00", crc, size)  # 03 00: an empty final block


def zip_of(members: Sequence[Member]) -> bytes:
    """A zip of ``members`` in order: local headers and data, then the central directory."""
    out = io.BytesIO()
    directory = b""
    for member in members:
        name = member.name.encode()
        offset = out.tell()
        fields = (20, 0x800, member.method, 0, 0x21, member.crc, len(member.raw), member.size, len(name))
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields, 0) + name + member.raw)
        directory += struct.pack("<IH", 0x02014B50, 20) + struct.pack(
            "<HHHHHIIIHHHHHII", *fields, 0, 0, 0, 0, 0, offset
        )
        directory += name
    start = out.tell()
    out.write(directory)
    out.write(
        struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), start, 0)
    )
    return out.getvalue()


def members_of(content: bytes) -> list[Member]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return [deflated(info.filename, archive.read(info)) for info in archive.infolist()]


def replaced(content: bytes, *new: Member) -> bytes:
    """The zip with members of the same name replaced (others kept, in order) and new ones added."""
    by_name = {m.name: m for m in new}
    kept = [by_name.pop(m.name, m) for m in members_of(content)]
    return zip_of([*kept, *by_name.values()])


def understate(content: bytes, name: str, declared: int) -> bytes:
    """The zip with ``name``'s expanded size patched to ``declared`` in its local header and in the
    central directory (the two places readers take it from); everything else untouched."""
    patched = bytearray(content)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo(name)
    struct.pack_into("<I", patched, info.header_offset + 22, declared)
    (start,) = struct.unpack_from("<I", content, content.rindex(b"PK\x05\x06") + 16)
    position = start
    while content[position : position + 4] == b"PK\x01\x02":
        name_length, extra, comment = struct.unpack_from("<HHH", content, position + 28)
        if content[position + 46 : position + 46 + name_length] == name.encode():
            struct.pack_into("<I", patched, position + 24, declared)
        position += 46 + name_length + extra + comment
    return bytes(patched)


# -- sheet XML -----------------------------------------------------------------------------------


def cell_xml(ref: str, value: object) -> str:
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def rows_xml(rows: wb.Rows, first: int = 1) -> bytes:
    out = []
    for number, row in enumerate(rows, start=first):
        cells = "".join(
            cell_xml(f"{column_letter(c)}{number}", v) for c, v in enumerate(row, 1) if v is not None
        )
        out.append(f'<row r="{number}">{cells}</row>')
    return "".join(out).encode()


def filing_sheet(*tail: tuple[bytes, int]) -> list[tuple[bytes, int]]:
    """The parts of a sheet holding the filing header and four firms, then ``tail`` parts."""
    return [(SHEET_HEAD + rows_xml([FILING_HEADER, *FIRMS]), 1), *tail, (SHEET_TAIL, 1)]


def with_sheet(parts: Sequence[tuple[bytes, int]]) -> bytes:
    """A real .xlsx (written by openpyxl) whose first sheet's XML is made of ``parts``."""
    return replaced(wb.xlsx_rows([["x"]], wb.SHEET), repeated("xl/worksheets/sheet1.xml", parts))


def filler_rows(megabytes: int) -> tuple[bytes, int]:
    """About ``megabytes`` MB of rows each holding one text cell (rows without numbers follow on)."""
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    return row * (MB // len(row)), megabytes


# -- zips that lie, bombs ------------------------------------------------------------------------


def lying_xlsx(megabytes: int, declared: int = 1024) -> bytes:
    """A filing workbook whose sheet says it expands to ``declared`` bytes but holds ``megabytes`` MB
    of rows: a ratio check on the declared sizes sees nothing wrong."""
    content = with_sheet(filing_sheet(filler_rows(megabytes)))
    return understate(content, "xl/worksheets/sheet1.xml", declared)


def honest_sheet_bomb(megabytes: int) -> bytes:
    """The same rows with their true size declared."""
    return with_sheet(filing_sheet(filler_rows(megabytes)))


def nested_bomb_xlsx() -> bytes:
    """A filing workbook carrying, as an embedded object, a zip whose member is 1 GB of zeros."""
    inner = zip_of([repeated("zeros.bin", [(bytes(MB), 1024)])])
    return replaced(wb.xlsx_rows([FILING_HEADER, *FIRMS]), Member("xl/embeddings/oleObject1.bin", inner,
                                                                  zlib.crc32(inner), len(inner), 0))  # fmt: skip


def shared_strings_xlsx(strings: Sequence[tuple[bytes, int]], unique_count: str | None = None) -> bytes:
    """A filing workbook (xlsxwriter, so its text is in xl/sharedStrings.xml) whose shared strings are
    followed by ``strings`` parts (``<si>…</si>`` items, repeated), declaring ``unique_count``."""
    base = shared_strings_filing()
    with zipfile.ZipFile(io.BytesIO(base)) as archive:
        original = archive.read("xl/sharedStrings.xml")
    body = original[: original.rindex(b"</sst>")]
    if unique_count is not None:
        body = re.sub(rb'uniqueCount="\d+"', f'uniqueCount="{unique_count}"'.encode(), body, count=1)
    return replaced(base, repeated("xl/sharedStrings.xml", [(body, 1), *strings, (b"</sst>", 1)]))


def shared_strings_filing() -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(wb.SHEET)
    for r, row in enumerate([FILING_HEADER, *FIRMS]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


def text_items(megabytes: int, ratio: int = 100) -> tuple[bytes, int]:
    """About ``megabytes`` MB of distinct-looking shared strings that deflate only about ``ratio``:1
    (each MB carries incompressible hex), so no ratio check refuses them."""
    noise = random.Random(5).randbytes(MB // ratio // 2).hex()
    filler = "天津市静海区科技型企业" * 2_000
    items, size, n = [], 0, 0
    while size < MB:
        text = f"<si><t>{noise[n * 64 : n * 64 + 64]}{filler[:500]}</t></si>".encode()
        items.append(text)
        size += len(text)
        n += 1
    return b"".join(items), megabytes


PACKAGE = "http://schemas.openxmlformats.org/package/2006"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
BOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def many_sheets_xlsx(count: int, rows: int = 10, columns: int = 5) -> bytes:
    """A workbook of ``count`` sheets each holding ``rows`` × ``columns`` numbers; every sheet's
    member is the same deflated bytes, so 590 sheets of 17,000 cells stay under a megabyte."""
    row = b"<row>" + b"<c><v>1</v></c>" * columns + b"</row>"
    sheet = repeated("", [(SHEET_HEAD + row * rows + SHEET_TAIL, 1)])
    numbers = range(1, count + 1)
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{PACKAGE}/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{BOOK_TYPE}"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{SHEET_TYPE}"/>' for n in numbers
        )
        + "</Types>",
        "_rels/.rels": f'<Relationships xmlns="{PACKAGE}/relationships">'
        f'<Relationship Id="rId1" Type="{OFFICE}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{OFFICE}"><sheets>'
        + "".join(f'<sheet name="表{n}" sheetId="{n}" r:id="rId{n}"/>' for n in numbers)
        + "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PACKAGE}/relationships">'
        + "".join(
            f'<Relationship Id="rId{n}" Type="{OFFICE}/worksheet" Target="worksheets/sheet{n}.xml"/>'
            for n in numbers
        )
        + "</Relationships>",
    }
    return zip_of(
        [
            *(
                deflated(name, f'<?xml version="1.0" encoding="UTF-8"?>{xml}'.encode())
                for name, xml in parts.items()
            ),
            *(Member(f"xl/worksheets/sheet{n}.xml", sheet.raw, sheet.crc, sheet.size) for n in numbers),
        ]
    )


# -- far-away cells -------------------------------------------------------------------------------


def with_rows(content: bytes, rows: bytes, sheet: str = "xl/worksheets/sheet1.xml") -> bytes:
    """The workbook with ``rows`` (sheet XML) added at the end of a sheet's data."""

    def add(xml: bytes) -> bytes:
        end = xml.index(b"</sheetData>")
        return xml[:end] + rows + xml[end:]

    return wb.rewrite_zip(content, {sheet: add})


def far_space(ref: str) -> bytes:
    """The filing workbook with a single space in cell ``ref`` (an inline string, as typed)."""
    row = re.sub(r"^[A-Z]+", "", ref)
    cell = f'<row r="{row}"><c r="{ref}" t="inlineStr">{SPACE}</c></row>'
    return with_rows(wb.xlsx_rows([FILING_HEADER, *FIRMS]), cell.encode())


def far_cell(cell: str) -> bytes:
    """The filing workbook with ``cell`` (sheet XML of a row, written as given) after its rows."""
    return with_rows(wb.xlsx_rows([FILING_HEADER, *FIRMS]), cell.encode())


def merged_ranges(count: int) -> bytes:
    """The filing workbook with ``count`` merged ranges (two cells each) below its rows."""
    merges = "".join(f'<mergeCell ref="A{r}:B{r}"/>' for r in range(10, 10 + count))
    tail = f'<mergeCells count="{count}">{merges}</mergeCells></worksheet>'.encode()
    return wb.rewrite_zip(
        wb.xlsx_rows(filing_rows()), {"xl/worksheets/sheet1.xml": lambda x: x.replace(b"</worksheet>", tail)}
    )


def xls_merged_ranges(count: int) -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet(wb.SHEET)
    for r, row in enumerate(filing_rows()):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    for r in range(10, 10 + count):
        sheet.merge(r, r, 0, 1)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def far_shared_space(ref: str) -> bytes:
    """The same with the space as a shared string, the way Excel saves it."""
    base = shared_strings_filing()
    with zipfile.ZipFile(io.BytesIO(base)) as archive:
        strings = archive.read("xl/sharedStrings.xml")
    index = strings.count(b"<si>")

    def add_space(xml: bytes) -> bytes:
        xml = re.sub(
            rb'count="\d+" uniqueCount="\d+"', f'count="{index + 1}" uniqueCount="{index + 1}"'.encode(), xml
        )
        return xml.replace(b"</sst>", b'<si><t xml:space="preserve"> </t></si></sst>')

    row = re.sub(r"^[A-Z]+", "", ref)
    content = wb.rewrite_zip(base, {"xl/sharedStrings.xml": add_space})
    return with_rows(content, f'<row r="{row}"><c r="{ref}" t="s"><v>{index}</v></c></row>'.encode())


def xls_with(cells: dict[tuple[int, int], wb.Value]) -> bytes:
    """A real .xls of the filing rows plus ``cells`` ((row, column) 0-based → value)."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet(wb.SHEET)
    for r, row in enumerate([FILING_HEADER, *FIRMS]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    for (r, c), value in cells.items():
        sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xls_record_patched(content: bytes, record: bytes, data: bytes) -> bytes:
    """The .xls with the first BIFF record starting with ``record`` (type and length) given ``data``."""
    at = content.index(record) + 4
    return content[:at] + data + content[at + len(data) :]


def xls_lying_dimensions() -> bytes:
    """DIMENSIONS claiming 4,294,967,295 rows × 65,535 columns (a reader reserving room for it asks
    for petabytes)."""
    return xls_record_patched(
        xls_with({}), b"\x00\x02\x0e\x00", struct.pack("<IIHHH", 0, 0xFFFFFFFF, 0, 0xFFFF, 0)
    )


def xls_far_number() -> bytes:
    """A NUMBER record moved to row 65,536, column 65,536 (BIFF8 has 256 columns)."""
    content = xls_with({(6, 6): 1.2345678901})
    record = b"\x03\x02\x0e\x00" + struct.pack("<HH", 6, 6)
    at = content.index(record) + 4
    return content[:at] + struct.pack("<HH", 0xFFFF, 0xFFFF) + content[at + 4 :]


def xls_looping_directory() -> bytes:
    """The compound file's directory chain pointing back to itself: a reader following it to its end
    never gets there (and keeps the sectors it has read)."""
    content = bytearray(xls_with({}))
    sector_size = 1 << struct.unpack_from("<H", content, 30)[0]
    directory, fat = struct.unpack_from("<I", content, 48)[0], struct.unpack_from("<I", content, 76)[0]
    struct.pack_into("<I", content, (fat + 1) * sector_size + 4 * directory, directory)
    return bytes(content)


def mini_stream_xls(cells: dict[tuple[int, int], wb.Value] | None = None) -> bytes:
    """The filing rows as an .xls whose Workbook stream, under 4,096 bytes, lies in the compound
    file's mini stream (64-byte sectors inside the root entry's stream), as small files may. Built
    here: xlwt pads every stream to 4,096 bytes."""
    stream = _workbook_stream(xls_with(cells or {}))
    end = stream.rindex(b"\x0a\x00\x00\x00") + 4  # the last EOF record: the rest is padding
    book = stream[:end] + bytes(-end % 64)
    assert len(book) < 4096
    minis = len(book) // 64
    container = book + bytes(-len(book) % 512)
    big = len(container) // 512
    fat = [0xFFFFFFFD, 0xFFFFFFFE, 0xFFFFFFFE, *range(4, 3 + big), 0xFFFFFFFE]
    mini_fat = [*range(1, minis), 0xFFFFFFFE]
    # Version 3, 512-byte sectors: FAT in sector 0, directory in 1, mini FAT in 2, the mini stream from 3.
    fields = (0x3E, 3, 0xFFFE, 9, 6, 0, 1, 1, 0, 4096, 2, 1, 0xFFFFFFFE, 0)
    header = wb.OLE2_MAGIC + bytes(16) + struct.pack("<HHHHH6xIIIIIIIII", *fields)
    header += struct.pack("<109I", 0, *[0xFFFFFFFF] * 108)

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\x00").encode("utf-16-le") if name else b""
        return (
            encoded.ljust(64, b"\x00")
            + struct.pack("<HBBIII", len(encoded), kind, 1, 0xFFFFFFFF, 0xFFFFFFFF, child)
            + bytes(36)
            + struct.pack("<III", start, size, 0)
        )

    directory = (
        entry("Root Entry", 5, 1, 3, len(book)) + entry("Workbook", 2, 0xFFFFFFFF, 0, end) + bytes(256)
    )
    sectors = [
        struct.pack(f"<{len(fat)}I", *fat).ljust(512, b"\xff"),
        directory,
        struct.pack(f"<{len(mini_fat)}I", *mini_fat).ljust(512, b"\xff"),
        container,
    ]
    return header + b"".join(sectors)


def _workbook_stream(content: bytes) -> bytes:
    """The Workbook stream of an .xls written by xlwt (its directory's second entry, in big sectors)."""
    size = 1 << struct.unpack_from("<H", content, 30)[0]
    directory = struct.unpack_from("<I", content, 48)[0]
    fat = struct.unpack_from(f"<{size // 4}I", content, (struct.unpack_from("<I", content, 76)[0] + 1) * size)
    at = (directory + 1) * size + 128
    sector, length = struct.unpack_from("<II", content, at + 116)
    out = b""
    while sector != 0xFFFFFFFE and len(out) < length:
        out += content[(sector + 1) * size : (sector + 2) * size]
        sector = fat[sector]
    return out[:length]


def ods_with(rows_xml: str) -> bytes:
    """The filing rows as .ods with ``rows_xml`` (table rows) added at the end of the table."""
    content = wb.ods([FILING_HEADER, *FIRMS])

    def add(xml: bytes) -> bytes:
        end = xml.index(b"</table:table>")
        return xml[:end] + rows_xml.encode() + xml[end:]

    return wb.rewrite_zip(content, {"content.xml": add})


def ods_sheets(count: int) -> bytes:
    """An .ods of ``count`` small tables."""
    content = wb.ods([FILING_HEADER, *FIRMS])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("content.xml")
    start = xml.index(b"<table:table ")
    end = xml.index(b"</table:table>") + len(b"</table:table>")
    table = xml[start:end]
    copies = b"".join(table.replace(f'table:name="{wb.SHEET}"'.encode(), f'table:name="表{n}"'.encode())
                      for n in range(2, count + 1))  # fmt: skip
    return wb.rewrite_zip(content, {"content.xml": lambda x: x[:end] + copies + x[end:]})


def xls_sheets(count: int) -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    for n in range(1, count + 1):
        book.add_sheet(f"表{n}").write(0, 0, n)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

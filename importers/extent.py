"""How far each sheet really reaches, found before a reader lays it out.

calamine turns a sheet into a dense grid spanning every cell that holds any value: one space in
XFD1048576 is a grid of 17 billion cells (the allocation fails and takes the process with it),
one in F1048576 a million rows. So each sheet is measured first, from its bytes:

- the area the reader would lay out, bounded cheaply (a few C-speed searches per chunk);
- when that area is large, exactly: which cells hold something other than blanks or spaces, how
  many rows they make, how far they reach. Blank and whitespace-only cells are then dropped from
  the sheet the reader gets, so they are neither rows nor columns, and nothing is laid out for them;
- refused before anything is laid out: more rows with content than any import may have, more
  columns than allowed, or content so sparse and far-flung that laying it out would cost more
  than the data is worth.

This module holds what every format shares and the .xlsx measurement (sheet XML, with the shared
strings that say which string cells are blank); ods_extent and xls_extent measure the others.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from importers.archive import Archive, Replacement
from importers.errors import ImportRejected
from importers.limits import Limits

MAX_PENDING = 32 * 1024 * 1024  # a chunk ends at a row's end, or here when a row is longer
WS = rb"(?:\s|\xe3\x80\x80|\xc2\xa0)*"  # blank: spaces, tabs, line breaks, full-width and no-break spaces
EXCEL_ROWS, EXCEL_COLUMNS = 1_048_576, 16_384
FAR = 1 << 40  # a row or column beyond any sheet
SPARSE = 4  # content spread over more than this many times the cells it fills is refused (when large)

# Cheap bounds: row numbers, columns past Z, and what would make them unsound (cells or rows without
# a leading r attribute take their position from their neighbours; prefixed elements escape the
# patterns). A cell whose row lies beyond every row seen so far is found by ``beyond``.
ROW_NUMBER = re.compile(rb'<row r="(\d+)"')
IRREGULAR_ROW = re.compile(rb'<row(?:[>\t\n\r]| (?!r="))')
PREFIXED = re.compile(rb":(?:c|row)[\s>/]")
# A cell without a leading r (no groups; any other separator than one space counts as none), past
# column Z (its letters), below a row number (its digits).
CELL_CHECK = rb'<c(?:[>\t\n\r]| (?!r=")| r="(?:([A-Za-z]{2,}|[a-z])|[A-Za-z]+(%s)"))'

CELL_REF = re.compile(rb'<c r="([A-Za-z]+)(\d+)"')
FORMULA_CELL = re.compile(rb'<c r="([A-Z]{1,3}[0-9]+)"[^>]*>(?:(?!</c>).){0,200}?<f[ >/]', re.S)
CACHED_VALUE = re.compile(rb"<v>[^<]+</v>|<is>")
EMPTY_ROW = re.compile(rb'<row r="\d+"[^>]*?(?:/>|>' + WS + rb"</row>)")
SHARED_STRING = re.compile(rb"<(?:[\w.-]+:)?si(?:\s[^>]*)?(?:/>|>(.*?)</(?:[\w.-]+:)?si>)", re.S)
PHONETIC = re.compile(rb"<(?:[\w.-]+:)?rPh\b.*?</(?:[\w.-]+:)?rPh>", re.S)
TAG = re.compile(rb"<[^>]*>")
UNIQUE_COUNT = re.compile(rb"<(?:[\w.-]+:)?sst\b[^>]*?\suniqueCount\s*=\s*[\"']([^\"']*)")


@dataclass
class Extent:
    """What a sheet holds once blank cells are set aside (1-based row and column numbers)."""

    name: str
    rows: int = 0  # rows with at least one cell that is not blank
    last_row: int = 0  # the reader's grid spans this many rows (at most) …
    last_column: int = 0  # … and columns
    real_columns: int = 0  # the last column holding something not blank

    @property
    def area(self) -> int:  # what the reader would lay out
        return self.last_row * self.last_column


def refuse_beyond(extent: Extent, limits: Limits) -> None:
    """Refuse a sheet whose content cannot be imported or is not worth laying out."""
    if extent.rows > limits.max_rows + limits.header_scan_rows:  # beyond the limit wherever the header is
        raise ImportRejected(
            f"工作表“{extent.name}”数据行过多（{extent.rows} 行，上限 {limits.max_rows} 行）",
            limit=limits.max_rows,
        )
    if extent.real_columns > limits.max_columns:
        raise ImportRejected(
            f"工作表“{extent.name}”的列数超过 {limits.max_columns} 列", limit=limits.max_columns
        )
    if extent.area > limits.dense_cells and extent.area > SPARSE * max(extent.rows, 1) * max(
        extent.real_columns, 1
    ):
        rows, columns = min(extent.last_row, EXCEL_ROWS), min(extent.last_column, EXCEL_COLUMNS)
        raise ImportRejected(
            f"工作表“{extent.name}”的数据区域过大（{rows} 行 × {columns} 列，但只有 {extent.rows} 行有内容）："
            "请删除表格下方或右侧多余的内容后重新上传"
        )


def refuse_merged(name: str, count: int, limits: Limits) -> None:
    """Every merged range becomes objects when a sheet is read: a million took 300 MB."""
    if count > limits.max_merged:
        raise ImportRejected(
            f"工作表“{name}”中的合并单元格过多（{count} 处，上限 {limits.max_merged} 处）：请取消不需要的合并后重新导入",
            limit=limits.max_merged,
        )


def too_many_sheets(count: int, limits: Limits) -> ImportRejected:
    return ImportRejected(
        f"工作簿含 {count} 个工作表，超过上限 {limits.max_sheets} 个：请只保留要导入的工作表后重新导入",
        limit=limits.max_sheets,
    )


def number(digits: bytes | str) -> int:
    """A row number or count as written in the file; one too long to mean anything lies beyond any
    sheet (and Python refuses to convert thousands of digits)."""
    return int(digits) if 0 < len(digits) <= 12 else FAR


def column_number(letters: bytes | str) -> int:
    """A → 1, AA → 27 (any case); more than three letters lie beyond any sheet."""
    text = letters.decode() if isinstance(letters, bytes) else letters
    if len(text) > 3:
        return FAR
    number = 0
    for ch in text.upper():
        number = number * 26 + ord(ch) - 64
    return number


def greater_than(number: int) -> bytes:
    """A pattern matching decimal numbers greater than ``number`` (leading zeros count as digits)."""
    digits = str(number)
    options = [rb"\d{%d,}" % (len(digits) + 1)]
    for i, ch in enumerate(digits):
        if ch != "9":
            rest = len(digits) - i - 1
            options.append(
                digits[:i].encode() + b"[%d-9]" % (int(ch) + 1) + (rb"\d{%d}" % rest if rest else b"")
            )
    return b"|".join(options)


def chunks_at(pieces: Iterable[bytes], end: bytes) -> Iterator[bytes]:
    """Inflated pieces regrouped into chunks that end just after ``end``, so no element is cut (an
    ``end`` split between two pieces is simply not used: the chunk then ends at a later one)."""
    parts: list[bytes] = []
    size = 0
    for piece in pieces:
        cut = piece.rfind(end)
        if cut >= 0:
            cut += len(end)
        elif size + len(piece) > MAX_PENDING:
            cut = piece.rfind(b">") + 1 or len(piece)
        else:
            parts.append(piece)
            size += len(piece)
            continue
        yield b"".join([*parts, piece[:cut]]) if parts else piece[:cut]
        parts, size = ([piece[cut:]], len(piece) - cut) if cut < len(piece) else ([], 0)
    if parts:
        yield b"".join(parts)


def blank_text(raw: bytes) -> bool:
    return not raw.decode("utf-8", "replace").strip()


# -- .xlsx ------------------------------------------------------------------------------------------------


@dataclass
class Formulas:
    """Cells holding formulas, and those saved without a result (1-based row, column)."""

    cells: set[tuple[int, int]] = field(default_factory=set)
    uncached: set[tuple[int, int]] = field(default_factory=set)

    def scan(self, chunk: bytes) -> None:
        if b"<f" not in chunk:
            return
        for match in FORMULA_CELL.finditer(chunk):
            cell = cell_position(match.group(1).decode())
            self.cells.add(cell)
            end = chunk.find(b"</c>", match.end())
            if not CACHED_VALUE.search(chunk, match.end(), end if end >= 0 else len(chunk)):
                self.uncached.add(cell)


@dataclass
class Bounds:
    """Cheap bounds on the grid a sheet's XML makes, and the sheet's formulas."""

    last_row: int = 0
    last_column: int = 26  # columns A–Z are not looked at one by one
    irregular: bool = False  # positions that only a full reading can tell
    beyond: bool = False  # a cell below every row seen so far
    merged: int = 0  # merged ranges (every mergeCell element, whatever its prefix)
    formulas: Formulas = field(default_factory=Formulas)

    def feed(self, chunk: bytes) -> None:
        self.irregular = self.irregular or bool(IRREGULAR_ROW.search(chunk) or PREFIXED.search(chunk))
        if rows := ROW_NUMBER.findall(chunk):
            self.last_row = max(self.last_row, max(map(number, rows)))
        # One pass over the cells (each costs the pattern a few steps): those without a leading r,
        # columns past Z, rows below every row seen so far.
        for wide, below in re.findall(CELL_CHECK % greater_than(self.last_row), chunk):
            if wide:
                self.last_column = max(self.last_column, column_number(wide))
            elif below:
                self.beyond = True
            else:
                self.irregular = True
        self.merged += chunk.count(b"mergeCell") - chunk.count(b"mergeCells")  # not their container
        self.formulas.scan(chunk)

    def small(self, limits: Limits) -> bool:
        """Whether the reader's grid is surely small enough, and no sheet too long, to read as it is."""
        return (
            not self.irregular
            and not self.beyond
            and self.last_row * self.last_column <= limits.dense_cells
            and self.last_row <= limits.max_rows + limits.header_scan_rows
        )


class SharedStrings:
    """Which shared strings are blank, read from xl/sharedStrings.xml only when a sheet needs it."""

    def __init__(self, archive: Archive, path: str | None) -> None:
        self.archive, self.path = archive, path
        self._blank: frozenset[int] | None = None

    def blank(self) -> frozenset[int]:
        if self._blank is None:
            self._blank = frozenset(self._scan()) if self.path else frozenset()
        return self._blank

    def _scan(self) -> Iterator[int]:
        """Items counted in order: the part is read piece by piece, an item cut by a piece's end
        carried over whole to the next, so the count never slips."""
        assert self.path is not None
        index, carry = 0, b""
        for piece in self.archive.chunks(self.archive.by_name[self.path]):
            buffer, done = carry + piece, 0
            for match in SHARED_STRING.finditer(buffer):
                inner = match.group(1)
                if inner is None or blank_text(TAG.sub(b"", PHONETIC.sub(b"", inner))):
                    yield index
                index, done = index + 1, match.end()
            carry = buffer[done:]


def check_shared_strings(archive: Archive, path: str, limits: Limits) -> None:
    """The shared strings are read whole when the workbook is opened: bound their size, and refuse a
    count that promises more strings than the part could hold (the reader reserves room for it)."""
    member = archive.by_name[path]
    if member.file_size > limits.max_shared_strings:
        raise ImportRejected(
            f"工作簿中的文字内容过多（解压后 {member.file_size / 1024 / 1024:.0f} MB，"
            f"上限 {limits.max_shared_strings // 1024 // 1024} MB）：请删去不需要导入的工作表，或拆分后重新导入",
            limit=limits.max_shared_strings,
        )
    pieces = archive.chunks(member)
    head = next(pieces, b"")[:4096]
    for _ in pieces:  # the rest expanded too, held to its declared size like every member
        pass
    found = UNIQUE_COUNT.search(head)
    digits = re.sub(rb"\D", b"", found.group(1)) if found else b""
    if digits and number(digits) > member.file_size // 5 + 1:  # the smallest item, <si/>, takes 5 bytes
        raise ImportRejected(
            f"工作簿内部文件 {path} 记录的文字条数（{digits.decode()[:20]} 条）与内容不符，疑似恶意文件："
            "请用 Excel 打开后另存为新的 .xlsx 文件再上传"
        )


def blank_cell_pattern(blank_strings: frozenset[int]) -> re.Pattern[bytes]:
    """A cell (written with its r first) holding no value, or only blanks: empty, a blank inline
    string, a blank formula string, or a shared string that is blank. Formulas are never matched."""
    ref = rb'<c r="[A-Za-z]+\d+"'
    text = rb"<t(?:\s[^>]*)?>" + WS + rb"</t>|<t(?:\s[^>]*)?/>"
    options = [
        ref + rb"[^>]*?/>",
        ref + rb"[^>]*>" + WS + rb"(?:<v(?:\s[^>]*)?>" + WS + rb"</v>|<v/>)?" + WS + rb"</c>",
        ref + rb"[^>]*>" + WS + rb"<is>" + WS + rb"(?:" + text + rb")?" + WS + rb"</is>" + WS + rb"</c>",
    ]
    if blank_strings:
        # Past a few thousand (no real workbook has them) the rest stay: laid out, or refused as sparse.
        indices = b"|".join(b"%d" % i for i in sorted(blank_strings)[:5000])
        options.append(
            ref
            + rb'[^>]*?\st="s"[^>]*>'
            + WS
            + rb"<v>"
            + WS
            + rb"(?:"
            + indices
            + rb")"
            + WS
            + rb"</v>"
            + WS
            + rb"</c>"
        )
    return re.compile(b"|".join(options))


@dataclass
class Stripped:
    """A sheet's XML with blank cells and the rows they leave empty taken out, and its extent."""

    extent: Extent
    replacement: Replacement | None  # None: nothing was taken out


def strip_blank_cells(
    chunks: Iterable[bytes], name: str, blank_strings: frozenset[int], limits: Limits
) -> Stripped:
    """Measure a sheet exactly (its cells all written with r first) while writing it without blank cells.

    Refuses as soon as the rows with content pass what any import may hold.
    """
    pattern = blank_cell_pattern(blank_strings)
    extent = Extent(name)
    packer, raw, crc, size, removed = zlib.compressobj(1, zlib.DEFLATED, -15), [], 0, 0, 0
    for chunk in chunks:
        kept, count = pattern.subn(b"", chunk)
        kept, rows = EMPTY_ROW.subn(b"", kept)
        removed += count + rows
        _measure(extent, kept)
        refuse_rows(extent, limits)
        crc, size = zlib.crc32(kept, crc), size + len(kept)
        raw.append(packer.compress(kept))
    raw.append(packer.flush())
    return Stripped(extent, Replacement(b"".join(raw), crc, size) if removed else None)


def refuse_rows(extent: Extent, limits: Limits) -> None:
    if extent.rows > limits.max_rows + limits.header_scan_rows:
        refuse_beyond(extent, limits)


def _measure(extent: Extent, kept: bytes) -> None:
    """Add a stripped chunk: every row left holds content; every cell left is laid out."""
    rows = ROW_NUMBER.findall(kept)
    extent.rows += len(rows)
    if rows:
        extent.last_row = max(extent.last_row, max(map(number, rows)))
    refs = CELL_REF.findall(kept)
    if refs:
        extent.last_row = max(extent.last_row, max(number(r) for _, r in refs))
        column = max(column_number(c) for c in {c for c, _ in refs})
        extent.last_column = max(extent.last_column, column)
        extent.real_columns = extent.last_column


def cell_position(ref: str) -> tuple[int, int]:
    letters = "".join(ch for ch in ref if ch.isalpha())
    return number(ref[len(letters) :]), column_number(letters)


TOKEN = re.compile(rb"<(/?)(?:[\w.-]+:)?(row|c|v|t|is)(?=[\s/>])([^>]*?)(/?)>")
R_ATTR = re.compile(rb'\sr\s*=\s*["\']([^"\']*)')
T_ATTR = re.compile(rb'\st\s*=\s*["\']([^"\']*)')
REF_PARTS = re.compile(rb"([A-Za-z]*)(\d*)")


class IrregularSheet:
    """Positions as the reader assigns them when cells or rows lack an r attribute, or elements carry
    a prefix: a row without r follows the last, a cell without r follows its left neighbour (element
    by element; slower, and only for such sheets)."""

    def __init__(self, name: str, blank_strings: frozenset[int], limits: Limits) -> None:
        self.extent = Extent(name)
        self.blank_strings, self.limits = blank_strings, limits
        self.row, self.column = 0, 0  # 0-based, as the reader counts
        self.cell: tuple[int, int] | None = None
        self.kind, self.valued, self.text = b"", False, bytearray()
        self.capture = -1  # where the text of an open <v> or <t> starts in the chunk, or -1
        self.real_rows: set[int] = set()

    def feed(self, chunk: bytes) -> None:
        if self.capture >= 0:
            self.capture = 0
        for match in TOKEN.finditer(chunk):
            closing, name, attrs, empty = match.groups()
            if closing:
                self._end(name, chunk, match.start())
            elif not empty:
                self._start(name, attrs, match.end())
        if self.capture >= 0:  # the text goes on in the next chunk
            self.text += chunk[self.capture :]
        refuse_rows(self.extent, self.limits)

    def _start(self, name: bytes, attrs: bytes, at: int) -> None:
        if name == b"row":
            found = R_ATTR.search(attrs)
            if found:
                self.row = max(_ref(found.group(1))[0] - 1, 0)
        elif name == b"c":
            found = R_ATTR.search(attrs)
            if found:
                row, column = _ref(found.group(1))
                self.cell, self.column = (row - 1, column - 1), column - 1
            else:
                self.cell = (self.row, self.column)
            kind = T_ATTR.search(attrs)
            self.kind = kind.group(1) if kind else b""
            self.valued, self.text = self.kind in (b"s", b"str", b"inlineStr"), bytearray()
        elif self.cell is not None and name in (b"v", b"t", b"is"):
            self.valued = True
            if name != b"is":
                self.capture = at

    def _end(self, name: bytes, chunk: bytes, at: int) -> None:
        if name in (b"v", b"t") and self.capture >= 0:
            self.text += chunk[self.capture : at]
            self.capture = -1
        elif name == b"c" and self.cell is not None:
            self._cell_done(self.cell, bytes(self.text))
            self.cell = None
            self.column += 1
        elif name == b"row":
            self.row, self.column = self.row + 1, 0

    def _cell_done(self, cell: tuple[int, int], text: bytes) -> None:
        if not self.valued:
            return
        extent = self.extent
        extent.last_row, extent.last_column = (
            max(extent.last_row, cell[0] + 1),
            max(extent.last_column, cell[1] + 1),
        )
        if self.kind == b"s":
            digits = text.strip()
            blank = not digits.isdigit() or number(digits) in self.blank_strings
        else:
            blank = blank_text(TAG.sub(b"", text))
        if not blank:
            self.real_rows.add(cell[0])
            extent.rows = len(self.real_rows)
            extent.real_columns = max(extent.real_columns, cell[1] + 1)


def _ref(raw: bytes) -> tuple[int, int]:
    """(row, column), 1-based, of a reference such as B12 (no column: 0); absurd ones lie far away."""
    letters, digits = REF_PARTS.match(raw.strip()).groups()  # type: ignore[union-attr]
    return number(digits), column_number(letters) if letters else 0

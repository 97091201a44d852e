"""How far each table of an .ods reaches (see importers.extent), from content.xml.

OpenDocument repeats rows and cells by attribute (table:number-rows-repeated, …-columns-repeated):
a few hundred bytes can describe a thousand rows of 16,384 filled cells, which the reader lays
out in full. Each table is measured element by element with the repeats multiplied out, and a
cell holding only spaces is written back as an empty cell (its repeats kept), so it neither counts
nor is laid out.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

from importers.archive import Archive, Replacement
from importers.extent import (
    TAG,
    Extent,
    blank_text,
    chunks_at,
    number,
    refuse_beyond,
    refuse_rows,
    too_many_sheets,
)
from importers.limits import Limits

MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384  # the reader caps repeats at these
TOKEN = re.compile(
    rb"<(/?)(table:table|table:table-row|table:table-cell|table:covered-table-cell)(?=[\s/>])([^>]*?)(/?)>"
)
VALUE = re.compile(
    rb'\s(office:value|office:string-value|office:date-value|office:time-value|office:boolean-value)="([^"]*)"'
)
STRING_TYPE = re.compile(rb'\soffice:value-type="string"')
VALUE_ATTRS = re.compile(rb'\s(?:office:value-type|calcext:value-type|office:string-value)="[^"]*"')
NAME = re.compile(rb'\stable:name="([^"]*)"')
ANNOTATION = re.compile(rb"<office:annotation\b.*?</office:annotation>", re.S)
SPACES = re.compile(rb"<text:(?:s|tab|line-break)\b[^>]*/?>")


def _repeats(attrs: bytes, name: bytes, cap: int) -> int:
    found = re.search(rb"\stable:number-" + name + rb'-repeated="(\d+)"', attrs)
    return min(number(found.group(1)), cap) if found else 1


@dataclass
class _Table:
    """One table being measured: rows so far (with repeats), the reader's grid, what holds content."""

    extent: Extent
    rows_before: int = 0  # rows (repeated) above the current row element
    first: int | None = None  # rows above the first row holding any value
    columns: tuple[int, int] = (MAX_COLUMNS, 0)  # the reader's grid: first and last column holding a value

    def row_done(self, repeats: int, valued: tuple[int, int] | None, real: int) -> None:
        if valued is not None:
            if self.first is None:
                self.first = self.rows_before
            self.columns = (min(self.columns[0], valued[0]), max(self.columns[1], valued[1]))
            self.extent.last_row = self.rows_before + repeats - self.first
            self.extent.last_column = self.columns[1] - self.columns[0] + 1
        if real:
            self.extent.rows += repeats
            self.extent.real_columns = max(self.extent.real_columns, real)
        self.rows_before = min(self.rows_before + repeats, MAX_ROWS)


@dataclass
class _Row:
    repeats: int = 1
    column: int = 0  # cells (repeated) so far
    valued: tuple[int, int] | None = None
    real: int = 0  # 1-based last column holding content


@dataclass
class OdsExtent:
    tables: list[Extent] = field(default_factory=list)
    replacement: Replacement | None = None


class _Measure:
    """content.xml chunk by chunk: tables measured, blank text cells written back empty."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.tables: list[Extent] = []
        self.table: _Table | None = None
        self.row: _Row | None = None
        self.cell: tuple[int, bytes] | None = None  # where the open cell's tag starts, its attributes
        self.cleared = 0
        self.count = 0

    def feed(self, chunk: bytes) -> bytes:
        out, copied = [], 0
        for match in TOKEN.finditer(chunk):
            closing, name, attrs, empty = match.groups()
            if name in (b"table:table-cell", b"table:covered-table-cell"):
                if closing and self.cell is not None:
                    start, cell_attrs = self.cell
                    if self._cell(cell_attrs, chunk[chunk.index(b">", start) + 1 : match.start()]):
                        out += [chunk[copied:start], b"<" + name + VALUE_ATTRS.sub(b"", cell_attrs) + b"/>"]
                        copied = match.end()
                    self.cell = None
                elif not closing and empty:
                    self._cell(attrs, b"")
                elif not closing:
                    self.cell = (match.start(), attrs)
            elif name == b"table:table-row":
                self._row(closing, attrs, empty)
            else:
                self._table(closing, attrs)
        if self.cell is not None:  # a cell cut by a chunk's end (rows over 32 MB): counted as content, kept
            self._cell(self.cell[1], b"\x00")
            self.cell = None
        out.append(chunk[copied:])
        return b"".join(out)

    def _table(self, closing: bytes, attrs: bytes) -> None:
        if closing:
            self.table = None
            return
        self.count += 1
        name = NAME.search(attrs)
        self.table = _Table(Extent(name.group(1).decode("utf-8", "replace") if name else "?"))
        self.tables.append(self.table.extent)

    def _row(self, closing: bytes, attrs: bytes, empty: bytes) -> None:
        if not closing:
            self.row = _Row(_repeats(attrs, b"rows", MAX_ROWS))
        if (closing or empty) and self.row is not None and self.table is not None:
            self.table.row_done(self.row.repeats, self.row.valued, self.row.real)
            refuse_rows(self.table.extent, self.limits)
            self.row = None

    def _cell(self, attrs: bytes, content: bytes) -> bool:
        """Record one cell; True when its value is only blanks and it is to be written back empty."""
        row = self.row
        if row is None:
            return False
        repeats = min(_repeats(attrs, b"columns", MAX_COLUMNS), MAX_COLUMNS - row.column)
        first, row.column = row.column, row.column + repeats
        value = VALUE.search(attrs)
        string = value is None and STRING_TYPE.search(attrs) is not None
        if value is not None:
            blank = value.group(1) == b"office:string-value" and blank_text(value.group(2))
        elif string:
            blank = blank_text(TAG.sub(b"", SPACES.sub(b" ", ANNOTATION.sub(b"", content))))
        else:
            blank = True  # no value: laid out only when it holds a formula (on the formulas' own grid)
        if blank and b"table:formula=" not in attrs:
            clear = value is not None or string
            self.cleared += clear
            return clear
        row.valued = (first, row.column - 1) if row.valued is None else (row.valued[0], row.column - 1)
        if not blank:
            row.real = row.column
        return False


def measure_ods(archive: Archive, limits: Limits) -> OdsExtent:
    """Every table of content.xml measured (refused when too many, too long, too wide or too sparse);
    content.xml rewritten without its blank text cells when they would have been laid out."""
    member = archive.by_name.get("content.xml")
    if member is None:
        return OdsExtent()
    measure = _Measure(limits)
    packer, raw, crc, size = zlib.compressobj(1, zlib.DEFLATED, -15), [], 0, 0
    for chunk in chunks_at(archive.chunks(member), b"</table:table-row>"):
        kept = measure.feed(chunk)
        if measure.count > limits.max_sheets:
            raise too_many_sheets(measure.count, limits)
        crc, size = zlib.crc32(kept, crc), size + len(kept)
        raw.append(packer.compress(kept))
    raw.append(packer.flush())
    for extent in measure.tables:
        refuse_beyond(extent, limits)
    return OdsExtent(measure.tables, Replacement(b"".join(raw), crc, size) if measure.cleared else None)

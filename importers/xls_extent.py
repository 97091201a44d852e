""".xls (BIFF in an OLE2 compound file) checked and measured before the reader opens it.

The reader (calamine) lays out every sheet of an .xls when it opens the file, trusting what the
file says: sector chains are followed until the length a directory entry claims (a chain that
loops grows memory without end), a DIMENSIONS record reserves room for the rows × columns it
claims (up to 4 billion × 65,535), and a cell record may sit at column 65,535 of a format that has
256. So, before it opens the file:

- the compound file's chains are walked here: lengths bounded by the file, no loops;
- every sheet's cell records are measured (see importers.extent); a cell whose text is only
  blanks is turned into a record the reader skips, and so is an impossible DIMENSIONS record,
  in a copy of the file (the bytes patched where they lie, nothing else moves).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from importers.errors import ImportRejected
from importers.extent import Extent, refuse_beyond, refuse_merged, too_many_sheets
from importers.limits import Limits

END_OF_CHAIN, FREE = 0xFFFFFFFE, 0xFFFFFFFF
DAMAGED = "无法读取工作簿（文件可能已损坏）：请用 Excel 打开后另存为新的 .xlsx 文件再上传"
SKIPPED = 0x0201  # BLANK: a record type the reader ignores, used to set a record aside in place
BOF, EOF, BOUNDSHEET, SST, CONTINUE, DIMENSIONS, MERGEDCELLS = (
    0x0809,
    0x000A,
    0x0085,
    0x00FC,
    0x003C,
    0x0200,
    0x00E5,
)
NUMBER, RK, BOOLERR, LABEL, RSTRING, LABELSST, MULRK, FORMULA, STRING = (
    0x0203, 0x027E, 0x0205, 0x0204, 0x00D6, 0x00FD, 0x00BD, 0x0006, 0x0207,
)  # fmt: skip


# Records holding cells (row and column in their first four bytes); formulas are laid out twice, on
# the values' grid and on a grid of formulas of their own.
CELL_RECORDS = frozenset({NUMBER, RK, BOOLERR, LABEL, RSTRING, LABELSST, MULRK, FORMULA})


def _damaged() -> ImportRejected:
    return ImportRejected(DAMAGED)


class Compound:
    """An OLE2 compound file: its FAT, directory and mini stream, each chain checked."""

    def __init__(self, content: bytes) -> None:
        if len(content) < 512:
            raise _damaged()
        self.content = content
        shift, mini_shift = struct.unpack_from("<HH", content, 30)
        if shift not in (9, 12) or mini_shift != 6:
            raise _damaged()
        self.size: int = 1 << int(shift)
        self.sectors = max((len(content) - self.size) // self.size + 1, 1)
        dir_start, minifat_start, minifat_len, difat_start = struct.unpack_from("<I8xIII", content, 48)
        self.fat = self._fat(difat_start)
        if minifat_len * self.size > len(content):
            raise _damaged()
        self.entries = self._directory(dir_start)
        root_start, root_length = self.entries[0][1:] if self.entries else (END_OF_CHAIN, 0)
        self.mini_fat = (
            self._u32s(self._chain_bytes(minifat_start, minifat_len * self.size)) if minifat_len else []
        )
        self.root_chain = self.chain(root_start, root_length) if minifat_len else []

    def sector_at(self, sector: int) -> int:
        if sector >= self.sectors:
            raise _damaged()
        return (sector + 1) * self.size

    def chain(self, start: int, length: int | None, fat: list[int] | None = None) -> list[int]:
        """The sectors of a chain holding ``length`` bytes (None: the whole chain, as the reader reads
        the directory); refused when it loops, leaves the table or claims more than the file holds."""
        table, size = (self.fat, self.size) if fat is None else (fat, 64)
        if length is not None and length > len(self.content):
            raise _damaged()
        wanted = -(-length // size) if length is not None else len(table) + 1
        found: list[int] = []
        seen: set[int] = set()
        sector = start
        while sector != END_OF_CHAIN and len(found) < wanted:
            if sector in seen or sector >= len(table):
                raise _damaged()
            seen.add(sector)
            found.append(sector)
            sector = table[sector]
        return found

    def root_position(self, offset: int) -> int:
        """Where byte ``offset`` of the mini stream (the root entry's stream) lies in the file."""
        index, within = divmod(offset, self.size)
        if index >= len(self.root_chain):
            raise _damaged()
        return self.sector_at(self.root_chain[index]) + within

    def stream(self, name: str) -> tuple[bytes, Placement] | None:
        """The stream's bytes and where each lies in the file (None when there is none)."""
        entry = next((e for e in self.entries if e[0] == name), None)
        if entry is None:
            return None
        _, start, length = entry
        if length < 4096:  # the reader's cut-off, whatever the header says
            placement = Placement(self, self.chain(start, length, self.mini_fat), 64)
        else:
            placement = Placement(self, self.chain(start, length), self.size)
        return placement.read(length), placement

    def _fat(self, difat_start: int) -> list[int]:
        sectors = list(struct.unpack_from("<109I", self.content, 76))
        seen: set[int] = set()
        sector = difat_start
        while sector < 0xFFFFFFFA:  # the reader follows this chain to its end, whatever its stated length
            if sector in seen or sector >= self.sectors:
                raise _damaged()
            seen.add(sector)
            entries = self._u32s(self._sector(sector))
            sectors += entries[:-1]
            sector = entries[-1]
        fat: list[int] = []
        for sector in sectors:
            if sector < 0xFFFFFFFA and sector < self.sectors:
                fat += self._u32s(self._sector(sector))
        return fat

    def _directory(self, start: int) -> list[tuple[str, int, int]]:
        """(name, start sector, length) of every entry; the reader reads this chain to its end."""
        entries = []
        raw = b"".join(self._sector(s) for s in self.chain(start, None))
        for at in range(0, len(raw) - 127, 128):
            name = raw[at : at + 64].decode("utf-16-le", "replace").split("\x00", 1)[0]
            first, low, high = struct.unpack_from("<III", raw, at + 116)
            entries.append((name, first, low if self.size == 512 else low | high << 32))
        return entries

    def _chain_bytes(self, start: int, length: int) -> bytes:
        return b"".join(self._sector(s) for s in self.chain(start, length))

    def _sector(self, sector: int) -> bytes:
        position = self.sector_at(sector)
        return self.content[position : position + self.size]

    @staticmethod
    def _u32s(raw: bytes) -> list[int]:
        return list(struct.unpack(f"<{len(raw) // 4}I", raw[: len(raw) // 4 * 4]))


class Placement:
    """Where each byte of a stream lies in the file: its sectors in chain order (of the file, or of
    the mini stream)."""

    def __init__(self, compound: Compound, sectors: list[int], size: int) -> None:
        self.compound, self.content, self.sectors, self.size = compound, compound.content, sectors, size

    def __getitem__(self, offset: int) -> int:
        index, within = divmod(offset, self.size)
        if index >= len(self.sectors):
            raise _damaged()
        if self.size == 64:
            return self.compound.root_position(self.sectors[index] * 64 + within)
        position = self.compound.sector_at(self.sectors[index]) + within
        if position >= len(self.content):
            raise _damaged()
        return position

    def read(self, length: int) -> bytes:
        """The stream's bytes, sector by sector (a mini sector never straddles a file sector)."""
        out = b"".join(
            self.content[self[i * self.size] : self[i * self.size] + self.size]
            for i in range(len(self.sectors))
        )
        if len(out) < length:
            raise _damaged()
        return out[:length]


@dataclass
class _Records:
    """BIFF records of a stream: (type, offset of the record, its data)."""

    stream: bytes

    def at(self, offset: int) -> Iterator[tuple[int, int, bytes]]:
        while offset + 4 <= len(self.stream):
            kind, length = struct.unpack_from("<HH", self.stream, offset)
            data = self.stream[offset + 4 : offset + 4 + length]
            if len(data) < length:
                return
            yield kind, offset, data
            offset += 4 + length


@dataclass
class _Sheet:
    extent: Extent
    rows: tuple[int, int] = (1 << 32, -1)  # first and last row laid out (0-based), blanks set aside
    columns: tuple[int, int] = (1 << 32, -1)
    real: set[int] = field(default_factory=set)  # rows with content
    merged: int = 0  # merged ranges

    def add(self, row: int, column: int) -> None:
        """A cell the reader will lay out (blank ones are set aside before they get here)."""
        self.rows = (min(self.rows[0], row), max(self.rows[1], row))
        self.columns = (min(self.columns[0], column), max(self.columns[1], column))
        self.real.add(row)
        self.extent.real_columns = max(self.extent.real_columns, column + 1)

    def finish(self) -> Extent:
        if self.rows[1] >= 0:
            self.extent.last_row = self.rows[1] - self.rows[0] + 1
            self.extent.last_column = self.columns[1] - self.columns[0] + 1
        self.extent.rows = len(self.real)
        return self.extent


def measure_xls(content: bytes, limits: Limits) -> bytes:
    """The .xls as the reader may open it: refused when it cannot be measured, holds too many sheets
    or a sheet too long, wide or sparse; blank-text cells and impossible DIMENSIONS set aside."""
    compound = Compound(content)
    found = compound.stream("Workbook") or compound.stream("Book")
    if found is None:
        return content  # no workbook in it: the reader says so
    stream, places = found
    records = _Records(stream)
    sheets, strings, biff8 = _globals(records, limits)
    patched = bytearray(content)
    for name, offset in sheets:
        sheet = _Sheet(Extent(name))
        for at in _measure_sheet(records, offset, sheet, strings if biff8 else None):
            _set_type(patched, places, at)
        refuse_beyond(sheet.finish(), limits)
        refuse_merged(name, sheet.merged, limits)
    return bytes(patched)


def _set_type(patched: bytearray, places: Placement, at: int) -> None:
    """Give the record at stream offset ``at`` the type the reader skips, where its two type bytes
    lie in the file (a record may straddle two sectors)."""
    for i, byte in enumerate(SKIPPED.to_bytes(2, "little")):
        patched[places[at + i]] = byte


def _globals(records: _Records, limits: Limits) -> tuple[list[tuple[str, int]], list[bool], bool]:
    """The sheets (name, offset of their BOF), per shared string whether it is blank, and whether
    the workbook is BIFF8 (Excel 97 on; older strings are not looked into)."""
    sheets: list[tuple[str, int]] = []
    strings: list[bool] = []
    biff8, first = True, True
    pending: list[bytes] = []
    for kind, _, data in records.at(0):
        if kind == BOF and first and len(data) >= 2:
            biff8, first = struct.unpack_from("<H", data)[0] == 0x0600, False
        elif kind == BOUNDSHEET and len(data) >= 6:
            sheets.append((_sheet_name(data[6:], biff8), struct.unpack_from("<I", data)[0]))
        elif kind == SST:
            pending = [data[8:]]
        elif kind == CONTINUE and pending:
            pending.append(data)
        elif pending:
            strings, pending = _blank_strings(pending), []
        if kind == EOF:
            break
    if len(sheets) > limits.max_sheets:
        raise too_many_sheets(len(sheets), limits)
    return sheets, strings, biff8


def _sheet_name(raw: bytes, biff8: bool) -> str:
    if not raw:
        return "?"
    length = raw[0]
    if biff8 and len(raw) > 1 and raw[1] & 1:
        return raw[2 : 2 + 2 * length].decode("utf-16-le", "replace")
    return raw[2 if biff8 else 1 :][:length].decode("latin-1")


def _blank_strings(segments: list[bytes]) -> list[bool]:
    """Whether each shared string is blank; a string's characters may continue in the next
    CONTINUE record, which then starts with its own option byte."""
    blank: list[bool] = []
    reader = _Continued(segments)
    while reader.more():
        try:
            count, flags = struct.unpack("<HB", reader.take(3))
            runs = struct.unpack("<H", reader.take(2))[0] if flags & 0x08 else 0
            ext = struct.unpack("<I", reader.take(4))[0] if flags & 0x04 else 0
            text = reader.characters(count, flags & 0x01)
            reader.take(4 * runs)
            reader.take(ext)
        except (struct.error, IndexError):
            break
        blank.append(not text.strip())
    return blank


class _Continued:
    """Bytes spread over an SST record and its CONTINUE records."""

    def __init__(self, segments: list[bytes]) -> None:
        self.segments, self.index, self.offset = segments, 0, 0

    def more(self) -> bool:
        while self.index < len(self.segments) and self.offset >= len(self.segments[self.index]):
            self.index, self.offset = self.index + 1, 0
        return self.index < len(self.segments)

    def take(self, count: int) -> bytes:
        out = bytearray()
        while len(out) < count:
            if not self.more():
                raise IndexError("truncated")
            segment = self.segments[self.index]
            piece = segment[self.offset : self.offset + count - len(out)]
            out += piece
            self.offset += len(piece)
        return bytes(out)

    def characters(self, count: int, wide: int) -> str:
        text = []
        while count > 0:
            if not self.more():
                raise IndexError("truncated")
            segment = self.segments[self.index]
            width = 2 if wide else 1
            fit = min(count, (len(segment) - self.offset) // width)
            raw = segment[self.offset : self.offset + fit * width]
            text.append(raw.decode("utf-16-le" if wide else "latin-1", "replace"))
            self.offset += fit * width
            count -= fit
            if count > 0:  # the characters go on in the next record, after an option byte of its own
                self.index, self.offset = self.index + 1, 0
                wide = self.take(1)[0] & 0x01
        return "".join(text)


def _measure_sheet(
    records: _Records, offset: int, sheet: _Sheet, strings: list[bool] | None
) -> Iterator[int]:
    """Record the sheet's cells; yields the offsets of records to set aside (none before BIFF8:
    ``strings`` None). Nested substreams (embedded charts) are skipped, as the reader does."""
    depth, started = 0, False
    for kind, at, data in records.at(offset):
        if depth or (kind == BOF and started):
            depth += (kind == BOF) - (kind == EOF)
            continue
        started = started or kind == BOF
        if kind == EOF:
            return
        if _set_aside(kind, data, sheet, strings):
            yield at


def _set_aside(kind: int, data: bytes, sheet: _Sheet, strings: list[bool] | None) -> bool:
    """Record one record's cells; True for one the reader is to skip: a cell of blank text (formula
    results included), or DIMENSIONS that would make it reserve room past a whole BIFF8 sheet."""
    if kind == DIMENSIONS:
        return _dimensions_too_large(data)
    if kind == MERGEDCELLS and len(data) >= 2:
        sheet.merged += struct.unpack_from("<H", data)[0]
        return False
    if kind == STRING:
        return strings is not None and _label_blank(data)
    if kind not in CELL_RECORDS or len(data) < 6:
        return False
    row, column = struct.unpack_from("<HH", data)
    if strings is not None and kind in (LABEL, RSTRING) and _label_blank(data[6:]):
        return True
    if strings is not None and kind == LABELSST and len(data) >= 10:
        index = struct.unpack_from("<I", data, 6)[0]
        if index < len(strings) and strings[index]:
            return True
    sheet.add(row, column)
    if kind == MULRK:  # one record, a run of cells up to the column in its last two bytes
        sheet.add(row, max(column, struct.unpack_from("<H", data, len(data) - 2)[0]))
    return False


def _label_blank(raw: bytes) -> bool:
    """A BIFF8 XLUnicodeString (count, option byte, characters) of blanks only."""
    if len(raw) < 3:
        return False
    count, flags = struct.unpack_from("<HB", raw)
    chars = raw[3 : 3 + count * (2 if flags & 1 else 1)]
    return not chars.decode("utf-16-le" if flags & 1 else "latin-1", "replace").strip()


def _dimensions_too_large(data: bytes) -> bool:
    """Whether the room the reader would reserve passes a full BIFF8 sheet (65,536 × 256)."""
    if len(data) == 14:
        first, last, first_column, last_column = struct.unpack_from("<IIHH", data)
    elif len(data) == 10:
        first, last, first_column, last_column = struct.unpack_from("<HHHH", data)
    else:
        return False
    if not last or not last_column:
        return False
    if first_column > 0xFF or last_column < first_column:
        first_column = 0
    rows = (last - 1 - first + 1) % (1 << 32)
    columns = (last_column - 1 - first_column + 1) % (1 << 32)
    return bool(rows * columns > 65_536 * 256)

"""An xlsxwriter worksheet that escapes every string cell and writes number and text cells quickly.

Why a subclass: in constant_memory mode xlsxwriter writes a string that starts with ``<r>`` and
ends with ``</r>`` into the sheet XML unescaped (its shortcut for rich strings), so a firm name
could smuggle a formula cell into the file. Here every string is escaped. Number and text cells,
nearly all of a list, are serialised with one f-string each, the other cell types by xlsxwriter
itself. This overrides ``Worksheet._write_cell``, a private method: xlsxwriter is pinned in
constraints.txt and tests/exports reopen every kind of cell, so a change in it fails loudly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Literal

from xlsxwriter.utility import (  # type: ignore[import-untyped, unused-ignore]
    xl_col_to_name,
    xl_rowcol_to_cell_fast,
)
from xlsxwriter.worksheet import Worksheet  # type: ignore[import-untyped, unused-ignore]

# Excel's own escape for control characters is _xHHHH_; a literal "_xHHHH_" needs its "_" escaped.
_LITERAL_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_NEEDS_ESCAPE = re.compile(r"[&<>_\x00-\x08\x0b-\x1f]")
_EDGE_SPACE = re.compile(r"^\s|\s$")
# The cell types (xlsxwriter's namedtuple names) written here; nearly every cell of a list.
_PLAIN = frozenset({"String", "Number", "Datetime", "Blank"})


def xml_text(text: str) -> str:
    """``text`` as the content of an inline string's <t> element."""
    if not _NEEDS_ESCAPE.search(text):
        return text
    text = _LITERAL_ESCAPE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda match: f"_x{ord(match.group()):04X}_", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


EXCEL_MAX_ROWS = 1_048_576
_EPOCH = datetime(1899, 12, 31)  # noqa: DTZ001 (spreadsheets have no time zones)

CellXml = Callable[[str, Any], str]  # (row number as Excel shows it, cell value or None) -> a <c> element


def excel_serial(moment: date) -> float:
    """Days since Excel's 1900 epoch, counting its phantom 1900-02-29 as Excel and xlsxwriter do."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)  # noqa: DTZ001 (a calendar day)
    delta = moment - _EPOCH
    days = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86_400
    return days + 1 if days > 59 else days


def cell_xml_writer(col: int, kind: Literal["string", "number", "date"], style: Any) -> CellXml:
    """The function writing one column's cells as XML, in the given xlsxwriter format."""
    letter = xl_col_to_name(col)
    attributes = f' s="{style._get_xf_index()}"'

    def cell(row: str, value: Any) -> str:
        ref = f' r="{letter}{row}"'
        if value is None:
            return f"<c{ref}{attributes}/>"
        if kind == "string":
            space = ' xml:space="preserve"' if _EDGE_SPACE.search(value) else ""
            return f'<c{ref}{attributes} t="inlineStr"><is><t{space}>{xml_text(value)}</t></is></c>'
        number = excel_serial(value) if kind == "date" else value
        return f"<c{ref}{attributes}><v>{number:.16G}</v></c>"

    return cell


class ListWorksheet(Worksheet):  # type: ignore[misc]
    """Pass as ``worksheet_class`` to ``Workbook.add_worksheet``."""

    previous_row: int  # set by xlsxwriter: the row being filled in constant_memory mode

    def write_plain_row(self, row: int, cells: str, last_col: int) -> None:
        """Write a row of ready <c> elements (see cell_xml_writer) straight to the sheet.

        The hot path of a list: no per-cell objects at all. Rows must come in increasing order
        after anything written through xlsxwriter's own methods, as constant_memory requires.
        """
        if row <= self.previous_row and self.table:
            raise ValueError(f"row {row} is not after the rows already written")
        if row >= EXCEL_MAX_ROWS:
            raise ValueError(f"row {row} is past Excel's last row")
        self._write_single_row(row)  # finishes the row xlsxwriter holds, if any; now at this row
        self._check_dimensions(row, 0)
        self._check_dimensions(row, last_col)
        self.fh.write(f'<row r="{row + 1}">{cells}</row>')

    def _write_single_row(self, current_row_num: int = 0) -> None:
        # constant_memory: xlsxwriter calls this when a row is complete. A row of plain cells is
        # written in one piece (one file write instead of one per cell); anything else as before.
        row = self.previous_row
        cells = self.table.get(row)
        if not cells or row in self.comments or not all(type(c).__name__ in _PLAIN for c in cells.values()):
            super()._write_single_row(current_row_num)
            return
        self.previous_row = current_row_num
        self._write_row(row, None, self.row_info.get(row))
        self.fh.write("".join(self._cell_xml(row, col, cells[col]) for col in sorted(cells)))
        self._xml_end_tag("row")
        self.table.clear()

    def _write_cell(self, row: int, col: int, cell: Any) -> None:
        if type(cell).__name__ in _PLAIN:
            self.fh.write(self._cell_xml(row, col, cell))
        else:
            super()._write_cell(row, col, cell)

    def _cell_xml(self, row: int, col: int, cell: Any) -> str:
        kind = type(cell).__name__
        ref = xl_rowcol_to_cell_fast(row, col)
        style = self._style(row, col, cell)
        if kind == "String":
            text = cell.string
            space = ' xml:space="preserve"' if _EDGE_SPACE.search(text) else ""
            return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{xml_text(text)}</t></is></c>'
        if kind == "Blank":
            return f'<c r="{ref}"{style}/>'
        return f'<c r="{ref}"{style}><v>{cell.number:.16G}</v></c>'

    def _style(self, row: int, col: int, cell: Any) -> str:
        """The s attribute: the cell's format, else the row's, else the column's (as xlsxwriter does)."""
        style = cell.format
        if style is None and row in self.row_info:
            style = self.row_info[row].row_format
        if style is None and col in self.col_info:
            style = self.col_info[col].column_format
        return "" if style is None else f' s="{style._get_xf_index()}"'

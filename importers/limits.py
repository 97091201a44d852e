"""Bounds on what an upload may make tidu read: sizes, zip expansion, sheets, rows, cells."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * 1024 * 1024  # the upload itself
    max_uncompressed: int = (
        600 * 1024 * 1024
    )  # all zip members together, expanded (as declared, then held to it)
    max_ratio: float = 120.0  # expanded ÷ compressed, per member: beyond is a zip bomb
    max_members: int = 2_000
    max_sheets: int = 50  # every sheet of a workbook is read: more is no filing workbook
    max_shared_strings: int = 100 * 1024 * 1024  # an .xlsx's shared strings, read whole when it is opened
    max_rows: int = 300_000  # data rows with content in the chosen sheet
    max_columns: int = 300
    max_merged: int = (
        100_000  # merged ranges in one sheet: each becomes objects when read (a real sheet has dozens)
    )
    max_cell_chars: int = 32_767  # Excel's own limit for one cell
    header_scan_rows: int = 30  # title rows and headers are looked for in this many rows
    # A sheet is laid out as a dense grid (rows × columns) when read. Up to this many cells it is read
    # as it is; beyond, its blank cells are dropped first, and content spread thinly over a larger
    # area is refused (see importers.extent).
    dense_cells: int = 4_000_000


DEFAULT_LIMITS = Limits()

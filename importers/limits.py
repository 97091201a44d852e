"""Bounds on what an upload may make tidu read: sizes, zip expansion, rows, cells."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * 1024 * 1024  # the upload itself
    max_uncompressed: int = 600 * 1024 * 1024  # all zip members together, expanded
    max_ratio: float = 120.0  # expanded ÷ compressed, per member: beyond is a zip bomb
    max_members: int = 2_000
    max_rows: int = 300_000  # non-empty data rows in the chosen sheet
    max_columns: int = 300
    max_cell_chars: int = 32_767  # Excel's own limit for one cell
    header_scan_rows: int = 30  # title rows and headers are looked for in this many rows


DEFAULT_LIMITS = Limits()

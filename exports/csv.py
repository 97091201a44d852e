"""Lists as CSV for machines and Excel alike: UTF-8 with BOM, CRLF, header row then data rows."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any, BinaryIO

from exports.cells import CellValue, cell_converter
from exports.changes import Diff
from exports.columns import Column
from exports.document import ListDocument
from exports.errors import ExportError
from exports.manifest import Manifest, RowTally
from exports.sanitize import neutralise


def write_csv(doc: ListDocument, out: BinaryIO) -> Manifest:
    """Write ``doc``'s header and rows to ``out``; return the manifest for the sidecar.

    No title, notes or subtotals: each line is one row, so the file reads back into a table as
    it is. The BOM makes Excel read the text as UTF-8; every text cell is neutralised.
    """
    if not doc.columns:
        raise ExportError("清单至少需要一列")
    tally = RowTally(doc.columns)
    # The wrapper is detached, not closed, so the caller's stream stays open.
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([neutralise(column.header) for column in doc.columns])
    writer.writerows(_lines(doc, tally))
    text.flush()
    text.detach()
    return tally.manifest(doc.info)


def _lines(doc: ListDocument, tally: RowTally) -> Iterator[list[str]]:
    converters = [_csv_converter(column) for column in doc.columns]
    keys = [column.key for column in doc.columns]
    for row in doc.rows:
        tally.add(row)
        yield [convert(row.get(key)) for key, convert in zip(keys, converters, strict=True)]


def _csv_converter(column: Column) -> Callable[[Any], str]:
    convert = cell_converter(column)
    return lambda value: csv_text(convert(value))


def csv_text(cell: CellValue) -> str:
    """Dates in ISO form, numbers as Python writes them (they read back exactly), blank for None."""
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ")
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


def manifest_json(manifest: Manifest, diff: Diff | None) -> bytes:
    """The sidecar: the manifest and the diff as UTF-8 JSON, indented, Chinese kept readable."""
    document = {"manifest": manifest.as_dict(), "diff": diff.as_dict() if diff is not None else None}
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

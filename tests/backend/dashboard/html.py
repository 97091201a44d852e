"""Read rendered pages as a person reads them: a table's rows as cell texts, a flash, a heading."""

from __future__ import annotations

import html
import re


def text_of(fragment: str) -> str:
    """Visible text of an HTML fragment: tags removed, entities decoded, whitespace collapsed."""
    without = re.sub(r"<title>.*?</title>", "", fragment, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", without)).split())


def table_rows(page: str, table_id: str) -> list[list[str]]:
    """The rows (header, body and footer) of the table with ``table_id``, each as its cells' texts."""
    found = re.search(rf'<table[^>]*id="{re.escape(table_id)}"[^>]*>(.*?)</table>', page, flags=re.S)
    assert found is not None, f"no table #{table_id} on the page"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), flags=re.S)
    return [
        [text_of(cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)] for row in rows
    ]


def row_for(page: str, table_id: str, first_cell: str) -> list[str]:
    """The row of table ``table_id`` whose first cell reads ``first_cell``."""
    rows = [r for r in table_rows(page, table_id) if r and r[0] == first_cell]
    assert rows, f"no row {first_cell!r} in #{table_id}: {table_rows(page, table_id)}"
    return rows[0]


def flashes(page: str) -> list[str]:
    return [text_of(m) for m in re.findall(r'<p class="flash"[^>]*>(.*?)</p>', page, flags=re.S)]

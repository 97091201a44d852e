"""File downloads: the media type of a workbook and a Content-Disposition every browser reads."""

from __future__ import annotations

from urllib.parse import quote

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(name: str) -> str:
    """RFC 6266 / 5987: an ASCII fallback and the Chinese name as filename*."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"

"""Formula-injection defence for every text a person's spreadsheet program will read."""

from __future__ import annotations

# Excel and LibreOffice treat a cell starting with these as a formula (TAB and CR as well, since
# some importers strip them and evaluate what follows).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """``text`` with a leading ``'`` if a spreadsheet could evaluate it, otherwise unchanged.

    Leading spaces do not protect: spreadsheet programs skip them before looking for ``=``.
    """
    if text.lstrip(" ").startswith(_FORMULA_STARTS):
        return "'" + text
    return text

"""Why a whole file cannot be imported (row-level problems are issues, not errors)."""

from __future__ import annotations

from typing import Any


class ImportRejected(Exception):
    """The file as a whole is refused: not a spreadsheet, too large, encrypted, no header …

    ``message`` is Chinese and says what to do; ``context`` carries what a program needs
    (the sheets to choose from, the limit that was hit).
    """

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

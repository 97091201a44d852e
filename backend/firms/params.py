"""Path parameters naming a firm, for every route under /api/firms/{uscc}."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from backend.firms.schemas import USCC_DESCRIPTION

# Any code is looked up as sent (normalised by the service); a malformed one is simply not found.
UsccPath = Annotated[str, Path(max_length=40, description=USCC_DESCRIPTION)]

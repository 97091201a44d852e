"""Query parameters every list route shares (kept apart from pagination: services import that)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from backend.core.pagination import MAX_PAGE, MAX_PAGE_SIZE, PageNumber, PageSize

# Each route gives its own default.
PageQuery = Annotated[PageNumber, Query(description=f"页码：1 至 {MAX_PAGE}")]
SizeQuery = Annotated[PageSize, Query(description=f"每页条数：1 至 {MAX_PAGE_SIZE}")]

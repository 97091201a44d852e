"""One page of a list: the items, the total and where we are; the page and size bounds, once."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from annotated_types import Ge, Le
from pydantic import BaseModel

T = TypeVar("T")

MAX_PAGE_SIZE = 200
# 100,000 pages of 200 rows is 20 million rows, past any list here; a larger page number is a
# client's mistake (it once reached PostgreSQL as an OFFSET past BIGINT and failed as a 500).
MAX_PAGE = 100_000

PageNumber = Annotated[int, Ge(1), Le(MAX_PAGE)]
PageSize = Annotated[int, Ge(1), Le(MAX_PAGE_SIZE)]


class PageParams(BaseModel):
    page: PageNumber = 1
    size: PageSize = 50

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    size: int

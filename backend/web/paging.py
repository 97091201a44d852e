"""The one pager of the list pages: where we are, how many pages, and the links either side.

A page builds a ``Pager`` and renders it with ``partials/_pager.html``. Links keep the page's
other query parameters; page 1 and empty parameters are left out of them (``/exports``, not
``/exports?page=1``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode


def query_string(values: Mapping[str, object]) -> str:
    """``?a=1&b=2`` of the values that are set (``None``, "" and page 1 are left out); "" if none."""
    shown = {k: v for k, v in values.items() if v is not None and v != "" and not (k == "page" and v == 1)}
    return f"?{urlencode(shown)}" if shown else ""


@dataclass(frozen=True)
class Pager:
    page: int
    pages: int  # at least 1, even for an empty list
    total: int
    previous_url: str | None
    next_url: str | None

    @classmethod
    def build(cls, page: int, total: int, size: int, url: Callable[[int], str]) -> Pager:
        """Page ``page`` of ``total`` rows, ``size`` a page; ``url(n)`` is the address of page n."""
        pages = max(1, -(-total // size))
        return cls(
            page=page,
            pages=pages,
            total=total,
            previous_url=url(page - 1) if page > 1 else None,
            next_url=url(page + 1) if page < pages else None,
        )

    @classmethod
    def at(cls, path: str, query: Mapping[str, object], *, page: int, total: int, size: int) -> Pager:
        """The pager of ``path`` whose other query parameters are ``query``."""
        return cls.build(page, total, size, lambda n: path + query_string({**query, "page": n}))

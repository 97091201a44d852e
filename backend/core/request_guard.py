"""One check of every request's text and numbers, before any route or page reads them.

PostgreSQL cannot store a NUL character, and a lone UTF-16 surrogate cannot be encoded at all:
either one in any text a client sends (a firm name, a reason, a query string, a page's form
field) used to travel to the database and fail there as a 500. JSON as Python reads it also
accepts NaN and Infinity (and turns 1e400 into Infinity), numbers no schema means and no JSON
answer can carry back. Rather than a check on each field, this app-wide dependency looks at
every path parameter, query parameter, form field and JSON value once and refuses such input
with the one 422 error shape, naming the field.

Tab, line feed and carriage return are ordinary text (a note may have several lines); every
other C0 control character and DEL is refused too: invisible, and never meant.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from fastapi import Request

from backend.core.errors import Unprocessable
from backend.core.validation_messages import INVISIBLE, field_label

CONTROL_MESSAGE = "不能包含不可见的控制字符"
NOT_FINITE_MESSAGE = "应为有限的数字（不接受 NaN、Infinity 或超出范围的数）"
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


async def screen_request(request: Request) -> None:
    """Refuse control characters in any text and non-finite numbers in any JSON value."""
    for field, value in await _values(request):
        _check(field, value)


async def _values(request: Request) -> list[tuple[str, Any]]:
    values: list[tuple[str, Any]] = list(request.path_params.items())
    for name, value in request.query_params.multi_items():
        values += [("[key]", name), (name, value)]
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in _FORMS:
        # Parsed once: FastAPI and the pages read the same cached form afterwards.
        form = await request.form()
        for name, field in form.multi_items():
            # An upload's own name is text too: it is stored with the import run.
            text = field if isinstance(field, str) else field.filename
            values += [("[key]", name), (name, text)]
    elif content_type == "" or content_type == "application/json" or content_type.endswith("+json"):
        values += list(_walk("", await _json(request)))
    return values


async def _json(request: Request) -> Any:
    """The JSON body FastAPI already parsed (cached on the request), or None without one."""
    if not await request.body():
        return None
    try:
        return await request.json()
    except ValueError:
        return None  # not JSON: the route's own validation says so


def _walk(path: str, value: Any) -> Iterator[tuple[str, Any]]:
    """Every key and scalar of a JSON document with its dotted path; a stack, not recursion, so
    no nesting depth the JSON parser accepted can overflow here."""
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                yield (f"{where}.[key]" if where else "[key]"), key
                stack.append((f"{where}.{key}" if where else str(key), inner))
        elif isinstance(item, list):
            stack += [
                (f"{where}.{index}" if where else str(index), inner) for index, inner in enumerate(item)
            ]
        else:
            yield where or "body", item


def _check(field: str, value: Any) -> None:
    if isinstance(value, str) and INVISIBLE.search(value):
        raise Unprocessable(field, value, f"{field_label(field)}{CONTROL_MESSAGE}")
    if isinstance(value, float) and not math.isfinite(value):
        raise Unprocessable(field, str(value), f"{field_label(field)}{NOT_FINITE_MESSAGE}")

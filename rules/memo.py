"""Results of pure functions of long-lived, immutable objects (compiled rules), kept per object.

Compiled expressions and rule sets are frozen but deep: hashing one walks the whole tree, which costs
more than most of what is computed from it. They are keyed by identity instead; the cache holds the
object itself, so its id cannot be reused while the entry lives. The cache is bounded: rule
registries loaded for previews come and go.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
_LIMIT = 100_000
_ENTRIES: dict[tuple[int, int], tuple[Any, Any]] = {}


def per_object(function: Callable[[T], R]) -> Callable[[T], R]:
    """``function(obj)`` computed once per object; its result must never be mutated."""
    tag = id(function)

    def cached(obj: T) -> R:
        key = (tag, id(obj))
        hit = _ENTRIES.get(key)
        if hit is not None and hit[0] is obj:
            result: R = hit[1]
            return result
        value = function(obj)
        if len(_ENTRIES) >= _LIMIT:
            _ENTRIES.clear()
        _ENTRIES[key] = (obj, value)
        return value

    cached.__doc__ = function.__doc__
    cached.__name__ = function.__name__
    return cached

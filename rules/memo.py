"""Results of pure functions of long-lived, immutable objects (compiled rules), kept per object.

Compiled expressions and rule sets are frozen but deep: hashing one walks the whole tree, which costs
more than most of what is computed from it. They are keyed by identity instead; the cache holds the
object itself, so its id cannot be reused while the entry lives. The cache is bounded: rule
registries loaded for previews come and go.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

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


class KeptBy(Generic[R]):
    """Values computed from some objects (by identity) and hashable details, at most ``limit`` of them.

    The objects are held with each value, so their ids cannot be reused while it lives; when full,
    everything is forgotten (the next requests compute again). For caches on a hot path that must
    not grow with the registry: a leaf's trace per value read, its summary, a threshold as shown.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._entries: dict[tuple[tuple[int, ...], Hashable], tuple[tuple[object, ...], R]] = {}

    def get(self, owners: tuple[object, ...], detail: Hashable = ()) -> R | None:
        hit = self._entries.get((tuple(map(id, owners)), detail))
        if hit is None or any(kept is not owner for kept, owner in zip(hit[0], owners, strict=True)):
            return None
        return hit[1]

    def put(self, owners: tuple[object, ...], detail: Hashable, value: R) -> R:
        if len(self._entries) >= self.limit:
            self._entries.clear()
        self._entries[(tuple(map(id, owners)), detail)] = (owners, value)
        return value

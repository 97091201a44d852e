"""What a list export asks for (kind and filters), who may ask, and the canonical scope key.

Every rule here reads the list's spec (``vocabulary.lists``): which filters it needs and reads,
who may export it and who may make it final. The scope key names "the same list" across
exports: the previous export of the same kind and scope key is what a new export is diffed
against. It never contains the format or ``final``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from backend.core.security import Actor
from backend.lists.errors import ExportForbidden, ExportInvalid
from vocabulary.lists import (
    DEFAULT_REMINDER_DAYS,
    FILTERS_BY_NAME,
    LISTS,
    LISTS_BY_KIND,
    Filter,
    ListKind,
    ListSpec,
    lists_for,
    titles,
)
from vocabulary.states import ROLE_LABELS, Role, roles_text

__all__ = ["DEFAULT_REMINDER_DAYS", "FORMATS", "ListParams", "parse_kind", "scoped", "spec_of", "validate"]

FORMATS = ("xlsx", "csv")


@dataclass(frozen=True)
class ListParams:
    """Filters of one list; which ones a kind needs and reads is its spec's."""

    year: int | None = None
    program: str | None = None
    bureau: str | None = None
    batch: int | None = None  # tier_batch.id
    tier: str | None = None
    days: int = DEFAULT_REMINDER_DAYS
    final: bool = False

    def value(self, name: Filter) -> int | str | None:
        found: int | str | None = getattr(self, name.value)
        return found

    def filters(self, spec: ListSpec) -> dict[str, str]:
        """The filters that define the list, as text, in a fixed order (scope key and manifest)."""
        values = {name: self.value(name) for name in Filter if name in spec.accepts}
        return {name.value: str(value) for name, value in values.items() if value is not None}

    def scope_key(self, spec: ListSpec) -> str:
        parts = [f"{key}={value}" for key, value in self.filters(spec).items()]
        return ";".join([spec.run_kind, *parts])[:200]

    def accepted(self, spec: ListSpec) -> ListParams:
        """Only the filters ``spec`` reads: another one given changes neither the list nor its scope."""
        ignored: dict[str, Any] = {name.value: None for name in Filter if name not in spec.accepts}
        ignored.pop(
            Filter.days.value, None
        )  # never None: a list that does not read it leaves it out of its key
        return replace(self, **ignored)


def parse_kind(value: str) -> ListSpec:
    try:
        return LISTS_BY_KIND[ListKind(value)]
    except ValueError:
        choices = "、".join(spec.code for spec in LISTS)
        raise ExportInvalid("kind", value, f"没有“{value}”这种清单：可选 {choices}") from None


def spec_of(kind: ListSpec | str) -> ListSpec:
    """A list's spec, from itself or its code (a ``ListKind`` is its code)."""
    return kind if isinstance(kind, ListSpec) else parse_kind(kind)


def validate(spec: ListSpec, params: ListParams) -> ListParams:
    """``params`` narrowed to what ``spec`` reads, or the first thing wrong with them (422)."""
    for name in Filter:
        if name in spec.needs and params.value(name) is None:
            raise ExportInvalid(name.value, None, f"导出{spec.title}须指定{spec.filter_label(name)}")
    if params.final and not spec.can_be_final:
        finals = titles(tuple(s for s in LISTS if s.can_be_final))
        raise ExportInvalid("final", True, f"只有{finals}可以导出正式版（final）")
    days = FILTERS_BY_NAME[Filter.days]
    assert days.minimum is not None
    assert days.maximum is not None
    if Filter.days in spec.accepts and not days.minimum <= params.days <= days.maximum:
        raise ExportInvalid("days", params.days, f"{days.label}应在 {days.minimum} 到 {days.maximum} 之间")
    return params.accepted(spec)


def scoped(actor: Actor, spec: ListSpec, params: ListParams) -> ListParams:
    """The params this actor may export: a bureau's forced to its own bureau; others refused."""
    params = validate(spec, params)
    role = actor.role
    if role not in spec.roles:
        allowed = lists_for(role)
        if not allowed:
            raise ExportForbidden(f"{ROLE_LABELS[role]}用户不能导出清单")
        raise ExportForbidden(f"{ROLE_LABELS[role]}用户只能导出{titles(allowed)}，不能导出{spec.title}")
    if role is Role.bureau and params.bureau not in (None, actor.bureau_code):
        raise ExportForbidden("区科技局只能导出本审查单位的清单")
    if params.final and role not in spec.final_roles:
        raise ExportForbidden(f"正式{spec.title}只能由{roles_text(spec.final_roles)}导出")
    if role is Role.bureau:
        return replace(params, bureau=actor.bureau_code)
    return params

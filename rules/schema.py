"""The shape of a rule-set file, validated strictly (unknown keys are errors)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

Status = Literal["confirmed", "provisional"]
# Names a decision uses for itself (and test cases' ``expect`` reads): not criterion ids.
RESERVED_IDS = frozenset({"amount", "score", "failing", "missing", "provisional", "advice"})
Kind = Literal["tier", "certificate", "award", "pool", "index"]
Scalar = bool | int | Decimal | str | date


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatedValue(_Strict):
    from_: date = Field(alias="from")
    value: Any


class Param(_Strict):
    """A threshold or amount with its source and whether the source confirms it.

    ``value`` for one value; ``values`` for values that change on dates (the latest whose
    ``from`` is on or before the as-of date applies). A threshold no source gives is not a
    param: the criterion calls ``unconfirmed("…")`` and is always ``unknown``.
    """

    value: Any = None
    values: list[DatedValue] | None = None
    reference: str = Field(min_length=1)
    status: Status
    unit: str = ""
    note: str = ""

    @model_validator(mode="after")
    def _one_value(self) -> Self:
        if (self.value is None) == (self.values is None):
            raise ValueError("参数必须有且只有 value 或 values 之一")
        if self.values is not None and not self.values:
            raise ValueError("values 不能为空")
        return self

    def value_on(self, day: date) -> Any:
        if self.values is None:
            return self.value
        current = [v for v in sorted(self.values, key=lambda v: v.from_) if v.from_ <= day]
        return current[-1].value if current else None


class Effective(_Strict):
    from_: date = Field(alias="from")
    to: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.to is not None and self.to < self.from_:
            raise ValueError("effective.to 早于 effective.from")
        return self


class Criterion(_Strict):
    """One node: exactly one of ``test`` (an expression), ``all``, ``any`` or ``not``."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    reference: str | None = None  # the policy article; defaults to the rule set's reference
    test: str | None = None
    all: list[Criterion] | None = None
    any: list[Criterion] | None = None
    not_: Criterion | None = Field(default=None, alias="not")
    # fixed: the firm cannot change it (age, integrity); expert: scored by reviewers, never advised
    advice: Literal["fixed", "expert"] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if self.id in RESERVED_IDS:
            raise ValueError(f"条件 id 不能使用保留字 {'、'.join(sorted(RESERVED_IDS))}")
        kinds = [k for k in ("test", "all", "any", "not_") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("每个条件必须有且只有 test、all、any、not 之一")
        for group in (self.all, self.any):
            if group is not None and not group:
                raise ValueError("all / any 不能为空")
        return self

    @property
    def children(self) -> list[Criterion]:
        if self.all is not None:
            return self.all
        if self.any is not None:
            return self.any
        return [self.not_] if self.not_ is not None else []

    def walk(self) -> list[Criterion]:
        return [self, *(node for child in self.children for node in child.walk())]


class Amount(_Strict):
    """How much an award pays: an expression in 元 (fixed, banded, progressive, matched)."""

    expression: str
    label: str = ""
    cap_param: str | None = None  # name of a param capping the amount


class Component(_Strict):
    """One named part of an index score (the firm profile shows each)."""

    label: str = Field(min_length=1)
    expression: str


class RuleSetDocument(_Strict):
    program: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Kind
    # Shipped programs take their title from the vocabulary; a title here only names a program
    # the vocabulary does not declare (a draft, a test).
    title: str | None = Field(default=None, min_length=1)
    version: str = Field(min_length=1)
    effective: Effective
    reference: str = Field(min_length=1)
    measured_at: Literal["prior_year_end", "evaluation_date"]
    description: str = ""
    params: dict[str, Param] = Field(default_factory=dict)
    criteria: Criterion
    amount: Amount | None = None
    score: str | None = None  # index programs: a number per firm …
    components: dict[str, Component] | None = None  # … or the sum of named parts
    once_per_firm: bool = False
    excludes: list[str] = Field(default_factory=list)  # award programs that cannot be combined
    enabled: bool = True  # a disabled program loads and is checked but computes nothing

    @model_validator(mode="after")
    def _kind_fits(self) -> Self:
        if self.kind == "award" and self.amount is None:
            raise ValueError("奖励项目（kind: award）必须有 amount")
        if self.kind != "award" and (self.amount is not None or self.once_per_firm or self.excludes):
            raise ValueError("amount、once_per_firm、excludes 只用于奖励项目（kind: award）")
        scored = self.score is not None or bool(self.components)
        if (self.kind == "index") != scored or (self.score is not None and self.components):
            raise ValueError("指数项目（kind: index）必须有 score 或 components 之一，其他项目都不能有")
        ids = [node.id for node in self.criteria.walk()]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"条件 id 重复：{'、'.join(duplicates)}")
        return self

    def in_force_on(self, day: date) -> bool:
        return self.effective.from_ <= day and (self.effective.to is None or day <= self.effective.to)

"""Evaluation errors."""

from __future__ import annotations

from backend.core.errors import Unprocessable
from rules.errors import FactsError, RuleError


class RuleInputInvalid(Unprocessable):
    """A program, version or facts document the rules cannot take."""

    @classmethod
    def from_rule_error(cls, field: str, error: RuleError) -> RuleInputInvalid:
        if isinstance(error, FactsError):
            return cls(error.field, None, error.message)
        return cls(field, None, str(error))

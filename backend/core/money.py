"""Money as clients send it: integer 元 within one plausible range, declared here once.

The ceiling is 100 万亿元 (10**14 元). No firm's revenue or assets come near it (the largest
company anywhere reports assets of about 45 万亿元), so no real figure is refused; yet it is
far below BIGINT (about 9.2 × 10**18), so sums over a whole registry stay in range, and below
2**53, so every amount survives a JSON client that reads numbers as doubles exactly.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, ValidationError, ValidatorFunctionWrapHandler, WrapValidator

from vocabulary.figures import MAX_YUAN

_OUT_OF_RANGE = {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}


def yuan_text(amount: int) -> str:
    """An amount as a person reads it: 100万亿元, 3.5亿元, 12万元, 800元."""
    for size, unit in ((10**12, "万亿元"), (10**8, "亿元"), (10**4, "万元")):
        if abs(amount) >= size:
            return f"{amount / size:,.4f}".rstrip("0").rstrip(".") + unit
    return f"{amount}元"


def _range_message(low: int) -> str:
    if low == 0:
        return f"金额不能为负，也不能超过 {yuan_text(MAX_YUAN)}（以元为单位的整数）"
    return f"金额应在 {yuan_text(low)} 至 {yuan_text(MAX_YUAN)}之间（以元为单位的整数）"


def _ranged(low: int) -> WrapValidator:
    """Say an out-of-range amount's bounds in 万元/亿元 rather than as a 15-digit number."""

    def check(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError as exc:
            if any(error["type"] in _OUT_OF_RANGE for error in exc.errors()):
                raise ValueError(_range_message(low)) from None
            raise

    return WrapValidator(check)


Yuan = Annotated[
    int, Field(ge=0, le=MAX_YUAN, description=f"金额（元，整数）：0 至 {yuan_text(MAX_YUAN)}"), _ranged(0)
]
# Net assets may be negative: the same bound either side of zero.
SignedYuan = Annotated[
    int,
    Field(ge=-MAX_YUAN, le=MAX_YUAN, description=f"金额（元，整数，可为负）：±{yuan_text(MAX_YUAN)}以内"),
    _ranged(-MAX_YUAN),
]

"""Amounts in 元 written as Chinese financial capitals (大写金额), as finance offices expect them."""

from __future__ import annotations

from decimal import Decimal

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("仟", "佰", "拾", "")
_WAN = 10**4
_YI = 10**8
# 亿亿 is not a unit anyone writes on a disbursement form: refuse rather than invent one.
_LIMIT = 10**16


def yuan_capitals(amount: int | Decimal) -> str:
    """``amount`` 元 in capitals: 100000 → 壹拾万元整, Decimal("1.05") → 壹元零伍分.

    Rules (中国人民银行《正确填写票据和结算凭证的基本规定》): one 零 stands for any run of zeros,
    including across the 万 and 亿 sections (壹亿零壹万); 整 ends amounts without 角 or 分;
    amounts below one 元 start at 角 or 分. Where the rule lets the 零 be written or left out
    (万位 or 元位 zero before a non-zero 仟位 or 角位: 壹拾万伍仟, 壹仟元伍角) it is left out,
    always the same way. Negative amounts, fractions of a 分 and amounts of 亿亿 or more raise
    ValueError.
    """
    fen = _to_fen(amount)
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    if cents == 0:
        return (_integer_words(yuan) if yuan else "零") + "元整"
    head = _integer_words(yuan) + "元" if yuan else ""
    return head + _fraction_words(jiao, fen_digit, has_yuan=yuan > 0)


def _to_fen(amount: int | Decimal) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        raise ValueError(f"金额必须是整数或 Decimal：{amount!r}")
    fen = Decimal(amount) * 100
    if fen < 0:
        raise ValueError(f"金额不能为负数：{amount}")
    if fen != fen.to_integral_value():
        raise ValueError(f"金额精度不能小于分：{amount}")
    if fen >= _LIMIT * 100:
        raise ValueError(f"金额过大：{amount}")
    return int(fen)


def _fraction_words(jiao: int, fen: int, *, has_yuan: bool) -> str:
    words = ""
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif has_yuan:
        words += "零"  # 壹元零伍分: the missing 角 is read as 零
    if fen:
        words += _DIGITS[fen] + "分"
    return words


def _integer_words(number: int) -> str:
    """``number`` > 0 in capitals, without 元."""
    if number >= _YI:
        high, low = divmod(number, _YI)
        return _integer_words(high) + "亿" + _section_tail(low, _YI)
    if number >= _WAN:
        high, low = divmod(number, _WAN)
        return _integer_words(high) + "万" + _section_tail(low, _WAN)
    return _below_wan(number)


def _section_tail(low: int, unit: int) -> str:
    """What follows 万 or 亿: 零 when the next lower digit place is empty (壹万零伍)."""
    if low == 0:
        return ""
    prefix = "零" if low < unit // 10 else ""
    return prefix + _integer_words(low)


def _below_wan(number: int) -> str:
    words = ""
    pending_zero = False
    for digit, unit in zip(f"{number:04d}", _SMALL_UNITS, strict=True):
        if digit == "0":
            pending_zero = bool(words)
            continue
        if pending_zero:
            words += "零"
            pending_zero = False
        words += _DIGITS[int(digit)] + unit
    return words

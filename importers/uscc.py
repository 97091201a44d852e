"""统一社会信用代码 (GB 32100-2015): normalisation, structure, check character, pilot exceptions.

Structure (policy.md §6.1): position 1 registering-department code, 2 organisation class,
3–8 the registering authority's GB/T 2260 area code, 9–17 the GB 11714 organisation code,
18 the check character over a 31-character alphabet without I, O, S, V, Z.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29 …
DEPARTMENT_CODES = frozenset("123456789ANY")
LENGTH = 18

# Legally issued in the 2014–2015 Fujian/Xiamen pilot but failing the check character:
# accepted with a warning, never rejected (policy.md §6.4).
PILOT_EXCEPTIONS = frozenset({"91350100M0001TGQXM", "91350211M0000XUF46", "91350203M0001FUE2P"})


class UsccStatus(StrEnum):
    valid = "valid"
    pilot_exception = "pilot_exception"
    invalid = "invalid"


@dataclass(frozen=True)
class UsccCheck:
    code: str  # normalised
    status: UsccStatus
    problems: list[str] = field(default_factory=list)  # why it is invalid, in Chinese
    warnings: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.status is not UsccStatus.invalid


VALUES = {char: value for value, char in enumerate(ALPHABET)}
WELL_FORMED = re.compile(r"[1-9ANY][0-9A-HJ-NP-RT-UW-Y][0-9]{6}[0-9A-HJ-NP-RT-UW-Y]{10}")


def normalize(raw: str) -> str:
    """Trim, full-width → half-width (NFKC), upper-case. Inner characters are kept as typed."""
    if raw.isascii():  # NFKC leaves ASCII as it is
        return raw.strip().upper()
    return unicodedata.normalize("NFKC", raw).strip().upper()


def check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters (all in ALPHABET)."""
    remainder = 31 - sum(map(operator.mul, map(VALUES.__getitem__, first17), WEIGHTS)) % 31
    return ALPHABET[0 if remainder == 31 else remainder]


def _byte_values() -> np.ndarray:
    """Each byte's value in ALPHABET; 255 where the byte is no character of a code."""
    table = np.full(256, 255, dtype=np.uint8)
    for value, char in enumerate(ALPHABET):
        table[ord(char)] = value
    return table


BYTE_VALUES = _byte_values()
DEPARTMENT_BYTES = np.frombuffer("".join(sorted(DEPARTMENT_CODES)).encode(), dtype=np.uint8)


def already_valid(raws: Sequence[Any]) -> np.ndarray:
    """Per cell: True where it holds a valid code exactly as ``validate`` would return it.

    A column of 100,000 codes checked with numpy in milliseconds instead of one call per cell; a
    False only means "not certainly": the cell goes through ``validate``, which names its problems.
    """
    ok = np.zeros(len(raws), dtype=bool)
    # Upper-case ASCII of the right length (anything else needs normalising or is wrong).
    candidates = [
        i for i, raw in enumerate(raws) if raw.__class__ is str and len(raw) == LENGTH and raw.isascii()
    ]
    if not candidates:
        return ok
    blob = "".join([raws[i] for i in candidates]).encode("ascii")
    codes = np.frombuffer(blob, dtype=np.uint8).reshape(-1, LENGTH)
    values = BYTE_VALUES[codes]
    well_formed = (
        (values != 255).all(axis=1)
        & np.isin(codes[:, 0], DEPARTMENT_BYTES)
        & (values[:, 2:8] < 10).all(axis=1)
    )
    remainder = 31 - (values[:, :17].astype(np.int64) @ np.array(WEIGHTS, dtype=np.int64)) % 31
    expected = np.where(remainder == 31, 0, remainder)
    ok[np.array(candidates)] = well_formed & (expected == values[:, 17])
    return ok


def accepted_status(code: str) -> UsccStatus:
    """The status of a code already accepted by ``validate``."""
    return UsccStatus.pilot_exception if code in PILOT_EXCEPTIONS else UsccStatus.valid


def _structure_problems(code: str) -> list[str]:
    if len(code) != LENGTH:
        return [f"长度应为18位，实际为{len(code)}位"]
    problems = []
    for position, char in enumerate(code, start=1):
        if char not in ALPHABET:
            hint = "（代码中不使用 I、O、S、V、Z）" if char in "IOSVZ" else ""
            problems.append(f"第{position}位字符“{char}”不合法{hint}")
    if code[0] in ALPHABET and code[0] not in DEPARTMENT_CODES:
        problems.append(f"第1位登记管理部门代码“{code[0]}”不存在")
    if not code[2:8].isdigit():
        problems.append(f"第3–8位应为行政区划代码（6位数字），实际为“{code[2:8]}”")
    return problems


def validate(raw: str) -> UsccCheck:
    """Classify a credit code; ``problems`` name every fault found, in Chinese."""
    code = normalize(raw)
    if WELL_FORMED.fullmatch(code) and check_char(code[:17]) == code[17]:
        return UsccCheck(code, UsccStatus.valid)  # the common case, without building any message
    problems = _structure_problems(code)
    if not problems:
        expected = check_char(code[:17])
        if expected != code[17]:
            problems.append(f"校验码应为“{expected}”，实际为“{code[17]}”")
    if not problems:
        return UsccCheck(code, UsccStatus.valid)
    if code in PILOT_EXCEPTIONS:
        warning = "该代码为2014–2015年福建/厦门试点期间依法发放的代码，未通过校验码检查，按例外名单接受"
        return UsccCheck(code, UsccStatus.pilot_exception, warnings=[warning])
    return UsccCheck(code, UsccStatus.invalid, problems=problems)


def require_accepted(raw: str) -> str:
    """Pydantic validator: the normalised code, or ValueError naming the value and why."""
    result = validate(raw)
    if not result.accepted:
        raise ValueError(f"统一社会信用代码“{result.code}”无效：" + "；".join(result.problems))
    return result.code


def is_enterprise(code: str) -> bool:
    """Prefix 91 (企业); 92 个体工商户 and 93 农民专业合作社 are not eligible for the tiers."""
    return code.startswith("91")

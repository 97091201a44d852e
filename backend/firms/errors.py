"""Firm errors."""

from __future__ import annotations

from backend.core.errors import Conflict, NotFound


class FirmNotFound(NotFound):
    code = "firm.not_found"

    def __init__(self, uscc: str) -> None:
        # Also what a user outside the firm's scope gets: existence is not revealed.
        super().__init__(f"未找到统一社会信用代码为 {uscc} 的企业", uscc=uscc)


class DuplicateFirm(Conflict):
    code = "firm.duplicate"

    def __init__(self, uscc: str) -> None:
        super().__init__(f"统一社会信用代码 {uscc} 已登记", uscc=uscc)

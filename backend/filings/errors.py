"""Filing errors."""

from __future__ import annotations

from backend.core.errors import Conflict, NotFound


class FilingNotFound(NotFound):
    code = "filing.not_found"

    def __init__(self, uscc: str, fiscal_year: int) -> None:
        super().__init__(f"未找到企业 {uscc} 的 {fiscal_year} 年度申报", uscc=uscc, fiscal_year=fiscal_year)


class DuplicateFiling(Conflict):
    code = "filing.duplicate"

    def __init__(self, uscc: str, fiscal_year: int) -> None:
        super().__init__(
            f"企业 {uscc} 的 {fiscal_year} 年度申报已存在；请修改（PATCH）以追加新版本",
            uscc=uscc,
            fiscal_year=fiscal_year,
        )

"""Errors of the rules package. Every message is Chinese and names file, criterion and position."""

from __future__ import annotations


class RuleError(Exception):
    """Base class: something about rules or facts that a user must fix."""


class RuleFileError(RuleError):
    """A rule set file that cannot be loaded: it never loads partly and never defaults to pass."""

    def __init__(
        self, file: str, message: str, *, criterion: str | None = None, position: str | None = None
    ) -> None:
        self.file = file
        self.criterion = criterion
        self.position = position
        where = file
        if criterion:
            where += f"，条件 {criterion}"
        if position:
            where += f"，位置 {position}"
        super().__init__(f"{where}：{message}")
        self.message = message


class FactsError(RuleError):
    """Facts given by hand (what-if, facts files) that do not fit the fact schema."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}：{message}")


class UnknownProgram(RuleError):
    def __init__(self, program: str, known: list[str]) -> None:
        self.program = program
        super().__init__(f"未知的评价项目“{program}”（可选：{'、'.join(known)}）")


class NoVersionInForce(RuleError):
    def __init__(self, program: str, day: object) -> None:
        self.program = program
        super().__init__(f"{day} 没有生效的“{program}”规则版本")

"""User account errors."""

from __future__ import annotations

from backend.core.errors import Conflict


class DuplicateUser(Conflict):
    code = "user.duplicate"

    def __init__(self, username: str) -> None:
        super().__init__(f"用户名 {username} 已存在", username=username)

"""Authentication errors."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import ClassVar

from backend.core.errors import AppError, Unauthorized


class BadCredentials(Unauthorized):
    code = "auth.bad_credentials"

    def __init__(self) -> None:
        super().__init__("用户名或密码错误")


class NotAuthenticated(Unauthorized):
    code = "auth.required"

    def __init__(self) -> None:
        super().__init__("需要登录：请在 Authorization 头中提供有效的 Bearer 令牌")


class TooManyAttempts(AppError):
    """Logins refused too often: try again after ``wait`` (sent as Retry-After, in whole seconds)."""

    status_code: ClassVar[int] = 429
    code = "auth.throttled"

    def __init__(self, wait: timedelta) -> None:
        seconds = max(1, math.ceil(wait.total_seconds()))
        minutes = math.ceil(seconds / 60)
        super().__init__(f"登录失败次数过多，请 {minutes} 分钟后再试", retry_after_seconds=seconds)
        self.retry_after = seconds

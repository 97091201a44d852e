"""Expected failures with a status, a stable machine code and a Chinese detail (no web framework here)."""

from __future__ import annotations

from typing import Any, ClassVar


class AppError(Exception):
    """An expected failure callers can act on. Subclasses fix status and code."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "invalid"
    # Seconds, sent as Retry-After when set; a subclass fixes it, or an instance says its own.
    retry_after: int | None = None

    def __init__(self, detail: str, **context: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.context = context


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class Unprocessable(AppError):
    """Semantically invalid input: names the field, the value and what was expected."""

    status_code = 422
    code = "validation_error"

    def __init__(self, field: str, value: Any, message: str) -> None:
        super().__init__(message, errors=[{"field": field, "value": value, "message": message}])


class ServiceUnavailable(AppError):
    """A transient failure nobody has to fix by hand: the client should retry after ``retry_after``.

    Nothing was written: the request's one transaction was rolled back or never began (a commit
    whose answer was lost with the connection is the one case PostgreSQL alone can settle).
    """

    status_code = 503
    code = "unavailable"
    retry_after = 5


class DatabaseUnavailable(ServiceUnavailable):
    """PostgreSQL cannot be reached, or stopped answering, or dropped the connection."""

    code = "database.unavailable"

    def __init__(self) -> None:
        super().__init__("数据库暂不可用，请稍后再试")


class DatabaseTimeout(ServiceUnavailable):
    """A statement ran past the web requests' statement timeout and PostgreSQL cancelled it."""

    code = "database.timeout"

    def __init__(self) -> None:
        super().__init__("数据库响应超时，请稍后再试")


class ServerBusy(ServiceUnavailable):
    """This process is already running as many database requests as it has connections for."""

    code = "server.busy"
    retry_after = 2

    def __init__(self) -> None:
        super().__init__("服务器繁忙，请稍后再试")

"""Expected failures with a status, a stable machine code and a Chinese detail (no web framework here)."""

from __future__ import annotations

from typing import Any, ClassVar


class AppError(Exception):
    """An expected failure callers can act on. Subclasses fix status and code."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "invalid"

    def __init__(self, detail: str, **context: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.context = context
        self.headers: dict[str, str] = {}  # sent with the answer, e.g. Retry-After


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

"""Render every error as one JSON shape {code, detail, context} with a Chinese detail for the API,
and as the error page (or a redirect to the login page) for the browser pages.

What a page looks like is the web layer's: the app passes its ``ErrorPage`` to
``install_error_handlers``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from backend.core.db import unavailability
from backend.core.errors import AppError
from backend.core.validation_messages import MAX_ERRORS, describe_validation_errors, safe_context, summary

log = logging.getLogger("tidu.api")


def error_body(code: str, detail: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    # Whatever the context echoes (a NaN, a password, 100,000 ids) goes out small and valid JSON.
    return {"code": code, "detail": detail, "context": jsonable_encoder(safe_context(context or {}))}


_JSON_PREFIXES = ("/api/", "/docs", "/openapi.json", "/redoc")


def is_page(request: Request) -> bool:
    """Browser pages get HTML errors; the API, its docs and schema get JSON."""
    return not request.url.path.startswith(_JSON_PREFIXES)


class ErrorPage(Protocol):
    """How a browser page shows an error (status, Chinese detail, the fields at fault)."""

    def __call__(
        self, request: Request, status: int, detail: str, errors: list[dict[str, Any]] | None = None
    ) -> Response: ...


def _app_error_headers(exc: AppError) -> dict[str, str]:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    return headers


def app_error_response(exc: AppError) -> JSONResponse:
    return JSONResponse(
        error_body(exc.code, exc.detail, exc.context),
        status_code=exc.status_code,
        headers=_app_error_headers(exc),
    )


_HTTP_DETAILS = {404: "未找到", 405: "不支持该请求方法", 401: "需要登录", 403: "无权访问"}


# A body FastAPI or Starlette could not parse (bytes that are not UTF-8, a broken multipart form)
# is the client's malformed input like any other: the documented 422, not an undocumented 400.
_UNPARSABLE = "请求体无法解析：不是有效的 JSON 或表单（JSON 须为 UTF-8 编码）"


def allowed_methods(request: Request) -> str:
    """Every method some route takes at this path (Starlette names only the first route's)."""
    allowed = [
        method
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.routes
        )
    ]
    return ", ".join(allowed)


# SQLSTATE of a constraint the database enforced after the services' own checks passed
# (two requests racing for the same credit code, say).
_INTEGRITY = {
    "23505": (409, "conflict", "与已有数据重复，请刷新后重试"),
    "23503": (422, "validation_error", "引用的数据不存在"),
    "23514": (422, "validation_error", "数据不满足约束条件"),
}


def integrity_response(exc: IntegrityError) -> JSONResponse:
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    status, code, detail = _INTEGRITY.get(str(sqlstate), (409, "conflict", "与已有数据冲突"))
    return JSONResponse(error_body(code, detail, {"sqlstate": sqlstate}), status_code=status)


@dataclass(frozen=True)
class _Handlers:
    """One handler per kind of failure: JSON for the API, ``page`` for the browser."""

    page: ErrorPage

    async def app_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AppError)
        if is_page(request):
            errors = exc.context.get("errors")
            at_fault = errors if isinstance(errors, list) else None
            page = self.page(request, exc.status_code, exc.detail, at_fault)
            page.headers.update(_app_error_headers(exc))
            return page
        return app_error_response(exc)

    async def validation_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = describe_validation_errors(exc.errors())
        detail = summary(errors) or "请求内容无效"
        if is_page(request):
            return self.page(request, 422, "提交的内容有误，请返回修改。", errors[:MAX_ERRORS])
        return JSONResponse(error_body("validation_error", detail, {"errors": errors}), status_code=422)

    async def http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 400:
            error = {"field": "body", "label": "请求内容", "value": None, "message": _UNPARSABLE}
            if is_page(request):
                return self.page(request, 422, "提交的内容有误，请返回修改。", [error])
            body = error_body("validation_error", _UNPARSABLE, {"errors": [error]})
            return JSONResponse(body, status_code=422)
        detail = _HTTP_DETAILS.get(exc.status_code, "请求无法处理")
        headers = exc.headers
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": allowed_methods(request)}
        if is_page(request):
            page = self.page(request, exc.status_code, f"{detail}：{request.url.path}")
            page.headers.update(headers or {})
            return page
        return JSONResponse(
            error_body(f"http_{exc.status_code}", detail), status_code=exc.status_code, headers=headers
        )

    async def integrity_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, IntegrityError)
        log.warning("constraint violation on %s %s: %s", request.method, request.url.path, exc.orig)
        response = integrity_response(exc)
        if is_page(request):
            return self.page(request, response.status_code, "数据已被他人修改或重复提交，请刷新后重试。")
        return response

    async def unexpected(self, request: Request, exc: Exception) -> Response:
        failure = unavailability(exc)  # a database failure outside the request session: still a 503
        if failure is not None:
            log.warning("%s %s: %s (%r)", request.method, request.url.path, failure.code, exc)
            return await self.app_error(request, failure)
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        if is_page(request):
            return self.page(request, 500, "服务器内部错误，请稍后重试；问题已记录。")
        return JSONResponse(error_body("internal_error", "服务器内部错误，请稍后重试"), status_code=500)


def install_error_handlers(app: FastAPI, page: ErrorPage) -> None:
    """Answer every failure of ``app``; browser pages get ``page``."""
    handlers = _Handlers(page)
    app.add_exception_handler(AppError, handlers.app_error)
    app.add_exception_handler(RequestValidationError, handlers.validation_error)
    app.add_exception_handler(StarletteHTTPException, handlers.http_error)
    app.add_exception_handler(IntegrityError, handlers.integrity_error)
    app.add_exception_handler(Exception, handlers.unexpected)

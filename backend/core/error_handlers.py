"""Render every error as one JSON shape: {code, detail, context}, with a Chinese detail."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.core.errors import AppError
from backend.core.validation_messages import describe_validation_errors

log = logging.getLogger("tidu.api")


def error_body(code: str, detail: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "detail": detail, "context": jsonable_encoder(context or {})}


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    return JSONResponse(
        error_body(exc.code, exc.detail, exc.context), status_code=exc.status_code, headers=headers
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = describe_validation_errors(exc.errors())
    detail = "；".join(f"{e['field']}：{e['message']}" for e in errors) or "请求内容无效"
    return JSONResponse(error_body("validation_error", detail, {"errors": errors}), status_code=422)


_HTTP_DETAILS = {404: "未找到", 405: "不支持该请求方法", 401: "需要登录", 403: "无权访问"}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = _HTTP_DETAILS.get(exc.status_code, "请求无法处理")
    return JSONResponse(
        error_body(f"http_{exc.status_code}", detail), status_code=exc.status_code, headers=exc.headers
    )


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


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IntegrityError)
    log.warning("constraint violation on %s %s: %s", request.method, request.url.path, exc.orig)
    return integrity_response(exc)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(error_body("internal_error", "服务器内部错误，请稍后重试"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(Exception, _unexpected)

"""OpenAPI documentation of the one error shape: for routes' ``responses=``, and over the whole spec.

FastAPI documents every operation's 422 as its own ``HTTPValidationError`` (``detail`` an array);
this app answers every error, 422 included, as ``ErrorBody`` (``detail`` a Chinese sentence).
``publish_error_schema`` makes the published spec say so on every operation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

_DESCRIPTIONS = {
    401: "未登录或令牌无效",
    403: "当前角色无权执行此操作",
    404: "不存在，或不在当前用户的数据范围内",
    405: "该地址不支持此请求方法（响应头 Allow 列出支持的方法）",
    409: "与已有数据冲突",
    413: "上传的文件过大",
    422: (
        "输入无效（含无法解析的 JSON 或表单、不可见的控制字符、NaN 或无穷大、超出范围的编号和金额）："
        "detail 用中文说明原因；context.errors 列出字段、值和原因，最多 20 项，"
        "更多时 context.errors_total 给出总数；密码、令牌等字段的值不会回显"
    ),
    429: "尝试次数过多，请稍后再试（响应头 Retry-After 给出秒数）",
    503: "数据库暂不可用或服务器繁忙，未做任何修改：请在响应头 Retry-After 给出的秒数后重试",
}
ERROR_REF = "#/components/schemas/ErrorBody"
_FASTAPI_DEFAULTS = ("HTTPValidationError", "ValidationError")


class ErrorBody(BaseModel):
    code: str = Field(description="稳定的错误代码，如 validation_error、not_found")
    detail: str = Field(description="给人看的中文说明")
    context: dict[str, Any] = Field(description="补充信息，如 errors：[{field, label, value, message}]")


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in codes}


def _error_response(code: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
    }
    if code in (429, 503):
        response["headers"] = {"Retry-After": {"description": "多少秒后再试", "schema": {"type": "integer"}}}
    return response


def _publish(spec: dict[str, Any]) -> dict[str, Any]:
    """Every operation that takes input documents its 422 (and, with path parameters, its 404)
    as ``ErrorBody``, and every operation its 503 (database down or this process at capacity);
    FastAPI's own validation-error schemas leave the spec."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorBody", ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}"))
    for name in _FASTAPI_DEFAULTS:
        schemas.pop(name, None)
    for item in spec.get("paths", {}).values():
        for operation in item.values():
            parameters = operation.get("parameters", [])
            responses = operation.setdefault("responses", {})
            responses.setdefault("503", _error_response(503))
            if parameters or "requestBody" in operation:
                responses["422"] = _error_response(422)
            if any(p.get("in") == "path" for p in parameters):
                # A path whose id is no number (/api/awards/abc) is not this operation's: it is
                # not found, or it is another operation's path (/api/awards/approve takes POST only).
                responses.setdefault("404", _error_response(404))
                responses.setdefault("405", _error_response(405))
    return spec


def publish_error_schema(app: FastAPI) -> None:
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _publish(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

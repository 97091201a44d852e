"""OpenAPI documentation of the one error shape, for routes' ``responses=``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

_DESCRIPTIONS = {
    401: "未登录或令牌无效",
    403: "当前角色无权执行此操作",
    404: "不存在，或不在当前用户的数据范围内",
    409: "与已有数据冲突",
    413: "上传的文件过大",
    422: "输入无效：context.errors 列出字段、值和原因",
    429: "尝试次数过多，请稍后再试",
}


class ErrorBody(BaseModel):
    code: str
    detail: str
    context: dict[str, Any]


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in codes}

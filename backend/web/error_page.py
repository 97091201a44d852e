"""The error page a browser gets, or, when it is not (or no longer) logged in, the way to log in.

Core's error handlers decide what went wrong and whether the answer is a page; this is how a page
says it. The app hands it to them (``install_error_handlers(app, error_page)``): core sits below
the pages and cannot render one itself.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from backend.web.render import render

_PAGE_TITLES = {
    400: "请求无法处理",
    403: "无权访问",
    404: "页面或数据不存在",
    405: "不支持该操作",
    409: "与已有数据冲突",
    413: "上传的文件过大",
    422: "输入有误",
    429: "请稍后再试",
    500: "服务器内部错误",
    503: "服务暂不可用",
}


def error_page(
    request: Request, status: int, detail: str, errors: list[dict[str, Any]] | None = None
) -> Response:
    if status == 401:
        # Not (or no longer) logged in: log in, then come back here.
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    title = _PAGE_TITLES.get(status, "请求无法处理")
    context = {"title": title, "detail": detail, "errors": errors or []}
    return render(request, "error.html", context, status_code=status)

"""One-time messages across a Post/Redirect/Get: a short-lived cookie the next page shows once."""

from __future__ import annotations

from urllib.parse import quote, unquote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

FLASH_COOKIE = "tidu_flash"
FLASH_CHARS = 300  # percent-encoded Chinese takes 9 bytes a character; a cookie holds 4096


def redirect_with_flash(request: Request, url: str, message: str) -> RedirectResponse:
    """303 to ``url``; the page rendered there shows ``message`` once."""
    response = RedirectResponse(url, status_code=303)
    text = message if len(message) <= FLASH_CHARS else message[: FLASH_CHARS - 1] + "…"
    response.set_cookie(
        FLASH_COOKIE,
        quote(text, safe=""),
        max_age=300,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


def pending_flash(request: Request) -> list[str]:
    flash = request.cookies.get(FLASH_COOKIE)
    return [unquote(flash)] if flash else []


def clear_flash(request: Request, response: Response) -> None:
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/")

"""One id per request: on the response (X-Request-ID, beside the server's time in Server-Timing), on
every log line written while it runs, and in the access log line that ends it, with its route,
status and duration.

Pure ASGI middleware (no BaseHTTPMiddleware: that one runs the app in another task, where
context variables set inside it would not reach the log lines written after it). It wraps the
whole application, outside Starlette's ServerErrorMiddleware, so a 500 carries its id too.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.core import metrics

REQUEST_ID_HEADER = "X-Request-ID"
SERVER_TIMING_HEADER = "Server-Timing"
# An id a proxy or client sent is kept only if it cannot forge or break a log line.
_SANE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
request_id_var: ContextVar[str | None] = ContextVar("tidu_request_id", default=None)
access_log = logging.getLogger("tidu.access")


def current_request_id() -> str | None:
    return request_id_var.get()


def incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _SANE_ID.fullmatch(candidate) else None
    return None


def route_template(scope: Scope, entry_scope: Scope) -> str:
    """The route's path template (/api/firms/{uscc}), never the raw path: one label per route.

    The router records the route it chose in ``scope``, except for mounts (static files): those
    are found again by matching the scope as it was on the way in.
    """
    route = scope.get("route")
    if route is None:
        for candidate in getattr(scope.get("app"), "routes", ()):
            if isinstance(candidate, Mount) and candidate.matches(entry_scope)[0] is Match.FULL:
                return f"{candidate.path}/{{path}}"
        return "<unmatched>"
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "<unmatched>"


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = incoming_request_id(scope) or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        entry_scope = dict(scope)  # the router rewrites paths in scope for mounts
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                # Time until the answer starts (whole for JSON and pages, compressed included):
                # the browser's network panel and load tests read the server's share of a wait.
                headers[SERVER_TIMING_HEADER] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope, entry_scope)
            metrics.observe_request(scope["method"], route, status, seconds)
            client = scope.get("client")
            access_log.info(
                "%s %s %s %.1fms",
                scope["method"],
                scope["path"],
                status,
                seconds * 1000,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                    "client": client[0] if client else None,
                },
            )
            request_id_var.reset(token)

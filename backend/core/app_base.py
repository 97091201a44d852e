"""The FastAPI application class: request ids, security headers and gzip wrap everything.

Middleware added with ``add_middleware`` runs inside Starlette's ServerErrorMiddleware, so a 500
would leave without them; these are put outside it instead. Gzip is innermost: the headers the
other two add are on every response, compressed or not, and the access log times the compression.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp

from backend.core.compression import GzipResponses
from backend.core.request_context import RequestContext
from backend.core.security_headers import SecurityHeaders


class TiduApp(FastAPI):
    def __init__(self, *, hsts: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hsts = hsts

    def build_middleware_stack(self) -> ASGIApp:
        return RequestContext(
            SecurityHeaders(GzipResponses(super().build_middleware_stack()), hsts=self.hsts)
        )

"""The FastAPI application class: request ids and security headers wrap everything.

Middleware added with ``add_middleware`` runs inside Starlette's ServerErrorMiddleware, so a 500
would leave without them; these two are put outside it instead.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp

from backend.core.request_context import RequestContext
from backend.core.security_headers import SecurityHeaders


class TiduApp(FastAPI):
    def __init__(self, *, hsts: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hsts = hsts

    def build_middleware_stack(self) -> ASGIApp:
        return RequestContext(SecurityHeaders(super().build_middleware_stack(), hsts=self.hsts))

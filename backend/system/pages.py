"""The home page: each role's tasks, main task first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from backend.web.render import render
from backend.web.session import OptionalViewerDep

pages = APIRouter(include_in_schema=False)


@pages.get("/")
async def home(request: Request, viewer: OptionalViewerDep) -> Response:
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    return render(request, "home.html", {})

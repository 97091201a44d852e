"""Pages of the dashboard (server-rendered SVG charts)."""

from __future__ import annotations

from fastapi import APIRouter

pages = APIRouter(include_in_schema=False)

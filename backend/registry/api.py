"""Health check and the landing page."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from backend.core.db import SessionDep
from backend.registry import service as registry
from backend.rulesets import service as ruleset_service

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    database: str
    server_version: str
    rules_rejected: list[str]  # rule files left out (their programs' previous versions stay in force)


@router.get("/api/health", response_model=Health)
async def health(session: SessionDep) -> Health:
    """Whether the API and its database answer."""
    ok = await registry.database_ok(session)
    refused = ruleset_service.rejected()
    return Health(
        status="ok" if ok and not refused else "degraded",
        database="ok" if ok else "down",
        server_version=await registry.server_version(session),
        rules_rejected=refused,
    )

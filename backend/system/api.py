"""Health check and the landing page."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel

from backend.core.db import SessionFactory, get_health_factory, transaction, unavailability
from backend.core.errors import DatabaseUnavailable
from backend.rulesets import service as ruleset_service
from backend.system import service as system

router = APIRouter(tags=["health"])
log = logging.getLogger("tidu.api")


class Health(BaseModel):
    status: str  # ok | degraded (rule files refused) | down (no database)
    database: str  # ok | down
    server_version: str  # empty while the database is down
    rules_rejected: list[str]  # rule files left out (their programs' previous versions stay in force)


@router.get("/api/health", response_model=Health, responses={503: {"model": Health}})
async def health(
    factory: Annotated[SessionFactory, Depends(get_health_factory)], response: Response
) -> Health:
    """Whether the API and its database answer: 200, or 503 with ``database: down``.

    Not a request session: it has its own small pool and skips the admission gate, so a load
    balancer still gets an answer when every request connection is busy or the database is gone.
    """
    refused = ruleset_service.rejected()
    try:
        async with transaction(factory) as session:
            ok = await system.database_ok(session)
            version = await system.server_version(session)
    except Exception as exc:
        if unavailability(exc) is None:
            raise
        log.warning("health: database down (%r)", exc)
        ok, version = False, ""
    if not ok:
        response.status_code = DatabaseUnavailable.status_code
        response.headers["Retry-After"] = str(DatabaseUnavailable.retry_after)
    return Health(
        status="down" if not ok else "degraded" if refused else "ok",
        database="ok" if ok else "down",
        server_version=version,
        rules_rejected=refused,
    )

"""The ASGI application: routers, error handlers and the database for its lifetime."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from backend.auth.api import router as auth_router
from backend.auth.pages import pages as auth_pages
from backend.auth.service import actor_for_token
from backend.awards.api import router as awards_router
from backend.awards.pages import pages as awards_pages
from backend.certificates.api import router as certificates_router
from backend.core import metrics
from backend.core.api_docs import install_api_docs
from backend.core.app_base import TiduApp
from backend.core.body_limit import BodySizeLimit
from backend.core.config import Settings, get_settings
from backend.core.db import (
    HEALTH_ROLE,
    WEB_ROLE,
    AdmissionGate,
    database_url,
    dispose_engine,
    make_engine,
    make_session_factory,
)
from backend.core.error_handlers import install_error_handlers
from backend.core.openapi import publish_error_schema
from backend.core.request_guard import screen_request
from backend.dashboard.pages import pages as dashboard_pages
from backend.dossiers.api import router as dossiers_router
from backend.evaluations.api import impact_router as rules_impact_router
from backend.evaluations.api import router as evaluations_router
from backend.evaluations.pages import pages as evaluations_pages
from backend.filings.api import router as filings_router
from backend.firms.api import router as firms_router
from backend.firms.pages import pages as firms_pages
from backend.imports.api import router as imports_router
from backend.imports.pages import pages as imports_pages
from backend.jobs.api import router as jobs_router
from backend.jobs.pages import pages as jobs_pages
from backend.lists.api import router as exports_router
from backend.lists.pages import pages as exports_pages
from backend.reference.api import router as reference_router
from backend.rulesets import service as rulesets
from backend.rulesets.api import router as rulesets_router
from backend.rulesets.pages import pages as rulesets_pages
from backend.system.api import router as registry_router
from backend.system.pages import pages as registry_pages
from backend.tiers.api import router as tiers_router
from backend.tiers.pages import pages as tiers_pages
from backend.web.error_page import error_page
from backend.web.render import STATIC_DIR
from backend.web.session import serve_page_sessions

ROUTERS = (
    registry_router,
    auth_router,
    reference_router,
    firms_router,
    dossiers_router,
    filings_router,
    imports_router,
    jobs_router,
    certificates_router,
    tiers_router,
    evaluations_router,
    rulesets_router,
    rules_impact_router,
    awards_router,
    exports_router,
)
# Server-rendered pages (design §8): same services, session cookie instead of a bearer token.
PAGES = (
    registry_pages,
    auth_pages,
    evaluations_pages,
    imports_pages,
    firms_pages,
    tiers_pages,
    rulesets_pages,
    dashboard_pages,
    awards_pages,
    exports_pages,
    jobs_pages,
)


def settle_heap() -> None:
    """Load the rules now and leave what startup built out of the garbage collector's sweeps.

    A worker holds a few hundred thousand long-lived objects (compiled rules, schemas, SQL
    caches); each full collection walked them all, in the middle of some request. Frozen, they are
    never walked again; what requests allocate is collected as before.
    """
    rulesets.registry()
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, object]]:
        # `tidu serve` has started the embedded server and handed its URL down; run any
        # other way without DATABASE_URL, this process adopts (or starts) it itself.
        with database_url(settings) as url:
            engine = make_engine(url, settings, role=WEB_ROLE)
            metrics.instrument_pool(engine, WEB_ROLE)
            health = make_engine(url, settings, role=HEALTH_ROLE)
            settle_heap()
            try:
                yield {
                    "session_factory": make_session_factory(engine),
                    "health_factory": make_session_factory(health),
                }
            finally:
                # Bounded: shutdown never waits on connections to a server that went away.
                await asyncio.gather(dispose_engine(engine), dispose_engine(health))
                gc.unfreeze()

    app = TiduApp(
        title="tidu 科技型企业梯度培育登记系统",
        version="0.1.0",
        description="企业、申报、证书、梯度与审查单位的登记接口。先用 POST /api/auth/login 获取令牌。",
        lifespan=lifespan,
        hsts=settings.env == "prod",
        # Swagger UI is served from local files (backend/core/api_docs.py); ReDoc not at all.
        openapi_url="/openapi.json" if settings.docs_enabled else None,
        docs_url=None,
        redoc_url=None,
        # Before any route reads them: no control characters in text, no NaN or ∞ in JSON.
        dependencies=[Depends(screen_request)],
    )
    app.state.settings = settings
    app.state.db_gate = AdmissionGate(settings.db_request_slots, settings.db_queue_wait_seconds)
    install_error_handlers(app, error_page)
    serve_page_sessions(app, actor_for_token)
    publish_error_schema(app)
    # The upload itself plus room for the form's other fields.
    app.add_middleware(BodySizeLimit, limit=settings.import_limits().max_bytes + 1024 * 1024)
    for router in ROUTERS + PAGES:
        app.include_router(router)
    app.include_router(metrics.router)
    if settings.docs_enabled:
        install_api_docs(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app

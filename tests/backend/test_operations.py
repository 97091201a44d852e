"""What an operator and a browser see of every response: security headers, the request id, the
offline API docs, and /metrics (run in-process; `tests/test_serve_ops.py` runs `tidu serve`)."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from backend.core.config import Settings
from backend.core.db import SessionFactory, get_session_factory
from backend.core.logs import RequestIdFilter
from backend.core.request_context import current_request_id
from backend.main import create_app

ClientFor = Callable[..., Any]


@pytest.fixture
def client_for(db: SessionFactory, database_url: str) -> ClientFor:
    """An API client for an app made with extra settings, seen from ``peer``."""

    @asynccontextmanager
    async def make(
        peer: str = "127.0.0.1", app_hook: Callable[[FastAPI], None] | None = None, **settings: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(Settings(database_url=database_url, **settings))

        async def test_factory() -> SessionFactory:
            return db

        app.dependency_overrides[get_session_factory] = test_factory
        if app_hook is not None:
            app_hook(app)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(peer, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://tidu.test") as client:
            yield client

    return make


# -- security headers ----------------------------------------------------------------------


def csp_directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


async def test_pages_forbid_framing_sniffing_and_scripts_from_anywhere_but_tidu(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/login")
    assert page.status_code == 200
    policy = csp_directives(page)
    assert policy["script-src"] == "script-src 'self'"  # no 'unsafe-inline', no other origin
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert policy["object-src"] == "object-src 'none'"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in page.headers  # only in prod


async def test_api_answers_and_errors_carry_the_headers_too(client: httpx.AsyncClient) -> None:
    for response in (await client.get("/api/health"), await client.get("/api/nothing-here")):
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"


async def test_prod_tells_browsers_to_use_https_only(client_for: ClientFor) -> None:
    async with client_for(env="prod", secret_key="a-real-secret-for-this-test") as client:
        page = await client.get("/login")
    assert page.headers["strict-transport-security"].startswith("max-age=")


def test_no_template_has_an_inline_script_or_handler() -> None:
    """`script-src 'self'` blocks inline code: a page relying on it would silently stop working."""
    from backend.web.render import WEB_DIR

    inline = re.compile(r"<script(?![^>]*\bsrc=)|\son[a-z]{3,}\s*=|javascript:", re.IGNORECASE)
    offenders = [
        f"{path.relative_to(WEB_DIR)}: {match.group(0)}"
        for path in sorted((WEB_DIR / "templates").rglob("*.html"))
        for match in inline.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


# -- request id ----------------------------------------------------------------------------


async def test_every_response_has_a_request_id_and_a_sane_incoming_one_is_kept(
    client: httpx.AsyncClient,
) -> None:
    first = await client.get("/login")
    second = await client.get("/api/nothing-here")
    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    kept = await client.get("/login", headers={"X-Request-ID": "lb-7f3a.42"})
    assert kept.headers["x-request-id"] == "lb-7f3a.42"
    # One that would break or forge a log line is replaced.
    forged = await client.get("/login", headers={b"X-Request-ID": b"x\ty request_id=admin"})
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["x-request-id"])


async def test_every_response_says_how_long_the_server_took(client: httpx.AsyncClient) -> None:
    """Browsers' network panels and load tests tell the server's time from the network's."""
    for response in (await client.get("/login"), await client.get("/api/nothing-here")):
        timing = re.fullmatch(r"app;dur=(\d+\.\d)", response.headers["server-timing"])
        assert timing is not None, response.headers


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.addFilter(RequestIdFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_a_500_and_every_log_line_of_its_request_carry_the_request_id(client_for: ClientFor) -> None:
    seen: dict[str, str | None] = {}

    def add_failing_route(app: FastAPI) -> None:
        @app.get("/api/test-boom")
        async def boom() -> None:
            seen["inside"] = current_request_id()
            logging.getLogger("tidu.test").warning("about to fail")
            raise RuntimeError("boom")

    handler = _Records()
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    try:
        async with client_for(app_hook=add_failing_route) as client:
            response = await client.get("/api/test-boom", headers={"X-Request-ID": "support-ticket-1"})
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "support-ticket-1"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert seen["inside"] == "support-ticket-1"
    by_logger = {record.name: record for record in handler.records}
    for name in ("tidu.test", "tidu.api", "tidu.access"):  # the route's, the 500 handler's, the access line
        assert getattr(by_logger[name], "request_id", None) == "support-ticket-1", name
    access = by_logger["tidu.access"]
    assert (access.method, access.route, access.status) == ("GET", "/api/test-boom", 500)  # type: ignore[attr-defined]
    assert current_request_id() is None  # nothing leaks past the request


# -- API docs ------------------------------------------------------------------------------

ASSET = re.compile(r"""(?:src|href)="([^"]+)\"""")


async def test_docs_load_only_files_tidu_serves_itself(client: httpx.AsyncClient) -> None:
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assets = ASSET.findall(docs.text)
    assert any(url.endswith("swagger-ui-bundle.js") for url in assets)
    assert any(url.endswith(".css") for url in assets)
    for url in assets:
        assert url.startswith("/"), f"/docs loads {url} from another origin"
        served = await client.get(url)
        assert served.status_code == 200, url
        assert len(served.content) > 100, url
    assert (await client.get("/openapi.json")).json()["info"]["title"]
    # The page's own policy holds: no inline script starts Swagger UI.
    assert "<script>" not in docs.text
    assert csp_directives(docs)["script-src"] == "script-src 'self'"


async def test_docs_follow_the_setting_and_are_off_in_prod_by_default(client_for: ClientFor) -> None:
    async with client_for(api_docs=False) as client:
        assert (await client.get("/docs")).status_code == 404
        assert (await client.get("/openapi.json")).status_code == 404
        assert 'href="/docs"' not in (await client.get("/login")).text
    async with client_for(env="prod", secret_key="a-real-secret-for-this-test") as client:
        assert (await client.get("/docs")).status_code == 404
        assert (await client.get("/openapi.json")).status_code == 404
    async with client_for(env="prod", secret_key="a-real-secret-for-this-test", api_docs=True) as client:
        assert (await client.get("/docs")).status_code == 200
        assert (await client.get("/openapi.json")).status_code == 200
        assert 'href="/docs"' in (await client.get("/login")).text


# -- metrics -------------------------------------------------------------------------------


async def test_metrics_count_requests_per_route_template_not_per_path(client: httpx.AsyncClient) -> None:
    for uscc in ("91120118MA06R1D13A", "91120116MA05XXXX1K"):
        await client.get(f"/api/firms/{uscc}")
    await client.get("/static/tidu.css")
    text = (await client.get("/metrics")).text
    assert 'route="/api/firms/{uscc}",status="4xx"' in text
    assert "MA06R1D13A" not in text
    assert 'route="/static/{path}",status="2xx"' in text
    assert "tidu_http_request_duration_seconds_bucket" in text


async def test_metrics_are_for_this_machine_or_a_token_holder_only(client_for: ClientFor) -> None:
    async with client_for(peer="203.0.113.9") as remote:
        refused = await remote.get("/metrics")
    assert refused.status_code == 403
    assert "TIDU_METRICS_TOKEN" in refused.json()["detail"]
    async with client_for() as local:
        assert (await local.get("/metrics")).status_code == 200
        # A proxy on this host relays everyone from 127.0.0.1: relayed requests are refused.
        relayed = await local.get("/metrics", headers={"X-Forwarded-For": "198.51.100.4"})
        assert relayed.status_code == 403
    async with client_for(peer="203.0.113.9", metrics_token="scrape-secret") as remote:
        assert (await remote.get("/metrics")).status_code == 403
        wrong = await remote.get("/metrics", headers={"Authorization": "Bearer guess"})
        assert wrong.status_code == 403
        right = await remote.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
        assert right.status_code == 200
        assert "tidu_http_requests_total" in right.text

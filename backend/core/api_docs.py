"""/docs without the internet: Swagger UI's files come from the fastapi-offline wheel, served by
tidu itself, and the page has no inline script (swagger-init.js starts it), so the pages' strict
Content-Security-Policy holds here too. ReDoc is not offered.

Whether /docs and /openapi.json exist at all is ``Settings.docs_enabled`` (TIDU_API_DOCS;
on by default, off by default when TIDU_ENV=prod).
"""

from __future__ import annotations

import importlib.util
from html import escape
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"


def swagger_ui_dir() -> Path:
    """The Swagger UI dist files (swagger-ui-bundle.js, swagger-ui.css, favicon.png) of the wheel."""
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("fastapi-offline is not installed: it ships the Swagger UI files /docs serves")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def swagger_page(title: str, root: str, openapi_url: str) -> str:
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · 接口文档</title>
<link rel="stylesheet" href="{root}{ASSETS_URL}/swagger-ui.css">
<link rel="icon" type="image/png" href="{root}{ASSETS_URL}/favicon.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(root + openapi_url)}"></div>
<script src="{root}{ASSETS_URL}/swagger-ui-bundle.js"></script>
<script src="{root}/static/swagger-init.js"></script>
</body>
</html>
"""


def install_api_docs(app: FastAPI) -> None:
    """Serve Swagger UI at /docs for the app's /openapi.json (the app must have one)."""
    openapi_url = app.openapi_url
    assert openapi_url is not None
    app.mount(ASSETS_URL, StaticFiles(directory=swagger_ui_dir()), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = escape(str(request.scope.get("root_path", "")))
        return HTMLResponse(swagger_page(app.title, root, openapi_url))

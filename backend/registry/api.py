"""Health check and the landing page."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
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


LANDING = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>tidu 科技型企业梯度培育登记系统</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.7}</style>
</head><body>
<h1>tidu 梯度</h1>
<p>天津市科技型企业梯度培育（雏鹰 → 瞪羚 → 科技领军培育 → 科技领军）登记系统。</p>
<ul>
<li><a href="/docs">接口文档（OpenAPI）</a>：登录 <code>POST /api/auth/login</code> 获取令牌后查询企业、申报、证书与梯度历史。</li>
<li><a href="/api/health">运行状态</a></li>
</ul>
</body></html>"""


@router.get("/", include_in_schema=False, response_class=HTMLResponse)
async def landing() -> str:
    return LANDING

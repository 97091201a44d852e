"""A real tidu server (uvicorn in a thread) on a demo registry, driven by Debian's Chromium.

Each xdist worker gets its own committed database with a small demo registry (300 firms, the
current year opened: decisions, a first batch with candidates, computed awards) and its own
server. Tests share that registry, so each role's flow acts on data the others do not touch.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.cli import upgrade_database
from backend.core.config import Settings
from backend.core.security import Actor
from backend.demo import service as demo_service
from backend.main import create_app
from tests.browser.support import CHROMIUM_ARGS, chromium_path
from tests.support import drop_database, recreate_database

DEMO_FIRMS = 300
T = TypeVar("T")


@dataclass(frozen=True)
class Site:
    url: str
    database_url: str
    showcase_uscc: str  # the firm the enterprise account is bound to


async def _load_demo(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            await demo_service.load_demo(
                session, Actor.command_line("browser-tests"), firms=DEMO_FIRMS, seed=3
            )
            await session.commit()
    finally:
        await engine.dispose()


async def _showcase_uscc(url: str) -> str:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            result = await conn.exec_driver_sql(
                "SELECT f.uscc FROM \"user\" u JOIN firm f ON f.id = u.firm_id WHERE u.username = 'enterprise'"
            )
            return str(result.scalar_one())
    finally:
        await engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _off_loop(work: Callable[[], T]) -> T:
    """Run ``work`` in its own thread: Playwright's sync API keeps an event loop running in this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def _prepare_database(postgres_server: str, name: str) -> tuple[str, str]:
    url = recreate_database(postgres_server, name)
    asyncio.run(upgrade_database(url, Settings(database_url=url)))
    asyncio.run(_load_demo(url))
    return url, asyncio.run(_showcase_uscc(url))


@pytest.fixture(scope="session")
def site(postgres_server: str, worker_name: str) -> Iterator[Site]:
    name = f"tidu_browser_{worker_name}"
    url, showcase = _off_loop(lambda: _prepare_database(postgres_server, name))
    settings = Settings(database_url=url, env="test")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("tidu 测试服务器未能启动")
        time.sleep(0.05)
    yield Site(url=f"http://127.0.0.1:{port}", database_url=url, showcase_uscc=showcase)
    server.should_exit = True
    thread.join(timeout=10)
    _off_loop(lambda: drop_database(postgres_server, name))


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def _context(browser: Browser, width: int, height: int) -> BrowserContext:
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN", accept_downloads=True
    )
    context.set_default_timeout(15_000)
    return context


def _watched_page(browser: Browser, width: int, height: int) -> Iterator[Page]:
    """A page whose every Content-Security-Policy violation fails the test that caused it:
    a script or style the policy blocks is a page that silently stops working."""
    context = _context(browser, width, height)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert violations == [], "the page broke its Content-Security-Policy"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser profile (no cookies) at desktop width; confirmation dialogs are accepted."""
    yield from _watched_page(browser, 1280, 900)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """The same at a 375 px phone width."""
    yield from _watched_page(browser, 375, 740)

"""Helpers for the browser tests: log in, save screenshots, find Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from playwright.sync_api import Page, expect

SCREENSHOT_DIR = Path(
    os.environ.get("TIDU_SCREENSHOT_DIR", Path(__file__).parents[2] / "docs" / "screenshots")
)
# Debian's Chromium, installed by .ci/run (Playwright's own browser download needs the network).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

PASSWORDS = {
    "admin": "tidu-admin",
    "city": "tidu-city",
    "finance": "tidu-finance",
    "jinghai": "tidu-bureau",
    "enterprise": "tidu-enterprise",
}


def chromium_path() -> str:
    path = os.environ.get("TIDU_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise RuntimeError(
            "找不到 Chromium：请 apt-get install chromium（.ci/run 会安装），或设置 TIDU_CHROMIUM"
        )
    return path


def log_in(page: Page, base_url: str, username: str, *, next_path: str = "/") -> None:
    """Log in through the login form, as a person would, and land on ``next_path``."""
    page.goto(f"{base_url}/login?next={next_path}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORDS[username])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot (the README shows some of them)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

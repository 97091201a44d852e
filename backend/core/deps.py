"""Request dependencies on the application itself (its settings)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from backend.core.config import Settings


def app_settings(request: Request) -> Settings:
    """The settings the app was created with (tests create apps with their own)."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(app_settings)]


def client_ip(request: Request) -> str:
    """The peer address (behind a proxy, run uvicorn with --proxy-headers so this is the client)."""
    return request.client.host if request.client is not None else "unknown"

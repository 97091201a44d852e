"""Use the pages from an httpx client as a logged-in browser would: session cookie + form token."""

from __future__ import annotations

import re

import httpx

from backend.core.config import Settings
from backend.web.session import SESSION_COOKIE, csrf_token
from tests.factories.users import LoggedIn


def browse_as(client: httpx.AsyncClient, user: LoggedIn) -> str:
    """Give the client ``user``'s page session; return the CSRF token its forms carry."""
    client.cookies.set(SESSION_COOKIE, user.token)
    return csrf_token(Settings(), user.token)


def form_token(html: str) -> str:
    """The CSRF token a rendered page embeds in its forms."""
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert found is not None, "page has no form token"
    return found.group(1)

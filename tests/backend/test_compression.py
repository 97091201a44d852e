"""Gzip on the wire: JSON and pages shrink for clients that accept it; files arrive as they were made."""

from __future__ import annotations

import gzip
import io
import json
from typing import Any

import httpx
import openpyxl  # type: ignore[import-untyped, unused-ignore]
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import ExportRun
from tests.backend.lists.helpers import YEAR, make_award
from tests.factories.evaluations import seedling_firm
from tests.factories.firms import make_firm
from tests.factories.users import make_user
from vocabulary.states import Role


async def raw_get(client: httpx.AsyncClient, url: str, **kwargs: Any) -> tuple[httpx.Response, bytes]:
    """The response and its bytes as they came over the wire (httpx would otherwise decode them)."""
    method = kwargs.pop("method", "GET")
    async with client.stream(method, url, **kwargs) as response:
        return response, b"".join([chunk async for chunk in response.aiter_raw()])


@pytest.mark.parametrize("accept", ["gzip", "gzip, deflate, br", "*"])
async def test_a_status_is_gzipped_for_a_client_that_accepts_it_and_reads_the_same(
    client: httpx.AsyncClient, session: AsyncSession, accept: str
) -> None:
    firm = await seedling_firm(session)
    user = await make_user(session, Role.enterprise, firm=firm)
    url = f"/api/firms/{firm.uscc}/status"
    plain, plain_bytes = await raw_get(client, url, headers={**user.headers, "Accept-Encoding": "identity"})
    zipped, zipped_bytes = await raw_get(client, url, headers={**user.headers, "Accept-Encoding": accept})
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) == len(zipped_bytes) < len(plain_bytes) / 4
    assert json.loads(gzip.decompress(zipped_bytes)) == json.loads(plain_bytes)
    assert "accept-encoding" in zipped.headers["vary"].lower()
    # compressed or not, every response keeps its request id and security headers
    assert zipped.headers["x-request-id"] != plain.headers["x-request-id"]
    for name in ("content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy"):
        assert zipped.headers[name] == plain.headers[name]


@pytest.mark.parametrize("accept", ["identity", "gzip;q=0", "br", ""])
async def test_a_client_that_does_not_accept_gzip_gets_plain_json(
    client: httpx.AsyncClient, session: AsyncSession, accept: str
) -> None:
    firm = await seedling_firm(session)
    user = await make_user(session, Role.enterprise, firm=firm)
    response, body = await raw_get(
        client, f"/api/firms/{firm.uscc}/status", headers={**user.headers, "Accept-Encoding": accept}
    )
    assert "content-encoding" not in response.headers
    assert json.loads(body)["uscc"] == firm.uscc


async def test_pages_are_gzipped_too(client: httpx.AsyncClient) -> None:
    page, body = await raw_get(client, "/login", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    assert "登录" in gzip.decompress(body).decode()
    assert "script-src 'self'" in page.headers["content-security-policy"]


async def test_downloads_are_sent_byte_for_byte_as_they_were_made(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    for amount in (100_000, 20_000):
        await make_award(session, await make_firm(session, "jinghai"), amount)
    city = await make_user(session, Role.city)
    headers = {**city.headers, "Accept-Encoding": "gzip"}
    export, workbook = await raw_get(
        client, f"/api/exports/disbursement?year={YEAR}", method="POST", headers=headers
    )
    assert export.status_code == 200
    assert "content-encoding" not in export.headers
    assert export.headers.get("content-length", str(len(workbook))) == str(len(workbook))  # streamed: none
    run = await session.get(ExportRun, int(export.headers["x-export-run-id"]))
    assert run is not None
    assert export.headers["x-rows-sha256"] == run.rows_sha256
    assert openpyxl.load_workbook(io.BytesIO(workbook)).worksheets[0].max_row > 2

    csv, rows = await raw_get(client, f"/api/exports/disbursement?year={YEAR}&format=csv", method="POST",
                              headers=headers)  # fmt: skip
    assert "content-encoding" not in csv.headers
    assert rows.startswith(b"\xef\xbb\xbf")

    # a JSON file to save is a file too, not an API answer
    manifest, document = await raw_get(client, f"/api/exports/{run.id}/manifest.json", headers=headers)
    assert manifest.headers["content-type"].startswith("application/json")
    assert "content-encoding" not in manifest.headers
    assert json.loads(document)["manifest"]["rows_sha256"] == run.rows_sha256

    template, blank = await raw_get(client, "/api/imports/template.xlsx", headers=headers)
    assert "content-encoding" not in template.headers
    assert int(template.headers["content-length"]) == len(blank)
    assert openpyxl.load_workbook(io.BytesIO(blank)).worksheets

"""/api/exports: streaming downloads with their run id, the history, scoping by role and bureau."""

from __future__ import annotations

import io
from urllib.parse import unquote

import httpx
import openpyxl  # type: ignore[import-untyped, unused-ignore]
import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import AuditLog, ExportRun
from tests.backend.lists.helpers import YEAR, make_award
from tests.factories.firms import make_firm
from tests.factories.users import make_user
from vocabulary.states import Role


@pytest.fixture
async def two_bureaus(session: AsyncSession) -> None:
    for bureau, amount in (("jinghai", 100_000), ("jinghai", 20_000), ("heping", 5_000)):
        await make_award(session, await make_firm(session, bureau), amount)


def names(response: httpx.Response) -> list[str]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [row[1] for row in sheet.iter_rows(values_only=True) if isinstance(row[0], int)]


async def test_bureau_download_is_forced_to_its_own_bureau(
    client: httpx.AsyncClient, session: AsyncSession, two_bureaus: None
) -> None:
    user = await make_user(session, Role.bureau, bureau_code="jinghai")
    response = await client.post(f"/api/exports/disbursement?year={YEAR}", headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    disposition = response.headers["content-disposition"]
    assert "filename*=UTF-8''" in disposition
    assert "拨付清单" in unquote(disposition.split("filename*=UTF-8''")[1])
    run = await session.get(ExportRun, int(response.headers["x-export-run-id"]))
    assert run is not None
    assert response.headers["x-rows-sha256"] == run.rows_sha256
    assert run.scope_key == f"disbursement;year={YEAR};bureau=jinghai"
    assert (run.source, run.row_count, run.created_by_id) == ("api", 2, user.user.id)
    assert set(names(response)) == {"静海区科技局"}


async def test_the_run_is_audited_and_listed_with_its_manifest(
    client: httpx.AsyncClient, session: AsyncSession, two_bureaus: None
) -> None:
    city = await make_user(session, Role.city)
    response = await client.post(f"/api/exports/disbursement?year={YEAR}&format=csv", headers=city.headers)
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    run_id = int(response.headers["x-export-run-id"])
    audits = (await session.exec(select(AuditLog).where(AuditLog.entity == "export_run"))).all()
    assert [a.entity_id for a in audits] == [str(run_id)]
    history = (await client.get("/api/exports", headers=city.headers)).json()
    assert history["total"] >= 1
    item = history["items"][0]
    assert item["id"] == run_id
    assert item["manifest"]["row_count"] == 3
    assert item["diff_counts"] == {"added": 3, "removed": 0, "amount_changed": 0}
    detail = (await client.get(f"/api/exports/{run_id}", headers=city.headers)).json()
    assert len(detail["diff"]) == 3
    assert detail["diff"][0]["reason"] == "新审批通过"
    manifest = await client.get(f"/api/exports/{run_id}/manifest.json", headers=city.headers)
    assert manifest.status_code == 200
    assert manifest.json()["manifest"]["rows_sha256"] == response.headers["x-rows-sha256"]


async def test_bureau_history_shows_its_own_lists_only(
    client: httpx.AsyncClient, session: AsyncSession, two_bureaus: None
) -> None:
    city = await make_user(session, Role.city)
    heping = await make_user(session, Role.bureau, bureau_code="heping")
    jinghai = await make_user(session, Role.bureau, bureau_code="jinghai")
    everything = await client.post(f"/api/exports/disbursement?year={YEAR}", headers=city.headers)
    own = await client.post(f"/api/exports/disbursement?year={YEAR}", headers=heping.headers)
    seen = (await client.get("/api/exports", headers=heping.headers)).json()
    assert [i["id"] for i in seen["items"]] == [int(own.headers["x-export-run-id"])]
    hidden = await client.get(f"/api/exports/{everything.headers['x-export-run-id']}", headers=heping.headers)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "export.not_found")
    other = await client.get(f"/api/exports/{own.headers['x-export-run-id']}", headers=jinghai.headers)
    assert other.status_code == 404


@pytest.mark.parametrize(
    ("role", "bureau", "url", "status"),
    [
        (Role.bureau, "jinghai", f"/api/exports/disbursement?year={YEAR}&bureau=heping", 403),
        (Role.bureau, "jinghai", f"/api/exports/disbursement?year={YEAR}&final=true", 403),
        (Role.enterprise, None, f"/api/exports/disbursement?year={YEAR}", 403),
        (Role.enterprise, None, "/api/exports/reminders", 403),
        (Role.finance, None, f"/api/exports/eligibility?year={YEAR}", 403),
        (Role.finance, None, f"/api/exports/targets?year={YEAR}", 403),
        (Role.finance, None, f"/api/exports/disbursement?year={YEAR}", 200),
        (Role.city, None, "/api/exports/disbursement", 422),
        (Role.city, None, f"/api/exports/eligibility?year={YEAR}&final=true", 422),
        (Role.city, None, f"/api/exports/disbursement?year={YEAR}&bureau=nowhere", 422),
    ],
)
async def test_scoping_matrix(
    client: httpx.AsyncClient, session: AsyncSession, role: Role, bureau: str | None, url: str, status: int
) -> None:
    firm = await make_firm(session, "jinghai") if role is Role.enterprise else None
    user = await make_user(session, role, bureau_code=bureau, firm=firm)
    response = await client.post(url, headers=user.headers)
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json()["code"] == "export.forbidden"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["detail"])
    if status == 422:
        assert response.json()["code"] in ("export.invalid", "validation_error")


async def test_unknown_kind_and_anonymous_are_refused(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/exports/disbursement?year=2030")).status_code == 401
    assert (await client.get("/api/exports")).status_code == 401


async def test_enterprise_and_finance_history_scope(client: httpx.AsyncClient, session: AsyncSession) -> None:
    enterprise = await make_user(session, Role.enterprise, firm=await make_firm(session, "jinghai"))
    assert (await client.get("/api/exports", headers=enterprise.headers)).status_code == 403
    finance = await make_user(session, Role.finance)
    refused = await client.get("/api/exports?kind=eligibility", headers=finance.headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "export.forbidden")


async def test_filters_may_come_in_a_json_body(
    client: httpx.AsyncClient, session: AsyncSession, two_bureaus: None
) -> None:
    city = await make_user(session, Role.city)
    response = await client.post(
        "/api/exports/disbursement?format=csv", json={"year": YEAR, "bureau": "heping"}, headers=city.headers
    )
    assert response.status_code == 200, response.text
    run = await session.get(ExportRun, int(response.headers["x-export-run-id"]))
    assert run is not None
    assert run.scope_key == f"disbursement;year={YEAR};bureau=heping"
    assert run.row_count == 1
    refused = await client.post(
        "/api/exports/disbursement", json={"year": YEAR, "colour": "red"}, headers=city.headers
    )
    assert refused.status_code == 422

"""Every mutating endpoint leaves exactly one audit row with the state before and after."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.config import Settings
from backend.main import create_app
from backend.models import AuditLog, Role
from tests.factories.filings import make_filing
from tests.factories.firms import make_firm, new_uscc
from tests.factories.users import PASSWORD, LoggedIn, make_user
from tests.importers import workbooks as wb


@dataclass(frozen=True)
class Case:
    method: str
    route: str
    action: str
    has_before: bool
    call: Callable[[httpx.AsyncClient, AsyncSession, LoggedIn], Awaitable[httpx.Response]]
    check: Callable[[AuditLog], None]


async def _login(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    return await client.post("/api/auth/login", json={"username": admin.user.username, "password": PASSWORD})


async def _logout(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    return await client.post("/api/auth/logout", headers=admin.headers)


async def _create_firm(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    body = {
        "uscc": new_uscc(),
        "name": "天津审计测试有限公司",
        "bureau_code": "jinghai",
        "registered_on": "2022-02-02",
    }
    return await client.post("/api/firms", json=body, headers=admin.headers)


async def _update_firm(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    firm = await make_firm(session, name="天津旧名有限公司")
    return await client.patch(
        f"/api/firms/{firm.uscc}", json={"name": "天津新名有限公司"}, headers=admin.headers
    )


async def _create_filing(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    firm = await make_firm(session)
    body = {"fiscal_year": 2024, "revenue_yuan": 2_000_000}
    return await client.post(f"/api/firms/{firm.uscc}/filings", json=body, headers=admin.headers)


async def _revise_filing(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    firm = await make_firm(session)
    await make_filing(session, firm, 2024, revenue_yuan=2_000_000, employees=30)
    return await client.patch(
        f"/api/firms/{firm.uscc}/filings/2024", json={"revenue_yuan": 2_500_000}, headers=admin.headers
    )


def _filing_workbook() -> bytes:
    header = ["统一社会信用代码", "企业名称", "注册日期", "会计年度", "营业收入（万元）"]
    return wb.xlsx_rows([header, [new_uscc(), "天津审计导入有限公司", "2021-01-01", 2024, 300]])


async def _upload(client: httpx.AsyncClient, user: LoggedIn, *, dry_run: bool) -> httpx.Response:
    return await client.post(
        "/api/imports",
        data={"bureau": "jinghai", "dry_run": str(dry_run).lower()},
        files={"file": ("申报.xlsx", _filing_workbook())},
        headers=user.headers,
    )


async def _import(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    return await _upload(client, admin, dry_run=False)


async def _commit_import(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    city = await make_user(session, Role.city)  # the preview is someone else's: only the commit is admin's
    run = (await _upload(client, city, dry_run=True)).json()["run"]
    return await client.post(f"/api/imports/{run['id']}/commit", headers=admin.headers)


def _check_firm_update(row: AuditLog) -> None:
    assert row.before is not None
    assert row.after is not None
    assert (row.before["name"], row.after["name"]) == ("天津旧名有限公司", "天津新名有限公司")
    assert (row.before["revision_no"], row.after["revision_no"]) == (1, 2)


def _check_filing_revision(row: AuditLog) -> None:
    # Only what changed, plus which revision it became.
    assert row.before == {"revision_no": 1, "revenue_yuan": 2_000_000}
    assert row.after == {"revision_no": 2, "revenue_yuan": 2_500_000}


def _check_after(**expected: Any) -> Callable[[AuditLog], None]:
    def check(row: AuditLog) -> None:
        assert row.after is not None
        for key, value in expected.items():
            assert row.after[key] == value

    return check


def _no_check(row: AuditLog) -> None:
    assert row.after is None


CASES = [
    Case("POST", "/api/auth/login", "auth.login", False, _login, lambda r: None),
    Case("POST", "/api/auth/logout", "auth.logout", False, _logout, _no_check),
    Case(
        "POST",
        "/api/firms",
        "firm.create",
        False,
        _create_firm,
        _check_after(name="天津审计测试有限公司", bureau_code="jinghai"),
    ),
    Case("PATCH", "/api/firms/{uscc}", "firm.update", True, _update_firm, _check_firm_update),
    Case(
        "POST",
        "/api/firms/{uscc}/filings",
        "filing.create",
        False,
        _create_filing,
        _check_after(revenue_yuan=2_000_000, revision_no=1),
    ),
    Case(
        "PATCH",
        "/api/firms/{uscc}/filings/{fiscal_year}",
        "filing.revise",
        True,
        _revise_filing,
        _check_filing_revision,
    ),
    Case(
        "POST", "/api/imports", "import.commit", False, _import, _check_after(status="committed", new_firms=1)
    ),
    Case(
        "POST",
        "/api/imports/{run_id}/commit",
        "import.commit",
        False,
        _commit_import,
        _check_after(status="committed", new_revisions=1),
    ),
]


async def audit_rows(session: AsyncSession) -> list[AuditLog]:
    return list((await session.exec(select(AuditLog).order_by(col(AuditLog.id)))).all())


def _mutating_routes() -> set[tuple[str, str]]:
    app = create_app(Settings(database_url="postgresql+asyncpg://unused@/unused"))
    return {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method.upper() in {"POST", "PUT", "PATCH", "DELETE"}
    }


# POSTs that compute and change nothing: they must leave no audit row (tested below).
READ_ONLY = {("POST", "/api/what-if"), ("POST", "/api/rules/diff")}


def test_every_mutating_endpoint_has_an_audit_case() -> None:
    assert _mutating_routes() - READ_ONLY == {(case.method, case.route) for case in CASES}


async def test_read_only_posts_leave_no_audit_row(client: httpx.AsyncClient, session: AsyncSession) -> None:
    admin = await make_user(session, Role.admin)
    firm = await make_firm(session)
    before = len(await audit_rows(session))
    what_if = await client.post("/api/what-if", json={"uscc": firm.uscc, "year": 2025}, headers=admin.headers)
    diff = await client.post(
        "/api/rules/diff",
        json={"program": "seedling", "old_version": "2021", "new_version": "2021", "year": 2025},
        headers=admin.headers,
    )
    assert (what_if.status_code, diff.status_code) == (200, 200)
    assert len(await audit_rows(session)) == before


@pytest.mark.parametrize("case", CASES, ids=[c.action for c in CASES])
async def test_one_audit_row_per_change(client: httpx.AsyncClient, session: AsyncSession, case: Case) -> None:
    admin = await make_user(session, Role.admin)
    before = len(await audit_rows(session))
    response = await case.call(client, session, admin)
    assert response.status_code in (200, 201, 204), response.text
    rows = await audit_rows(session)
    # Factories write audit rows of their own (make_firm); the request writes exactly one more.
    request_rows = [r for r in rows[before:] if r.actor_id == admin.user.id]
    assert len(request_rows) == 1, [(r.action, r.actor_label) for r in rows[before:]]
    row = request_rows[0]
    assert row.action == case.action
    assert row.actor_label == admin.user.username
    assert (row.before is not None) == case.has_before
    case.check(row)


async def test_a_refused_change_leaves_no_audit_row(client: httpx.AsyncClient, session: AsyncSession) -> None:
    admin = await make_user(session, Role.admin)
    firm = await make_firm(session)
    await make_filing(session, firm, 2024, employees=10, tech_staff=5)
    before = len(await audit_rows(session))
    response = await client.patch(
        f"/api/firms/{firm.uscc}/filings/2024", json={"tech_staff": 50}, headers=admin.headers
    )
    assert response.status_code == 422
    assert len(await audit_rows(session)) == before

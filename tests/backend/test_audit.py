"""Every mutating endpoint leaves exactly the audit rows of what it changed, with the state before and after.

One row per entity a request changes (a bulk step writes one per record, a step that changes a
batch and its members writes one for each), a run-level summary row for set-based computations
(award compute), and nothing more: a case fails if an endpoint stops auditing or audits twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.config import Settings
from backend.main import create_app
from backend.models import (
    AuditLog,
    Award,
    AwardBudget,
    AwardExclusion,
    Firm,
    Objection,
    TierBatch,
    TierStatus,
)
from tests.backend.awards.support import CITY_FIRST, decide
from tests.backend.lists.helpers import PROGRAM, make_award
from tests.backend.tiers.support import YEAR, days_ago, today
from tests.factories.filings import make_filing
from tests.factories.firms import make_firm, new_uscc
from tests.factories.tiers import make_decision
from tests.factories.users import PASSWORD, LoggedIn, make_user
from tests.importers import workbooks as wb
from vocabulary.states import AwardState, BatchState, Role, TierState

Call = Callable[[httpx.AsyncClient, AsyncSession, LoggedIn], Awaitable[httpx.Response]]
RowCheck = Callable[[AuditLog], None]
Row = tuple[str, str, bool]  # (action, entity, whether a before state is recorded)


@dataclass(frozen=True)
class Case:
    """One mutating endpoint: the call that performs it and the audit rows it must leave.

    ``rows`` lists every row the call writes, in order; by default the call writes one row,
    of ``action``. ``check`` is one check per row (or one check for the only row).
    """

    method: str
    route: str
    action: str
    has_before: bool
    call: Call
    check: RowCheck | tuple[RowCheck, ...]
    rows: tuple[Row, ...] = ()

    def expected(self) -> list[tuple[str, str | None, bool]]:
        if self.rows:
            return list(self.rows)
        return [(self.action, None, self.has_before)]  # entity not pinned for the single-row cases

    def checks(self) -> tuple[RowCheck, ...]:
        return self.check if isinstance(self.check, tuple) else (self.check,)


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


# -- tiers: each call starts from rows written directly, in the state the step needs ------------------


async def _batch(session: AsyncSession, state: str = BatchState.open, **fields: Any) -> TierBatch:
    batch = TierBatch(year=YEAR, seq=1, label=f"{YEAR}年第1批", state=state, **fields)
    session.add(batch)
    await session.flush()
    return batch


async def _status(
    session: AsyncSession,
    state: str,
    batch: TierBatch | None = None,
    *,
    year: int = YEAR,
    firm: Firm | None = None,
) -> TierStatus:
    firm = firm or await make_firm(session)
    assert firm.id is not None
    status = TierStatus(
        firm_id=firm.id, tier="seedling", year=year, state=state,
        batch_id=batch.id if batch else None, batch_label=batch.label if batch else None,
    )  # fmt: skip
    session.add(status)
    await session.flush()
    return status


async def _in_notice(session: AsyncSession) -> tuple[TierBatch, TierStatus]:
    batch = await _batch(session, BatchState.public_notice, notice_from=date.fromisoformat(days_ago(10)),
                         notice_to=date.fromisoformat(days_ago(3)))  # fmt: skip
    return batch, await _status(session, TierState.public_notice, batch)


async def _create_batch(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    return await client.post("/api/tiers/batches", json={"year": YEAR}, headers=admin.headers)


async def _nominate(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    batch = await _batch(session)
    firm = await make_firm(session)
    await make_decision(session, firm, "seedling", YEAR, "eligible")  # becomes a candidate
    await _status(session, TierState.district_approved)  # left an earlier batch at its 公示: joins this one
    return await client.post(f"/api/tiers/batches/{batch.id}/nominate", headers=admin.headers)


async def _district_review(
    client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn
) -> httpx.Response:
    status = await _status(session, TierState.candidate, await _batch(session))
    body = {"status_ids": [status.id], "decision": "approve"}
    return await client.post("/api/tiers/district-review", json=body, headers=admin.headers)


async def _city_review(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    status = await _status(session, TierState.district_approved, await _batch(session))
    body = {"status_ids": [status.id], "decision": "approve"}
    return await client.post("/api/tiers/city-review", json=body, headers=admin.headers)


async def _start_notice(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    batch = await _batch(session)
    await _status(session, TierState.city_approved, batch)  # goes into 公示
    await _status(session, TierState.candidate, batch)  # not approved yet: leaves the batch
    return await client.post(f"/api/tiers/batches/{batch.id}/notice", json={}, headers=admin.headers)


async def _record_objection(
    client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn
) -> httpx.Response:
    _, status = await _in_notice(session)
    body = {"submitted_by": "天津某公司", "content": "研发人员数据不实"}
    return await client.post(f"/api/tiers/statuses/{status.id}/objections", json=body, headers=admin.headers)


async def _resolve_objection(
    client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn
) -> httpx.Response:
    _, status = await _in_notice(session)
    assert status.id is not None
    objection = Objection(tier_status_id=status.id, received_on=date.fromisoformat(days_ago(5)),
                          submitted_by="天津某公司", content="研发人员数据不实")  # fmt: skip
    session.add(objection)
    await session.flush()
    body = {
        "outcome": "upheld",
        "resolution": "经核实，研发人员数据不实",
    }  # upheld: the member is rejected too
    return await client.post(
        f"/api/tiers/objections/{objection.id}/resolve", json=body, headers=admin.headers
    )


async def _admit(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    batch, _ = await _in_notice(session)
    return await client.post(f"/api/tiers/batches/{batch.id}/admit", json={}, headers=admin.headers)


async def _annual_review(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    firm = await make_firm(session)
    await _status(session, TierState.admitted, year=YEAR - 1, firm=firm)
    await make_decision(session, firm, "seedling", YEAR, "eligible")  # kept: admitted → admitted
    return await client.post("/api/tiers/reviews", json={"year": YEAR}, headers=admin.headers)


# -- awards: decisions and awards written directly, then the one call ---------------------------------

AWARD_YEAR = 2026


async def _award(session: AsyncSession, state: str, amount: int = 100_000) -> Award:
    return await make_award(session, await make_firm(session), amount, state=state)


async def _move_award(
    client: httpx.AsyncClient, admin: LoggedIn, step: str, award: Award, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/api/awards/{step}", json={"award_ids": [award.id], **body}, headers=admin.headers
    )


async def _compute(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    await decide(session, await make_firm(session), CITY_FIRST, AWARD_YEAR, amount_yuan=120_000)
    body = {"year": AWARD_YEAR, "program": CITY_FIRST}
    return await client.post("/api/awards/compute", json=body, headers=admin.headers)


async def _award_review(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    return await _move_award(client, admin, "district-review", await _award(session, AwardState.computed))


async def _approve(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    return await _move_award(client, admin, "approve", await _award(session, AwardState.district_reviewed))


async def _reject(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    award = await _award(session, AwardState.computed)
    return await _move_award(client, admin, "reject", award, reason="申报材料不全")


async def _mark_paid(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    award = await _award(session, AwardState.exported)
    return await _move_award(client, admin, "mark-paid", award, paid_on="2031-12-01", payment_ref="ZF-001")


async def _correct(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    award = await _award(session, AwardState.approved)
    body = {"amount_yuan": 80_000, "reason": "营业收入更正"}
    return await client.post(f"/api/awards/{award.id}/correct", json=body, headers=admin.headers)


async def _put_budget(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    session.add(AwardBudget(program=CITY_FIRST, year=AWARD_YEAR, amount_yuan=1_000_000))  # replaced
    await session.flush()
    return await client.put(
        f"/api/awards/budgets/{CITY_FIRST}/{AWARD_YEAR}",
        json={"amount_yuan": 2_000_000, "note": "追加预算"},
        headers=admin.headers,
    )


async def _exclude(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    firm = await make_firm(session)
    body = {"uscc": firm.uscc, "from_year": AWARD_YEAR, "reason": "存在失信记录"}
    return await client.post("/api/awards/exclusions", json=body, headers=admin.headers)


async def _unexclude(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    firm = await make_firm(session)
    assert firm.id is not None
    exclusion = AwardExclusion(firm_id=firm.id, from_year=AWARD_YEAR, reason="存在失信记录")
    session.add(exclusion)
    await session.flush()
    return await client.delete(f"/api/awards/exclusions/{exclusion.id}", headers=admin.headers)


async def _export_final(client: httpx.AsyncClient, session: AsyncSession, admin: LoggedIn) -> httpx.Response:
    award = await _award(session, AwardState.approved, 150_000)  # the final list marks it exported
    return await client.post(
        f"/api/exports/disbursement?year={award.year}&program={PROGRAM}&final=true", headers=admin.headers
    )


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


def _change(before: dict[str, Any] | None = None, **after: Any) -> RowCheck:
    """The row's ``before`` holds ``before`` (if given) and its ``after`` holds ``after``."""

    def check(row: AuditLog) -> None:
        if before is not None:
            assert row.before is not None
            assert {key: row.before[key] for key in before} == before, row.before
        assert row.after is not None
        assert {key: row.after[key] for key in after} == after, row.after

    return check


def _state(before: str | None, after: str, **more: Any) -> RowCheck:
    return _change(None if before is None else {"state": before}, state=after, **more)


def _admitted(row: AuditLog) -> None:
    _state(TierState.public_notice, TierState.admitted, valid_from=today().isoformat())(row)
    assert row.after is not None
    assert str(row.after["admission_no"]).startswith("TJ-")


def _deleted(**before: Any) -> RowCheck:
    def check(row: AuditLog) -> None:
        assert row.before is not None
        assert row.after is None
        assert {key: row.before[key] for key in before} == before

    return check


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
    # -- tiers ------------------------------------------------------------------------------------
    Case(
        "POST",
        "/api/tiers/batches",
        "tier.batch_create",
        False,
        _create_batch,
        _change(year=YEAR, seq=1, state=BatchState.open),
        rows=(("tier.batch_create", "tier_batch", False),),
    ),
    Case(
        "POST",
        "/api/tiers/batches/{batch_id}/nominate",
        "tier.candidate",
        False,
        _nominate,
        (
            _state(None, TierState.candidate, year=YEAR),
            _change({"batch_id": None}, state=TierState.district_approved),
        ),
        rows=(("tier.candidate", "tier_status", False), ("tier.batch_join", "tier_status", True)),
    ),
    Case(
        "POST",
        "/api/tiers/district-review",
        "tier.district_approved",
        True,
        _district_review,
        _state(TierState.candidate, TierState.district_approved),
        rows=(("tier.district_approved", "tier_status", True),),
    ),
    Case(
        "POST",
        "/api/tiers/city-review",
        "tier.city_approved",
        True,
        _city_review,
        _state(TierState.district_approved, TierState.city_approved),
        rows=(("tier.city_approved", "tier_status", True),),
    ),
    Case(
        "POST",
        "/api/tiers/batches/{batch_id}/notice",
        "tier.batch_notice",
        True,
        _start_notice,
        (
            _state(BatchState.open, BatchState.public_notice, notice_from=today().isoformat()),
            _state(TierState.city_approved, TierState.public_notice),
            _change({"state": TierState.candidate}, state=TierState.candidate, batch_id=None),
        ),
        rows=(
            ("tier.batch_notice", "tier_batch", True),
            ("tier.public_notice", "tier_status", True),
            ("tier.batch_leave", "tier_status", True),
        ),
    ),
    Case(
        "POST",
        "/api/tiers/statuses/{status_id}/objections",
        "tier.objection_record",
        False,
        _record_objection,
        _change(outcome="pending", submitted_by="天津某公司", resolution=None),
        rows=(("tier.objection_record", "tier_objection", False),),
    ),
    Case(
        "POST",
        "/api/tiers/objections/{objection_id}/resolve",
        "tier.objection_resolve",
        True,
        _resolve_objection,
        (
            _state(TierState.public_notice, TierState.rejected),
            _change({"outcome": "pending"}, outcome="upheld", resolution="经核实，研发人员数据不实"),
        ),
        rows=(("tier.rejected", "tier_status", True), ("tier.objection_resolve", "tier_objection", True)),
    ),
    Case(
        "POST",
        "/api/tiers/batches/{batch_id}/admit",
        "tier.batch_admit",
        True,
        _admit,
        (_admitted, _state(BatchState.public_notice, BatchState.admitted, announced_on=today().isoformat())),
        rows=(("tier.admitted", "tier_status", True), ("tier.batch_admit", "tier_batch", True)),
    ),
    Case(
        "POST",
        "/api/tiers/reviews",
        "tier.admitted",
        True,
        _annual_review,
        _change(
            {"state": TierState.admitted, "last_reviewed_year": None},
            state=TierState.admitted,
            last_reviewed_year=YEAR,
        ),
        rows=(("tier.admitted", "tier_status", True),),
    ),
    # -- awards and the 拨付清单 ---------------------------------------------------------------------
    Case(
        "POST",
        "/api/awards/compute",
        "award.compute",
        False,
        _compute,
        _change(year=AWARD_YEAR, programs=[CITY_FIRST], created=1, corrected=0, conflicts=0),
        rows=(("award.compute", "award", False),),  # one summary row per run, not one per award
    ),
    Case(
        "POST",
        "/api/awards/district-review",
        "award.district_review",
        True,
        _award_review,
        _state(AwardState.computed, AwardState.district_reviewed, amount_yuan=100_000),
        rows=(("award.district_review", "award", True),),
    ),
    Case(
        "POST",
        "/api/awards/approve",
        "award.approve",
        True,
        _approve,
        _state(AwardState.district_reviewed, AwardState.approved, amount_yuan=100_000),
        rows=(("award.approve", "award", True),),
    ),
    Case(
        "POST",
        "/api/awards/reject",
        "award.reject",
        True,
        _reject,
        _state(AwardState.computed, AwardState.rejected, amount_yuan=100_000),
        rows=(("award.reject", "award", True),),
    ),
    Case(
        "POST",
        "/api/awards/mark-paid",
        "award.pay",
        True,
        _mark_paid,
        _state(AwardState.exported, AwardState.paid, paid_on="2031-12-01", payment_ref="ZF-001"),
        rows=(("award.pay", "award", True),),
    ),
    Case(
        "POST",
        "/api/awards/{award_id}/correct",
        "award.correct",
        False,
        _correct,
        (
            _state(AwardState.approved, AwardState.superseded, amount_yuan=100_000),
            _state(None, AwardState.computed, amount_yuan=80_000, reason="营业收入更正"),
        ),
        rows=(("award.supersede", "award", True), ("award.correct", "award", False)),
    ),
    Case(
        "PUT",
        "/api/awards/budgets/{program}/{year}",
        "award.budget",
        True,
        _put_budget,
        _change({"amount_yuan": 1_000_000, "note": None}, amount_yuan=2_000_000, note="追加预算"),
        rows=(("award.budget", "award_budget", True),),
    ),
    Case(
        "POST",
        "/api/awards/exclusions",
        "award.exclude",
        False,
        _exclude,
        _change(program=None, from_year=AWARD_YEAR, to_year=None, reason="存在失信记录"),
        rows=(("award.exclude", "award_exclusion", False),),
    ),
    Case(
        "DELETE",
        "/api/awards/exclusions/{exclusion_id}",
        "award.unexclude",
        True,
        _unexclude,
        _deleted(from_year=AWARD_YEAR, reason="存在失信记录"),
        rows=(("award.unexclude", "award_exclusion", True),),
    ),
    Case(
        "POST",
        "/api/exports/{kind}",
        "export",
        False,
        _export_final,
        (
            _state(AwardState.approved, AwardState.exported, amount_yuan=150_000),
            _change(kind="disbursement", final=True, row_count=1, source="api"),
        ),
        rows=(("award.export", "award", True), ("export", "export_run", False)),
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


@pytest.mark.parametrize("case", CASES, ids=[f"{c.method} {c.route}" for c in CASES])
async def test_audit_rows_per_change(client: httpx.AsyncClient, session: AsyncSession, case: Case) -> None:
    admin = await make_user(session, Role.admin)
    before = len(await audit_rows(session))
    response = await case.call(client, session, admin)
    assert response.status_code in (200, 201, 204), response.text
    rows = await audit_rows(session)
    # Factories write audit rows of their own (make_firm); the request writes exactly the expected ones.
    request_rows = [r for r in rows[before:] if r.actor_id == admin.user.id]
    expected = case.expected()
    assert len(request_rows) == len(expected), [(r.action, r.entity, r.actor_label) for r in rows[before:]]
    found = [
        (r.action, r.entity if entity is not None else None, r.before is not None)
        for r, (_, entity, _) in zip(request_rows, expected, strict=True)
    ]
    assert found == expected
    # The request's own row (the case's action) is among them, with or without a before state as stated.
    assert (case.action, case.has_before) in [(r.action, r.before is not None) for r in request_rows]
    checks = case.checks()
    assert len(checks) == len(request_rows)
    for row, check in zip(request_rows, checks, strict=True):
        assert row.actor_label == admin.user.username
        check(row)


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

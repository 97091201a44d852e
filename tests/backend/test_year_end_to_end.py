"""One whole year through the HTTP API as the real roles: 年度评价 → 提名候选 → 区级审核 → 市级审核 →
公示 → 异议 → 公告入库 → 奖励计算 → 区级审核 → 财政批准 → 正式拨付清单 → 登记拨付.

Outcomes follow from real filings, certificates and rules, never from stated decisions: the 雏鹰
(seedling) decisions from its 2021 thresholds (营业收入 ≥ 10万元, I类知识产权 ≥ 1 or II类 ≥ 2, 注册 8 年以内),
the award from hte_city_first (首次认定国家高企、证书当年颁发, 10万元). The seedling awards cannot carry a
year run: seedling_loan needs the firm's loan application (input.*), which a year evaluation never has,
so even an admitted 雏鹰 is "unknown" for it (asserted below); rd_post_subsidy is disabled (placeholder
schedule).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import openpyxl  # type: ignore[import-untyped, unused-ignore]
import pandas as pd
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.security import Actor
from backend.evaluations import service as evaluation_service
from backend.models import Certificate, Firm
from exports.capitals import yuan_capitals
from tests.backend.tiers.support import YEAR, database_state, days_ago, notice_window, ok, post, today
from tests.factories.evaluations import CLEAN, last_fiscal_year, seedling_firm
from tests.factories.filings import make_filing
from tests.factories.firms import make_firm
from tests.factories.users import LoggedIn, make_user
from vocabulary.states import Role

AWARD = "hte_city_first"  # 市级高企首次认定奖励
AWARD_YUAN = 100_000
BUDGET_YUAN = 500_000
PAYMENT_REF = f"ZF{YEAR}-0001"


@dataclass
class People:
    city: LoggedIn
    jinghai: LoggedIn  # 静海区科技局
    heping: LoggedIn  # 和平区科技局
    finance: LoggedIn

    @property
    def city_actor(self) -> Actor:
        return Actor(user_id=self.city.user.id, label=self.city.user.username, role=Role.city)


# ---------------------------------------------------------------- reading the database and the files


async def rows(
    session: AsyncSession, sql: str, params: dict[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    await session.flush()  # raw SQL does not flush pending ORM rows by itself
    connection = await session.connection()
    return [tuple(r) for r in (await connection.execute(text(sql), params or {})).all()]


async def scalar(session: AsyncSession, sql: str, params: dict[str, Any] | None = None) -> Any:
    ((value,),) = await rows(session, sql, params)
    return value


async def counts(session: AsyncSession) -> dict[str, int]:
    tables = ("tier_transition", "award_event", "audit_log")
    return {t: int(await scalar(session, f"SELECT count(*) FROM {t}")) for t in tables}


async def latest_outcomes(session: AsyncSession, program: str) -> dict[int, str]:
    found = await rows(
        session,
        "SELECT firm_id, outcome FROM evaluation_latest WHERE program = :p AND year = :y",
        {"p": program, "y": YEAR},
    )
    return dict(found)


async def status_of(session: AsyncSession, firm: Firm) -> int:
    sid: int = await scalar(
        session,
        "SELECT id FROM tier_status WHERE firm_id = :f AND tier = 'seedling' AND year = :y",
        {"f": firm.id, "y": YEAR},
    )
    return sid


def workbook(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    for sheet in book.worksheets:  # every cell is a value: names are text, never formulas
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row), sheet.title
    return book


def list_table(book: Any) -> pd.DataFrame:
    """The list on the first sheet: the rows under the 序号 header that carry a number in it."""
    table = list(book.worksheets[0].iter_rows(values_only=True))
    start = next(i for i, row in enumerate(table) if row and row[0] == "序号")
    body = [row for row in table[start + 1 :] if isinstance(row[0], int)]
    return pd.DataFrame(body, columns=list(table[start]))


def labelled(book: Any, prefix: str) -> list[tuple[Any, ...]]:
    """Rows of the first sheet whose first text cell starts with ``prefix`` (合计, 小计)."""
    found = []
    for row in book.worksheets[0].iter_rows(values_only=True):
        texts = [c for c in row if isinstance(c, str)]
        if texts and texts[0].startswith(prefix):
            found.append(row)
    return found


async def export(client: httpx.AsyncClient, user: LoggedIn, kind: str, **query: Any) -> httpx.Response:
    return await client.post(f"/api/exports/{kind}", params=query, headers=user.headers)


async def award_step(
    client: httpx.AsyncClient, user: LoggedIn, step: str, ids: list[int], **body: Any
) -> httpx.Response:
    return await client.post(f"/api/awards/{step}", json={"award_ids": ids, **body}, headers=user.headers)


async def review(client: httpx.AsyncClient, user: LoggedIn, step: str, ids: list[int], **body: Any) -> Any:
    return await ok(await post(client, user, f"/{step}", {"status_ids": ids, **body}))


# ---------------------------------------------------------------- the firms


async def first_hte_certificate(session: AsyncSession, firm: Firm) -> None:
    """国家高新技术企业证书, the firm's first, issued this year."""
    assert firm.id is not None
    session.add(Certificate(firm_id=firm.id, kind="hte", number=f"GR{YEAR}12{firm.id:08d}",
                            issued_on=date(YEAR, 1, 1), expires_on=date(YEAR + 2, 12, 31), source="manual"))  # fmt: skip
    await session.flush()


async def firms_of_the_year(session: AsyncSession) -> dict[str, Firm]:
    """Registered 2021, last fiscal year filed; revenue 300万元 and 2 class-II IP unless stated."""
    firms = {
        "a": await seedling_firm(session, "jinghai"),  # 合格
        "b": await seedling_firm(session, "jinghai", ip_class1=1, ip_class2=0),  # 合格（I类知识产权）
        "c": await seedling_firm(session, "heping"),  # 合格
        "d": await seedling_firm(session, "heping"),  # 合格，区科技局核查后驳回
        "e": await seedling_firm(session, "heping", ip_class1=3),  # 合格
        "poor": await seedling_firm(session, "jinghai", revenue_yuan=76_500),  # 营业收入不足10万元
        "old": await make_firm(session, "heping", registered_on=date(YEAR - 12, 5, 1)),  # 注册超过8年
        "missing": await make_firm(session, "jinghai", registered_on=date(2021, 3, 1)),  # 未报年报
    }
    await make_filing(session, firms["old"], last_fiscal_year(), **CLEAN, revenue_yuan=3_000_000, ip_class2=2)
    for key in ("a", "c"):  # 首次认定国家高企
        await first_hte_certificate(session, firms[key])
    return firms


# ---------------------------------------------------------------- the year


async def test_a_whole_year_from_evaluation_to_admitted_firms_and_paid_awards(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    # 1. 企业与年报: firms in 静海 and 和平 with real filings for the last fiscal year.
    firms = await firms_of_the_year(session)
    people = People(
        city=await make_user(session, Role.city),
        jinghai=await make_user(session, Role.bureau, bureau_code="jinghai"),
        heping=await make_user(session, Role.bureau, bureau_code="heping"),
        finance=await make_user(session, Role.finance),
    )
    before = await counts(session)
    audit_from = int(await scalar(session, "SELECT COALESCE(MAX(id), 0) FROM audit_log"))

    # 2. 市科技局年度评价: seedling decisions from the real rules.
    await evaluation_service.evaluate_year(session, people.city_actor, year=YEAR, programs=["seedling"])
    seedling = await latest_outcomes(session, "seedling")
    assert {key: seedling.get(f.id or 0) for key, f in firms.items()} == {
        "a": "eligible", "b": "eligible", "c": "eligible", "d": "eligible", "e": "eligible",
        "poor": "ineligible", "old": "ineligible", "missing": "unknown",
    }  # fmt: skip

    ids, admission_numbers = await admit_the_seedlings(client, session, people, firms)
    paid_ids = await award_and_pay(client, session, people, firms)

    # 6. Every state change left its trace: a transition or event, and an audit row.
    added = {table: n - before[table] for table, n in (await counts(session)).items()}
    # 雏鹰: 5 候选 + 4 区级通过 + 1 区级驳回 + 4 市级通过 + 4 公示 + 4 入库
    assert added["tier_transition"] == 22
    # 奖励: 2 awards × (计算, 区级审核, 批准, 列入正式清单, 拨付)
    assert added["award_event"] == 10
    audited = await rows(
        session,
        "SELECT entity, action, count(*) FROM audit_log WHERE id > :after GROUP BY 1, 2 ORDER BY 1, 2",
        {"after": audit_from},
    )
    assert audited == [
        ("award", "award.approve", 2),
        ("award", "award.compute", 1),  # one row for the compute run; each award has its 'computed' event
        ("award", "award.district_review", 2),
        ("award", "award.export", 2),
        ("award", "award.pay", 2),
        ("award_budget", "award.budget", 1),
        ("evaluation", "evaluation.run", 2),
        ("export_run", "export", 4),  # 公示名单, 入库名单, two 拨付清单
        ("tier_batch", "tier.batch_admit", 1),
        ("tier_batch", "tier.batch_create", 1),
        ("tier_batch", "tier.batch_notice", 1),
        ("tier_objection", "tier.objection_record", 1),
        ("tier_objection", "tier.objection_resolve", 1),
        ("tier_status", "tier.admitted", 4),
        ("tier_status", "tier.candidate", 5),
        ("tier_status", "tier.city_approved", 4),
        ("tier_status", "tier.district_approved", 4),
        ("tier_status", "tier.public_notice", 4),
        ("tier_status", "tier.rejected", 1),
    ]
    assert added["audit_log"] == sum(n for _, _, n in audited) == 43
    # Each tier transition has the audit row of the same record and step.
    per_status = await rows(
        session,
        "SELECT (SELECT count(*) FROM tier_transition t WHERE t.tier_status_id = s.id), "
        "(SELECT count(*) FROM audit_log l WHERE l.entity = 'tier_status' AND l.entity_id = s.id::text) "
        "FROM tier_status s WHERE s.id = ANY(:ids)",
        {"ids": list(ids.values())},
    )
    assert sorted(per_status) == [(2, 2)] + [(5, 5)] * 4
    final = await rows(session, "SELECT state, admission_no FROM tier_status WHERE id = ANY(:ids) ORDER BY id",
                       {"ids": list(ids.values())})  # fmt: skip
    assert sorted(n for _, n in final if n) == sorted(admission_numbers)
    assert await rows(
        session, "SELECT DISTINCT state FROM award WHERE id = ANY(:ids)", {"ids": paid_ids}
    ) == [("paid",)]


async def admit_the_seedlings(
    client: httpx.AsyncClient, session: AsyncSession, people: People, firms: dict[str, Firm]
) -> tuple[dict[str, int], list[str]]:
    """Steps 3 and 4: batch → candidates → reviews → 公示 (and its list) → objection → 入库 (and its list)."""
    city = people.city

    # 3. 建立批次，提名候选: the ineligible, too old and incomplete firms are never candidates.
    batch = await ok(await post(client, city, "/batches", {"year": YEAR}), 201)
    assert (batch["label"], batch["state"]) == (f"{YEAR}年第1批", "open")
    nominated = await ok(await post(client, city, f"/batches/{batch['id']}/nominate"))
    assert nominated["created"]["seedling"] == 5
    never = [firms[k].id for k in ("poor", "old", "missing")]
    assert (
        await scalar(session, "SELECT count(*) FROM tier_status WHERE firm_id = ANY(:f)", {"f": never}) == 0
    )
    ids = {key: await status_of(session, firms[key]) for key in "abcde"}

    # 区科技局审核: another bureau's candidate is not there for it, and nothing changes when it tries.
    unchanged = await database_state(session)
    foreign = await post(client, people.jinghai, "/district-review",
                         {"status_ids": [ids["c"]], "decision": "approve"})  # fmt: skip
    assert (foreign.status_code, foreign.json()["code"]) == (404, "tier.status_not_found"), foreign.text
    assert await database_state(session) == unchanged
    await review(client, people.jinghai, "district-review", [ids["a"], ids["b"]], decision="approve")
    await review(client, people.heping, "district-review", [ids["c"], ids["e"]], decision="approve")
    reason = "实地核查：研发场地与申报材料不符"
    rejected = await review(
        client, people.heping, "district-review", [ids["d"]], decision="reject", reason=reason
    )
    assert [s["state"] for s in rejected] == ["rejected"]
    history = await ok(await client.get(f"/api/firms/{firms['d'].uscc}/tiers", headers=people.heping.headers))
    assert (history[0]["transitions"][-1]["to_state"], history[0]["transitions"][-1]["reason"]) == (
        "rejected", f"区审查未通过：{reason}",
    )  # fmt: skip

    # 市科技局审核，开始公示: the window is already over, so 入库 can follow today.
    in_notice_ids = [ids[k] for k in "abce"]
    await review(client, city, "city-review", in_notice_ids, decision="approve")
    notice = await ok(await post(client, city, f"/batches/{batch['id']}/notice", notice_window(10, 3)))
    assert notice["batch"]["state"] == "public_notice"
    assert sorted(s["id"] for s in notice["in_notice"]) == sorted(in_notice_ids)

    # 公示名单: exactly the firms in 公示, with their names.
    notice_list = list_table(workbook(await export(client, city, "public-notice", batch=batch["id"])))
    assert sorted(notice_list["企业名称"]) == sorted(firms[k].name for k in "abce")
    assert sorted(notice_list["统一社会信用代码"]) == sorted(firms[k].uscc for k in "abce")

    # 4. 异议: one against b, found groundless and dismissed.
    objection = await ok(await post(client, city, f"/statuses/{ids['b']}/objections",
                                    {"submitted_by": "匿名", "content": "知识产权权属存疑",
                                     "received_on": days_ago(5)}), 201)  # fmt: skip
    dismissed = await ok(await post(client, city, f"/objections/{objection['id']}/resolve",
                                    {"outcome": "dismissed", "resolution": "经核实，权属清晰"}))  # fmt: skip
    assert dismissed["outcome"] == "dismissed"

    # 公示期满，公告入库: numbered in bureau-code order (heping before jinghai), then by credit code.
    admitted = await ok(await post(client, city, f"/batches/{batch['id']}/admit"))
    assert (admitted["batch"]["state"], admitted["batch"]["announced_on"]) == (
        "admitted",
        today().isoformat(),
    )
    order = sorted("abce", key=lambda k: (firms[k].bureau_code, firms[k].uscc))
    assert order[:2] == sorted("ce", key=lambda k: firms[k].uscc)  # 和平 first
    numbers = [f"TJ-CY-{YEAR}-01-{n:04d}" for n in range(1, 5)]
    assert [(s["id"], s["admission_no"]) for s in admitted["admitted"]] == [
        (ids[k], n) for k, n in zip(order, numbers, strict=True)
    ]

    # 入库名单: the same numbers, against the same firms.
    book = workbook(await export(client, city, "certification", batch=batch["id"]))
    cells = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert sorted(c for c in cells if re.fullmatch(rf"TJ-CY-{YEAR}-\d\d-\d{{4}}", c)) == numbers
    certification = list_table(book)
    assert sorted(certification["企业名称"]) == sorted(firms[k].name for k in "abce")
    return ids, numbers


async def award_and_pay(
    client: httpx.AsyncClient, session: AsyncSession, people: People, firms: dict[str, Firm]
) -> list[int]:
    """Step 5: award decisions → compute → district review → budget, approval → final 拨付清单 → paid."""
    city, finance = people.city, people.finance

    # 5. 年度奖励评价: first-time HTE firms a and c qualify; a 雏鹰 without a loan application is unknown.
    await evaluation_service.evaluate_year(
        session, people.city_actor, year=YEAR, programs=[AWARD, "seedling_loan"], evaluation_date=today()
    )
    outcomes = await latest_outcomes(session, AWARD)
    assert sorted(k for k, f in firms.items() if outcomes.get(f.id or 0) == "eligible") == ["a", "c"]
    assert (await latest_outcomes(session, "seedling_loan")).get(firms["a"].id or 0) == "unknown"

    # 奖励计算
    computed = await ok(
        await client.post("/api/awards/compute", json={"year": YEAR, "program": AWARD}, headers=city.headers)
    )
    assert computed["created"] == 2
    found = await rows(session, "SELECT firm_id, id FROM award WHERE year = :y AND program = :p",
                       {"y": YEAR, "p": AWARD})  # fmt: skip
    award_of: dict[int, int] = dict(found)
    a_award, c_award = award_of[firms["a"].id or 0], award_of[firms["c"].id or 0]
    ids = [a_award, c_award]

    # 区科技局审核: each bureau its own; the other's award is not there for it.
    foreign = await award_step(client, people.jinghai, "district-review", [c_award])
    assert (foreign.status_code, foreign.json()["code"]) == (404, "award.not_found")
    await ok(await award_step(client, people.jinghai, "district-review", [a_award]))
    await ok(await award_step(client, people.heping, "district-review", [c_award]))

    # 财政: 年度预算, 批准, 汇总.
    budget = await client.put(f"/api/awards/budgets/{AWARD}/{YEAR}",
                              json={"amount_yuan": BUDGET_YUAN, "note": f"{YEAR}年预算"}, headers=finance.headers)  # fmt: skip
    assert budget.status_code == 200, budget.text
    assert (await ok(await award_step(client, finance, "approve", ids)))["warnings"] == []
    summary = await ok(await client.get(f"/api/awards/summary?year={YEAR}", headers=finance.headers))
    [program] = [p for p in summary["programs"] if p["program"] == AWARD]
    assert (program["budget_yuan"], program["committed_yuan"], program["remaining_yuan"]) == (
        BUDGET_YUAN, 2 * AWARD_YUAN, BUDGET_YUAN - 2 * AWARD_YUAN,
    )  # fmt: skip
    assert program["by_state"]["approved"] == {"count": 2, "amount_yuan": 2 * AWARD_YUAN}

    # 正式拨付清单: its total is the database's, capitals right, the awards now exported.
    db_total = await scalar(session, "SELECT SUM(amount_yuan) FROM award WHERE id = ANY(:ids)", {"ids": ids})
    response = await export(client, finance, "disbursement", year=YEAR, program=AWARD, final="true")
    book = workbook(response)
    listed = list_table(book)
    assert sorted(listed["企业名称"]) == sorted([firms["a"].name, firms["c"].name])
    assert int(listed["金额（元）"].sum()) == db_total == 2 * AWARD_YUAN
    [grand_total] = labelled(book, "合计")
    assert grand_total[list(listed.columns).index("金额（元）")] == db_total
    row = listed.iloc[0]
    assert row["金额大写"] == yuan_capitals(int(row["金额（元）"])) == "壹拾万元整"
    run_id = int(response.headers["X-Export-Run-Id"])
    assert re.fullmatch(r"[0-9a-f]{64}", response.headers["X-Rows-SHA256"])
    exported = await rows(
        session, "SELECT state, export_run_id FROM award WHERE id = ANY(:ids)", {"ids": ids}
    )
    assert exported == [("exported", run_id)] * 2

    # 登记拨付 with the payment reference; paying again is refused and changes nothing.
    paid = await ok(await award_step(client, finance, "mark-paid", ids, paid_on=today().isoformat(),
                                     payment_ref=PAYMENT_REF))  # fmt: skip
    assert [(w["id"], w["state"], w["payment_ref"]) for w in paid["awards"]] == [
        (i, "paid", PAYMENT_REF) for i in ids
    ]
    unchanged = await counts(session)
    again = await award_step(
        client, finance, "mark-paid", ids, paid_on=today().isoformat(), payment_ref="ZF-2"
    )
    assert (again.status_code, again.json()["code"]) == (409, "award.already_paid")
    assert await counts(session) == unchanged
    refs = await rows(session, "SELECT DISTINCT payment_ref FROM award WHERE id = ANY(:ids)", {"ids": ids})
    assert refs == [(PAYMENT_REF,)]
    summary = await ok(await client.get(f"/api/awards/summary?year={YEAR}", headers=finance.headers))
    [program] = [p for p in summary["programs"] if p["program"] == AWARD]
    assert program["by_state"]["paid"] == {"count": 2, "amount_yuan": 2 * AWARD_YUAN}
    assert program["committed_yuan"] == 2 * AWARD_YUAN  # paid still counts against the budget

    # A second final 拨付清单 lists nothing; its diff adds nothing (the paid awards left the list).
    response = await export(client, finance, "disbursement", year=YEAR, program=AWARD, final="true")
    assert list_table(workbook(response)).empty
    second = await ok(
        await client.get(f"/api/exports/{response.headers['X-Export-Run-Id']}", headers=finance.headers)
    )
    assert (second["row_count"], second["previous_id"]) == (0, run_id)
    assert second["diff_counts"] == {"added": 0, "removed": 2, "amount_changed": 0}
    assert {e["change"] for e in second["diff"]} == {"removed"}
    return ids

"""The other list kinds on real data: 评价结果, 入库名单, 公示名单, 区县目标进度, 提醒."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import clock
from backend.evaluations import service as evaluation_service
from backend.lists.params import ListParams
from backend.models import (
    Certificate,
    DistrictTarget,
    Firm,
    TierBatch,
    TierStatus,
    TierTransition,
)
from backend.rulesets.service import criterion_labels
from tests.backend.lists.helpers import export
from tests.factories.evaluations import seedling_firm
from tests.factories.firms import OPERATOR, make_firm

TODAY = clock.today()


async def test_eligibility_names_outcomes_and_failed_criteria_in_words(
    session: AsyncSession, tmp_path: Path
) -> None:
    eligible = await seedling_firm(session)
    short = await seedling_firm(session, revenue_yuan=76_500)
    await evaluation_service.evaluate_year(session, OPERATOR, year=TODAY.year, programs=["seedling"])
    written = await export(session, tmp_path, "eligibility", ListParams(year=TODAY.year, program="seedling"))
    header, body = written.table()
    assert header == ["序号", "审查单位", "统一社会信用代码", "企业名称", "评价项目", "评价结果", "未通过条件",
                      "资料不全条件", "规则版本"]  # fmt: skip
    outcome = {row[2]: (row[5], row[6]) for row in body}
    assert outcome[eligible.uscc] == ("符合", None)  # the word pages use
    label = criterion_labels("seedling", "2021")["revenue"]
    assert outcome[short.uscc][0] == "不符合"
    assert label in outcome[short.uscc][1].split("；")
    assert written.run.manifest["ruleset_versions"] == {"seedling": "2021"}
    notes = written.sheet_rows()[1][0]
    assert "评价结果：符合 / 不符合 / 资料不全" in notes  # the words the rows and pages use


async def _member(
    session: AsyncSession, firm: Firm, batch: TierBatch, state: str, *, tier: str = "seedling",
    noticed: bool = True, admission_no: str | None = None, reason: str | None = None,
) -> TierStatus:  # fmt: skip
    assert firm.id is not None
    assert batch.id is not None
    status = TierStatus(firm_id=firm.id, tier=tier, year=batch.year, state=state, batch_id=batch.id,
                        batch_label=batch.label, admission_no=admission_no,
                        valid_from=batch.announced_on if state == "admitted" else None)  # fmt: skip
    session.add(status)
    await session.flush()
    assert status.id is not None
    if noticed:
        session.add(TierTransition(tier_status_id=status.id, from_state="city_approved", to_state="public_notice",
                                   actor_label="test"))  # fmt: skip
    if state != "public_notice" and noticed:
        session.add(TierTransition(tier_status_id=status.id, from_state="public_notice", to_state=state,
                                   actor_label="test", reason=reason))  # fmt: skip
    await session.flush()
    return status


@pytest.fixture
async def batch(session: AsyncSession) -> TierBatch:
    batch = TierBatch(year=2031, seq=1, label="2031年第1批", state="admitted", notice_from=date(2031, 7, 1),
                      notice_to=date(2031, 7, 10), announced_on=date(2031, 7, 31))  # fmt: skip
    session.add(batch)
    await session.flush()
    return batch


async def test_certification_lists_admitted_members_with_numbers(
    session: AsyncSession, tmp_path: Path, batch: TierBatch
) -> None:
    admitted = await make_firm(session, "jinghai")
    gazelle = await make_firm(session, "heping")
    await _member(session, admitted, batch, "admitted", admission_no="TJ-CY-2031-01-0001")
    await _member(session, gazelle, batch, "admitted", tier="gazelle", admission_no="TJ-DL-2031-01-0001")
    await _member(session, await make_firm(session, "jinghai"), batch, "rejected", reason="异议成立")
    await _member(session, await make_firm(session, "jinghai"), batch, "candidate", noticed=False)
    written = await export(session, tmp_path, "certification", ListParams(batch=batch.id))
    header, body = written.table()
    assert header[:5] == ["序号", "入库登记编号", "统一社会信用代码", "企业名称", "梯度"]
    assert [(r[1], r[2], r[4]) for r in body] == [
        ("TJ-CY-2031-01-0001", admitted.uscc, "雏鹰企业"),
        ("TJ-DL-2031-01-0001", gazelle.uscc, "瞪羚企业"),
    ]
    assert body[0][7] is not None  # 公告日期
    assert "2031年第1批" in written.run.manifest["title"]
    only = await export(session, tmp_path, "certification", ListParams(batch=batch.id, tier="gazelle"))
    assert only.run.row_count == 1


async def test_public_notice_keeps_everyone_announced_and_explains_changes(
    session: AsyncSession, tmp_path: Path, batch: TierBatch
) -> None:
    on_notice = await make_firm(session, "jinghai")
    status = await _member(session, on_notice, batch, "public_notice")
    await _member(
        session, await make_firm(session, "jinghai"), batch, "admitted", admission_no="TJ-CY-2031-01-0009"
    )
    await _member(session, await make_firm(session, "jinghai"), batch, "candidate", noticed=False)
    first = await export(session, tmp_path, "public-notice", ListParams(batch=batch.id))
    assert first.run.row_count == 2
    assert {row[6] for row in first.table()[1]} == {"公示中", "已入库"}
    # an objection upheld: still on the list that was published, with its state; nothing removed
    status.state = "rejected"
    session.add(status)
    session.add(TierTransition(tier_status_id=status.id or 0, from_state="public_notice", to_state="rejected",
                               actor_label="test", reason="异议成立：研发费用不实"))  # fmt: skip
    second = await export(session, tmp_path, "public-notice", ListParams(batch=batch.id))
    assert second.run.row_count == 2
    assert "未通过" in {row[6] for row in second.table()[1]}
    assert second.run.diff_summary["counts"] == {"added": 0, "removed": 0, "amount_changed": 0}


async def test_targets_compare_the_registry_with_the_district_targets(
    session: AsyncSession, tmp_path: Path
) -> None:
    year = TODAY.year
    for metric, kind, unit, target in (("hte_total", "stock", "count", 2), ("rd_intensity", "stock", "ratio",
                                       Decimal("0.032"))):  # fmt: skip
        session.add(DistrictTarget(bureau_code="jinghai", year=year, metric=metric, kind=kind, unit=unit,
                                   target=Decimal(target), responsible="区科技局"))  # fmt: skip
    holder = await make_firm(session, "jinghai")
    lapsed = await make_firm(session, "jinghai")
    for firm, expires in ((holder, TODAY + timedelta(days=400)), (lapsed, TODAY - timedelta(days=1))):
        assert firm.id is not None
        session.add(Certificate(firm_id=firm.id, kind="hte", number=f"GR{firm.id:010d}", issued_on=date(2020, 1, 1),
                                expires_on=expires, source="test"))  # fmt: skip
    written = await export(session, tmp_path, "targets", ListParams(year=year, bureau="jinghai"))
    header, body = written.table()
    assert header[:7] == ["序号", "审查单位", "指标", "口径", "目标", "实际", "完成率"]
    rows = {row[2]: row for row in body}
    assert rows["国家高新技术企业（有效证书）"][4:7] == ("2", 1, 0.5)
    assert rows["研发投入强度"][4:6] == ("3.20%", None)
    assert rows["研发投入强度"][8] == "登记库不含此项数据"


async def test_reminders_list_expiring_certificates_missing_filings_and_sme_renewals(
    session: AsyncSession, tmp_path: Path
) -> None:
    expiring, renewed, admitted, sme = [await make_firm(session, "jinghai") for _ in range(4)]
    for firm, kind, number, issued, expires in (
        (expiring, "hte", "GR-EXP", date(2024, 1, 1), TODAY + timedelta(days=30)),
        (renewed, "hte", "GR-OLD", date(2024, 1, 1), TODAY + timedelta(days=20)),
        (renewed, "hte", "GR-NEW", TODAY, TODAY + timedelta(days=3 * 365)),
        (sme, "tech_sme", "2025120118A0001", date(TODAY.year - 1, 5, 1), None),
    ):
        assert firm.id is not None
        session.add(Certificate(firm_id=firm.id, kind=kind, number=number, issued_on=issued, expires_on=expires,
                                source="test"))  # fmt: skip
    assert admitted.id is not None
    session.add(TierStatus(firm_id=admitted.id, tier="seedling", year=TODAY.year - 1, state="admitted",
                           admission_no="TJ-CY-REM-0001", valid_from=date(TODAY.year - 1, 7, 31)))  # fmt: skip
    written = await export(session, tmp_path, "reminders", ListParams(bureau="jinghai", days=90))
    _header, body = written.table()
    subjects = {(row[2], row[4]): row for row in body}
    assert set(subjects) == {
        (expiring.uscc, "高企证书到期"), (admitted.uscc, "年度数据填报"), (sme.uscc, "科小年度登记"),
    }  # fmt: skip
    hte = subjects[(expiring.uscc, "高企证书到期")]
    assert hte[5].date() == TODAY + timedelta(days=30)
    assert "GR-EXP" in hte[6]
    assert "重新认定" in hte[6]
    assert subjects[(admitted.uscc, "年度数据填报")][5].date() == date(TODAY.year, 5, 31)
    short = await export(session, tmp_path, "reminders", ListParams(bureau="jinghai", days=10))
    assert (expiring.uscc, "高企证书到期") not in {(r[2], r[4]) for r in short.table()[1]}
    assert short.run.diff_summary["counts"]["removed"] == 0  # a different window is a different list

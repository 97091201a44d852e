"""区县目标进度 (district targets against the registry) and 提醒 (what firms must renew or file).

Targets: the registry's actuals are the ones the dashboard draws (``backend.targets``); metrics
it cannot measure are listed with their target and no actual. The cut-off is 12-31 of the year,
or today for the current year.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import clock
from backend.lists.built import BuiltList, Row, numbered
from backend.lists.params import ListParams
from backend.lists.repository import ExportRepository, Rows
from backend.targets import service as targets_service
from exports.changes import SnapshotRow
from vocabulary.ladder import TIER_LABELS, CertificateKind
from vocabulary.targets import TARGET_KIND_LABELS, TARGET_METRIC_LABELS

# What a reminder is about: the reminders job counts them by code, the list names them in words.
REMINDER_SUBJECTS = {
    "hte_expiring": "高企证书到期",
    "annual_filing": "年度数据填报",
    "tech_sme": "科小年度登记",
}
ANNUAL_FILING_DUE = (5, 31)  # 年度数据填报: last fiscal year's figures by May 31
# 科小 registers yearly; the 2025 window closed 09-30 (policy.md §4.4, confirmed). The 2026
# window (06-01 – 08-31) is provisional, so the confirmed end date is used for every year.
TECH_SME_DUE = (9, 30)


async def targets(session: AsyncSession, params: ListParams) -> BuiltList:
    assert params.year is not None
    year, repo = params.year, ExportRepository(session)
    cutoff = min(clock.today(), date(year, 12, 31))
    # The same figures the dashboard draws against these targets.
    actuals = await targets_service.target_actuals(session, year, cutoff)
    rows = await repo.targets(year=year, bureau=params.bureau)
    lines = [_target_row(r, actuals) for r in rows]
    return BuiltList(
        title=f"{year}年度区县科技型企业培育目标完成情况",
        rows=numbered(iter(lines)),
        snapshot=[
            SnapshotRow(
                f"{r.bureau_code}/{r.metric}",
                f"{r.bureau_name} {TARGET_METRIC_LABELS.get(r.metric, r.metric)}",
                line["actual"],
            )
            for r, line in zip(rows, lines, strict=True)
        ],
        notes=(f"实际值统计截至 {cutoff.isoformat()}。",),
    )


def _target_row(row: Any, actuals: targets_service.Actuals) -> dict[str, Any]:
    metric, target = row.metric, row.target
    measured = actuals.get(metric)
    actual = measured.get(row.bureau_code, 0) if measured is not None else None
    ratio = float(Decimal(actual) / target) if actual is not None and target else None
    return {
        "bureau_name": row.bureau_name, "metric": TARGET_METRIC_LABELS.get(metric, metric),
        "kind": TARGET_KIND_LABELS.get(row.kind, row.kind), "target": _target_text(target, row.unit),
        "actual": actual, "ratio": ratio, "responsible": row.responsible,
        "note": None if measured is not None else "登记库不含此项数据",
    }  # fmt: skip


def _target_text(target: Decimal, unit: str) -> str:
    if unit == "ratio":
        return f"{target * 100:.2f}%"
    if unit == "yuan":
        return f"{int(target):,}"
    return str(int(target)) if target == int(target) else str(target)


async def reminders(session: AsyncSession, params: ListParams) -> BuiltList:
    repo, today = ExportRepository(session), clock.today()
    lines = [
        *_hte_expiring(await repo.expiring_certificates(
            kind=CertificateKind.hte.value, start=today, end=today + timedelta(days=params.days),
            bureau=params.bureau), today),
        *_annual_filings(await repo.missing_annual_filings(fiscal_year=today.year - 1, bureau=params.bureau),
                         today),
        *_tech_sme(await repo.unrenewed_registrations(
            kind=CertificateKind.tech_sme.value, before_year=today.year, bureau=params.bureau), today),
    ]  # fmt: skip
    lines.sort(key=lambda line: (line["bureau_code"], line["due"], line["uscc"], line["subject"]))
    return BuiltList(
        title=f"科技型企业到期与年报提醒（{today.isoformat()}）",
        rows=numbered(iter(lines)),
        snapshot=[
            SnapshotRow(f"{line['uscc']}/{line['subject']}", f"{line['name']}（{line['subject']}）", None)
            for line in lines
        ],
        notes=(
            f"高企证书：{params.days} 天内到期；年度数据：{today.year - 1} 年度未填报；科小：本年度未重新登记。",
        ),
    )


def _line(row: Any, subject: str, due: date, action: str, today: date) -> dict[str, Any]:
    return {
        "bureau_code": row.bureau_code, "bureau_name": row.bureau_name, "uscc": row.uscc, "name": row.name,
        "subject": subject, "due": due, "action": action, "note": "已逾期" if due < today else None,
    }  # fmt: skip


def _hte_expiring(rows: Rows, today: date) -> Iterator[Row]:
    for row in rows:
        number, expires_on = row.number, row.expires_on
        action = f"高新技术企业证书（编号 {number}）将于 {expires_on} 到期，请在到期前提交重新认定申请"
        yield _line(row, REMINDER_SUBJECTS["hte_expiring"], expires_on, action, today)


def _annual_filings(rows: Rows, today: date) -> Iterator[Row]:
    fiscal_year = today.year - 1
    due = date(today.year, *ANNUAL_FILING_DUE)
    for row in rows:
        tiers = "、".join(TIER_LABELS.get(t, t) for t in row.tiers)
        action = f"作为{tiers}，请于 {due} 前填报 {fiscal_year} 年度数据（年度复评依据）"
        yield _line(row, REMINDER_SUBJECTS["annual_filing"], due, action, today)


def _tech_sme(rows: Rows, today: date) -> Iterator[Row]:
    due = date(today.year, *TECH_SME_DUE)
    for row in rows:
        number, issued_on = row.number, row.issued_on
        action = (
            f"科技型中小企业入库登记编号（{number}，{issued_on.year} 年登记）须每年重新评价登记，"
            f"请于 {due} 前完成 {today.year} 年度登记"
        )
        yield _line(row, REMINDER_SUBJECTS["tech_sme"], due, action, today)

"""What a parsed filing workbook would change in the registry, and what it must not.

Pure: given the parsed rows and the registry rows they touch (read by the service), decide per
row — new firm, rename, new filing revision, unchanged — and raise the issues only the registry
can see: another bureau's firm, a new firm without its registration data, figures that conflict
with another bureau's import, a merged filing breaking a cross-field rule, and cross-checks
against the business-registration and IP registers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from backend.imports.repository import FIGURES
from importers.filings import FilingRow, FirmRow, ImportResult, Issue
from vocabulary.figures import label_of


@dataclass(frozen=True)
class BureauInfo:
    code: str
    name: str
    district_code: str
    zones: frozenset[str]  # functional zones this bureau reviews


@dataclass
class NewRevision:
    row: int
    uscc: str
    fiscal_year: int
    filing_id: int | None  # None: a new filing
    revision_no: int
    figures: dict[str, Any]  # the whole merged filing


@dataclass
class Plan:
    issues: list[Issue] = field(default_factory=list)
    new_firms: list[FirmRow] = field(default_factory=list)
    renames: list[tuple[int, str, FirmRow]] = field(default_factory=list)  # firm id, old name, row
    revisions: list[NewRevision] = field(default_factory=list)
    unchanged: int = 0
    blocked_rows: set[int] = field(default_factory=set)
    firm_ids: dict[str, int] = field(default_factory=dict)  # credit code -> id, of firms already registered

    def counts(self, result: ImportResult) -> dict[str, int]:
        issues = [*result.issues, *self.issues]
        return {
            "rows_read": result.rows_read,
            "rows_skipped": result.rows_skipped,
            "errors": sum(1 for i in issues if i.severity == "error"),
            "warnings": sum(1 for i in issues if i.severity == "warning"),
            "error_rows": len(self.blocked_rows),
            "new_firms": len(self.new_firms),
            "renamed_firms": len(self.renames),
            "new_filings": sum(1 for r in self.revisions if r.filing_id is None),
            "new_revisions": len(self.revisions),
            "unchanged": self.unchanged,
        }


def _issue(result: ImportResult, row: int, message: str, *, severity: str = "error", header: str | None = None,
           value: Any = None, field_name: str | None = None) -> Issue:  # fmt: skip
    """An issue on the row's cell of ``field_name`` (its column letter, so the workbook can mark it)."""
    column = next((c for c in result.columns if field_name and c.field == field_name), None)
    return Issue(severity, result.sheet, row, column.letter if column else None, column.header if column else header,
                 None if value is None else str(value), message, field_name)  # fmt: skip


def plan_filings(
    result: ImportResult,
    bureau: BureauInfo,
    bureau_names: dict[str, str],
    firms: pd.DataFrame,
    current: pd.DataFrame,
    ip_counts: pd.DataFrame,
    registrations: pd.DataFrame,
) -> Plan:
    plan = Plan(blocked_rows=set(result.error_rows()))
    existing = {r.uscc: r for r in firms.itertuples(index=False)}
    plan.firm_ids = {code: int(firm.firm_id) for code, firm in existing.items()}
    _plan_firms(plan, result, bureau, bureau_names, existing, registrations)
    by_key = {(int(r.firm_id), int(r.fiscal_year)): r for r in current.itertuples(index=False)}
    ip = {(r.uscc, int(r.fiscal_year)): (int(r.ip1), int(r.ip2)) for r in ip_counts.itertuples(index=False)}
    for row in result.rows:
        if row.row in plan.blocked_rows:
            continue
        firm = existing.get(row.uscc)
        previous = by_key.get((int(firm.firm_id), row.fiscal_year)) if firm is not None else None
        _plan_filing(plan, result, bureau, bureau_names, row, previous)
        if (row.uscc, row.fiscal_year) in ip:
            _cross_check_ip(plan, result, row, ip[(row.uscc, row.fiscal_year)])
    # A row with any error is imported not at all: drop what its other cells planned.
    plan.new_firms = [f for f in plan.new_firms if f.row not in plan.blocked_rows]
    plan.renames = [r for r in plan.renames if r[2].row not in plan.blocked_rows]
    plan.revisions = [r for r in plan.revisions if r.row not in plan.blocked_rows]
    return plan


def _plan_firms(
    plan: Plan,
    result: ImportResult,
    bureau: BureauInfo,
    bureau_names: dict[str, str],
    existing: dict[str, Any],
    registrations: pd.DataFrame,
) -> None:
    registered = {r.uscc: r for r in registrations.itertuples(index=False)}
    planned: set[str] = set()
    for firm in result.firms:
        if firm.row in plan.blocked_rows:
            continue
        problem = _firm_problem(firm, bureau, bureau_names, existing.get(firm.uscc))
        if problem is not None:
            plan.issues.append(
                _issue(result, firm.row, problem, header=label_of("uscc"), value=firm.uscc, field_name="uscc")
            )
            plan.blocked_rows.add(firm.row)
            continue
        current = existing.get(firm.uscc)
        name = firm.identity.get("name")
        if current is None and firm.uscc not in planned:
            plan.new_firms.append(firm)
            planned.add(firm.uscc)
        elif current is not None and name and name != current.name and firm.uscc not in planned:
            plan.renames.append((int(current.firm_id), str(current.name), firm))
            planned.add(firm.uscc)
            plan.issues.append(_issue(result, firm.row, f"企业名称将由“{current.name}”更新为“{name}”", severity="warning",
                                      header=label_of("name"), value=name, field_name="name"))  # fmt: skip
        _cross_check_registration(plan, result, firm, current, registered.get(firm.uscc))


def _firm_problem(
    firm: FirmRow, bureau: BureauInfo, bureau_names: dict[str, str], current: Any
) -> str | None:
    named = firm.identity.get("bureau")
    if named is not None and named != bureau.code:
        return f"表中审查单位为“{bureau_names.get(named, named)}”，与导入单位“{bureau.name}”不一致"
    if current is not None and current.bureau_code != bureau.code:
        # Which bureau it belongs to is not this bureau's business: a probe must learn nothing.
        return (
            f"该企业不在{bureau.name}的审查范围内，本行未导入；企业如已迁入本辖区，请联系市科技局变更审查单位"
        )
    if current is None:
        missing = [
            label
            for key, label in ((key, label_of(key)) for key in ("name", "registered_on"))
            if not firm.identity.get(key)
        ]
        if missing:
            return f"登记库中没有该企业：新企业须填写{'和'.join(missing)}"
        zone = firm.identity.get("zone")
        if zone is not None and zone not in bureau.zones:
            return f"功能区“{zone}”的企业不由{bureau.name}审查"
        district = firm.identity.get("district")
        if district is not None and district != bureau.district_code:
            return f"所属区与审查单位{bureau.name}不一致"
    return None


def _cross_check_registration(
    plan: Plan, result: ImportResult, firm: FirmRow, current: Any, record: Any
) -> None:
    registered_on = firm.identity.get("registered_on")
    if (
        current is not None
        and registered_on
        and current.registered_on
        and registered_on != current.registered_on
    ):
        plan.issues.append(_issue(result, firm.row, f"注册日期与登记库不一致（登记库：{current.registered_on}），未修改",
                                  severity="warning", header=label_of("registered_on"), value=registered_on, field_name="registered_on"))  # fmt: skip
    if record is None:
        return
    if registered_on and record.registered_on and registered_on != record.registered_on:
        plan.issues.append(_issue(result, firm.row, f"与企业登记信息库的成立日期（{record.registered_on}）不一致",
                                  severity="warning", header=label_of("registered_on"), value=registered_on, field_name="registered_on"))  # fmt: skip
    for flag, label in (
        ("abnormal_operation", "经营异常名录"),
        ("serious_violation", "严重违法失信企业名单"),
    ):
        if getattr(record, flag) is True:
            plan.issues.append(_issue(result, firm.row, f"企业登记信息库显示该企业列入{label}", severity="warning",
                                      header=label, field_name=flag))  # fmt: skip


def _plan_filing(
    plan: Plan,
    result: ImportResult,
    bureau: BureauInfo,
    bureau_names: dict[str, str],
    row: FilingRow,
    previous: Any,
) -> None:
    before = (
        {name: _plain(getattr(previous, name)) for name in FIGURES}
        if previous is not None
        else dict.fromkeys(FIGURES)
    )
    merged = before | row.figures
    problem = _merged_problem(merged)
    if problem:
        plan.issues.append(_issue(result, row.row, problem))
        plan.blocked_rows.add(row.row)
        return
    changed = [name for name, value in row.figures.items() if before.get(name) != value]
    if previous is not None and not changed:
        plan.unchanged += 1
        return
    other = previous.imported_by if previous is not None else None
    if previous is not None and isinstance(other, str) and other != bureau.code:
        fields = "、".join(label_of(name) for name in changed[:3])
        message = (f"与{bureau_names.get(other, other)}导入的 {row.fiscal_year} 年度数据不一致（{fields}）：请与该局核实，"
                   "本行未导入")  # fmt: skip
        plan.issues.append(_issue(result, row.row, message, value=row.uscc, field_name=changed[0]))
        plan.blocked_rows.add(row.row)
        return
    filing_id = int(previous.filing_id) if previous is not None else None
    revision = int(previous.revision_no) + 1 if previous is not None else 1
    plan.revisions.append(NewRevision(row.row, row.uscc, row.fiscal_year, filing_id, revision, merged))


def _merged_problem(figures: dict[str, Any]) -> str | None:
    staff, employees = figures.get("tech_staff"), figures.get("employees")
    if staff is not None and employees is not None and staff > employees:
        return f"合并登记库已有数据后，科技人员数（{staff}）超过职工总数（{employees}）"
    domestic, total = figures.get("rd_domestic_yuan"), figures.get("rd_expense_yuan")
    if domestic is not None and total is not None and domestic > total:
        return "合并登记库已有数据后，境内研发费用超过研发费用总额"
    return None


def _cross_check_ip(plan: Plan, result: ImportResult, row: FilingRow, counts: tuple[int, int]) -> None:
    for name, registered in zip(("ip_class1", "ip_class2"), counts, strict=True):
        declared = row.figures.get(name)
        if declared is not None and declared != registered:
            label = label_of(name)
            plan.issues.append(_issue(result, row.row, f"申报{label} {declared} 项，知识产权库中 {row.fiscal_year} 年末有效 {registered} 项",
                                      severity="warning", header=label, value=declared, field_name=name))  # fmt: skip


def _plain(value: Any) -> Any:
    """Registry values as the parser produces them (ints, bools, text; None for missing)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool | str | date):
        return value
    if isinstance(value, int | float):
        return int(value)
    return value

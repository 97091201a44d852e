"""One firm's registry records and the facts rules read, in plain Python: the status path.

``derive`` (rules/derive.py) builds the facts of a whole registry as pandas columns; deciding one
firm that way costs about half a second of frame overhead. ``derive_firm`` computes the same facts
for one firm with floats, booleans, dates and strings: what the single-firm evaluator reads. The two
are held identical by a property test (tests/rules/test_one_firm_parity.py) over generated firms:
every fact, every program, every trace.

Each helper below mirrors one in rules/derive.py, in the same order; the rules of arithmetic are
the same IEEE doubles, and the few numpy calls left (cube root, rounding) are the frames' own.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from rules.derive import (
    ADMITTED_STATES,
    AWARD_RECEIVED_STATES,
    FIRM_COLUMNS,
    INTEGRITY_FIELDS,
    IP_FIELDS,
    RawInputs,
)
from rules.facts import CERT_KINDS, FILING_FIELDS, FILING_YEARS, TIERS, FactSchema
from rules.scalar import _arith as scalar_arith
from rules.scalar import normalise

Row = Mapping[str, Any]


@dataclass
class FirmRecords:
    """The registry records of one firm, as ``RawInputs`` holds them for many (plain rows, no frames)."""

    firm: Row  # registered_on, uscc, bureau, district, zone, tech_field
    filings: Sequence[Row] = ()  # fiscal_year and the filing figures
    certificates: Sequence[Row] = ()  # kind, issued_on, expires_on, status
    tiers: Sequence[Row] = ()  # tier, year, state, valid_from, valid_to
    awards: Sequence[Row] = ()  # program, year, amount_yuan, state
    inputs: Row | None = None  # input.* facts of an application
    business: Sequence[Row] = field(default=(), kw_only=True)  # abnormal_operation, serious_violation
    ip: Sequence[Row] = field(default=(), kw_only=True)  # fiscal_year, ip1, ip2


def derive_firm(
    records: FirmRecords, *, year: int, as_of: date, schema: FactSchema, needed: Iterable[str] | None = None
) -> dict[str, Any]:
    """Facts of ``schema`` (all, or the ``needed`` ones) for one firm, as the evaluator reads them."""
    wanted = set(needed) if needed is not None else set(schema.facts)
    found: dict[str, Any] = {}
    found.update(_firm_facts(records.firm))
    found.update(_filing_facts(records.filings, year))
    found.update(_register_facts(found, records.business, records.ip, year))
    if any(name.startswith("window.") for name in wanted):
        found.update(_window_facts(found, year))
    found.update(_cert_facts(records.certificates, as_of))
    found.update(_tier_facts(records.tiers, year, as_of))
    found.update(_award_facts(records.awards, year, schema))
    found.update(_input_facts(records.inputs, schema))
    return {
        name: _typed(found.get(name), spec.type)
        for name, spec in schema.facts.items()
        if name in wanted and not name.startswith(("result.", "award."))
    }


# ---- values as the frames' dtypes make them -------------------------------------------------


def _missing(value: Any) -> bool:
    return normalise(value, "any") is None


def _number(value: Any) -> float | None:
    """``pd.to_numeric(errors="coerce")`` of one value."""
    if _missing(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _day(value: Any) -> date | None:
    """``pd.to_datetime(errors="coerce")`` of one value, as a date."""
    if _missing(value):
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return None if pd.isna(stamp) else stamp.date()


def _flag(value: Any) -> bool | None:
    return None if _missing(value) else bool(value)


def _typed(value: Any, kind: str) -> Any:
    """What ``typed_column`` then ``normalise`` make of a value of a fact of ``kind``."""
    if kind == "number":
        return _number(value)
    if kind == "date":
        return _day(value)
    if kind == "bool":
        return _flag(value)
    return None if _missing(value) else str(value)


def _or(left: bool | None, right: bool | None) -> bool | None:
    """Kleene's or."""
    if left is True or right is True:
        return True
    return None if left is None or right is None else False


# ---- arithmetic of nullable floats ------------------------------------------------------------


def _add(left: float | None, right: float | None) -> float | None:
    return None if left is None or right is None else left + right


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return scalar_arith("/", numerator, denominator)  # unknown over zero, as the rules divide


def _minus_one(value: float | None) -> float | None:
    return None if value is None else value - 1


def _settle(value: float | None) -> float | None:
    # As rules/derive.py: ratios of sums, roots and averages are rounded so an exact policy
    # threshold is met exactly; numpy's own rounding, so both paths round alike.
    if value is None or math.isnan(value):
        return None
    return float(np.round(np.float64(value), 12))


# ---- the facts, helper by helper as in rules/derive.py ----------------------------------------


def _firm_facts(firm: Row) -> dict[str, Any]:
    uscc = firm.get("uscc")
    return {
        "firm.registered_on": _day(firm.get("registered_on")),
        "firm.is_enterprise": None if _missing(uscc) else str(uscc).startswith("91"),
        "firm.bureau": firm.get("bureau"),
        "firm.district": firm.get("district"),
        "firm.zone": firm.get("zone"),
        "firm.tech_field": firm.get("tech_field"),
    }


def _filing_facts(filings: Sequence[Row], year: int) -> dict[str, Any]:
    found: dict[str, Any] = {}
    names = [f.name for f in FILING_FIELDS]
    for offset, prefix in enumerate(FILING_YEARS):
        rows = [row for row in filings if _number(row.get("fiscal_year")) == year - 1 - offset]
        last = rows[-1] if rows else {}
        found[f"{prefix}.filed"] = bool(rows)
        for name in names:
            found[f"{prefix}.{name}"] = last.get(name)
    return found


def _register_facts(
    filed: Mapping[str, Any], business: Sequence[Row], ip: Sequence[Row], year: int
) -> dict[str, Any]:
    """Declared figures corrected by the linked registers (fail closed), as in rules/derive.py."""
    found: dict[str, Any] = {}
    if business:
        listed = business[-1]
        for name in INTEGRITY_FIELDS:
            declared, registered = _flag(filed[f"filing.{name}"]), _flag(listed.get(name))
            found[f"filing.{name}"] = _or(
                declared if declared is not None else registered,
                registered if registered is not None else False,
            )
    for offset, prefix in enumerate(FILING_YEARS):
        rows = [row for row in ip if _number(row.get("fiscal_year")) == year - 1 - offset]
        if not rows:
            continue
        for fact, count in IP_FIELDS:
            claimed, counted = _number(filed[f"{prefix}.{fact}"]), _number(rows[-1].get(count))
            if counted is None:
                found[f"{prefix}.{fact}"] = claimed
            else:
                found[f"{prefix}.{fact}"] = counted if claimed is None else min(claimed, counted)
    return found


def _window_facts(facts: Mapping[str, Any], year: int) -> dict[str, Any]:
    registered_on = facts["firm.registered_on"]
    # A fiscal year counts if the firm existed in it ("actual years if fewer").
    in_window = [registered_on is not None and year - 1 - k >= registered_on.year for k in range(4)]

    def numbers(name: str) -> list[float | None]:
        return [_number(facts[f"{prefix}.{name}"]) for prefix in FILING_YEARS]

    def window_sum(values: list[float | None], years: int) -> float | None:
        total: float | None = 0.0
        for k in range(years):
            total = _add(total, values[k] if in_window[k] else 0.0)
        return total

    years_3y = float(sum(in_window[:3])) or None
    revenue, rd, employees = numbers("revenue_yuan"), numbers("rd_expense_yuan"), numbers("employees")
    revenue_3y, rd_3y = window_sum(revenue, 3), window_sum(rd, 3)
    counted = float(sum(in_window))
    ratio_sum: float | None = 0.0
    for k in range(4):
        ratio_sum = _add(ratio_sum, _ratio(rd[k], revenue[k]) if in_window[k] else 0.0)
    windowed = years_3y is not None
    found = {
        "window.years_3y": years_3y,
        "window.revenue_sum_3y": revenue_3y if windowed else None,
        "window.rd_sum_3y": rd_3y if windowed else None,
        "window.rd_ratio_3y": _ratio(rd_3y, revenue_3y) if windowed else None,
        "window.rd_domestic_share_3y": _ratio(window_sum(numbers("rd_domestic_yuan"), 3), rd_3y),
        "window.rd_ratio_avg_4y": _ratio(ratio_sum, counted),
        "window.revenue_growth_1y": _minus_one(_ratio(revenue[0], revenue[1])),
        "window.revenue_first_3y": revenue[3],
        "window.revenue_cagr_3y": _cagr(revenue[0], revenue[3]),
        "window.employees_first_3y": employees[3],
        "window.employees_cagr_3y": _cagr(employees[0], employees[3]),
        "window.hte_sales_growth": _hte_growth(revenue[:3], in_window),
        "window.hte_net_assets_growth": _hte_growth(numbers("net_assets_yuan")[:3], in_window),
        "window.tech_transformations_avg_3y": _ratio(
            window_sum(numbers("tech_transformations"), 3), years_3y
        ),
    }
    return {name: _settle(value) for name, value in found.items()}


def _cagr(last: float | None, first: float | None) -> float | None:
    ratio = _ratio(last, first)
    if ratio is None or (first is not None and first <= 0) or (last is not None and last < 0):
        return None
    return float(np.cbrt(np.float64(ratio))) - 1


def _hte_growth(values: list[float | None], in_window: list[bool]) -> float | None:
    """工作指引: ½(Y2/Y1 + Y3/Y2) − 1; Y1 = 0 → Y3/Y2 − 1; Y2 = 0 → 0 (no points)."""
    y3 = values[0]
    y2 = values[1] if in_window[1] else 0.0
    y1 = values[2] if in_window[2] else 0.0
    if y2 == 0:
        return 0.0
    step = _ratio(y3, y2)
    if y1 == 0:
        return _minus_one(step)
    both = _add(_ratio(y2, y1), step)
    return None if both is None else both / 2 - 1


def _cert_facts(certificates: Sequence[Row], as_of: date) -> dict[str, Any]:
    issued = [(row, _day(row.get("issued_on"))) for row in certificates]
    held = [(row, day) for row, day in issued if day is not None and day <= as_of]
    found: dict[str, Any] = {}
    for kind in CERT_KINDS:
        rows = [(row, day) for row, day in held if row.get("kind") == kind]
        days = [day for _, day in rows]
        found[f"cert.{kind}.valid"] = any(
            row.get("status") != "revoked" and _still_valid(row.get("expires_on"), as_of) for row, _ in rows
        )
        found[f"cert.{kind}.ever"] = bool(rows)
        found[f"cert.{kind}.count"] = float(len(rows))
        found[f"cert.{kind}.first_issued_on"] = min(days, default=None)
        found[f"cert.{kind}.latest_issued_on"] = max(days, default=None)
    return found


def _still_valid(end: Any, day: date) -> bool:
    until = _day(end)
    return until is None or until >= day


def _tier_facts(tiers: Sequence[Row], year: int, as_of: date) -> dict[str, Any]:
    rows = [
        row
        for row in tiers
        if row.get("state") in ADMITTED_STATES
        and (start := _day(row.get("valid_from"))) is not None
        and start <= as_of
    ]
    found: dict[str, Any] = {}
    for tier in TIERS:
        mine = [row for row in rows if row.get("tier") == tier]
        found[f"history.{tier}.held"] = any(
            row.get("state") == "admitted" and _still_valid(row.get("valid_to"), as_of) for row in mine
        )
        found[f"history.{tier}.ever"] = bool(mine)
        years = [number for row in mine if (number := _number(row.get("year"))) is not None]
        found[f"history.{tier}.first_year"] = min(years, default=None)
        found[f"history.{tier}.admitted_this_year"] = any(_number(row.get("year")) == year for row in mine)
    return found


def _award_facts(awards: Sequence[Row], year: int, schema: FactSchema) -> dict[str, Any]:
    received = [
        row
        for row in awards
        if row.get("state") in AWARD_RECEIVED_STATES
        and (given := _number(row.get("year"))) is not None
        and given < year
    ]
    found: dict[str, Any] = {}
    for name in schema.facts:
        if name.startswith("history.award.") and name.endswith(".received"):
            program = name.split(".")[2]
            mine = [row for row in received if row.get("program") == program]
            found[name] = bool(mine)
            amounts = [amount for row in mine if (amount := _number(row.get("amount_yuan"))) is not None]
            found[f"history.award.{program}.total_yuan"] = float(sum(amounts))
    return found


def _input_facts(inputs: Row | None, schema: FactSchema) -> dict[str, Any]:
    return {name: (inputs or {}).get(name) for name in schema.facts if name.startswith("input.")}


# ---- between the two shapes -------------------------------------------------------------------


def records_of(raw: RawInputs, firm_id: int) -> FirmRecords:
    """One firm's records out of ``raw`` (a facts document, a what-if on frames)."""

    def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
        mine = frame[frame["firm_id"] == firm_id].drop(columns="firm_id")
        return [{k: None if _missing(v) else v for k, v in row.items()} for row in mine.to_dict("records")]

    firm = {k: None if _missing(v) else v for k, v in raw.firms.loc[firm_id].to_dict().items()}
    inputs = None
    if raw.inputs is not None and firm_id in raw.inputs.index:
        inputs = {k: None if _missing(v) else v for k, v in raw.inputs.loc[firm_id].to_dict().items()}
    return FirmRecords(
        firm, rows(raw.filings), rows(raw.certificates), rows(raw.tiers), rows(raw.awards), inputs,
        business=rows(raw.business), ip=rows(raw.ip),
    )  # fmt: skip


def raw_of(records: FirmRecords, firm_id: int = 1) -> RawInputs:
    """The same records as frames, for the registry's path (the baseline and the parity test)."""

    def frame(rows: Sequence[Row], columns: tuple[str, ...]) -> pd.DataFrame:
        listed = [{"firm_id": firm_id, **row} for row in rows]
        names = ["firm_id", *columns]
        extra = sorted({k for row in listed for k in row} - set(names))
        return pd.DataFrame.from_records(
            [tuple(row.get(c) for c in names + extra) for row in listed], columns=names + extra
        )

    firms = pd.DataFrame.from_records(
        [tuple(records.firm.get(c) for c in FIRM_COLUMNS)], columns=list(FIRM_COLUMNS), index=[firm_id]
    )
    inputs = None
    if records.inputs is not None:
        inputs = pd.DataFrame([dict(records.inputs)], index=pd.Index([firm_id]))
    return RawInputs(
        firms=firms,
        filings=frame(records.filings, ("fiscal_year",)),
        certificates=frame(records.certificates, ("kind", "issued_on", "expires_on", "status")),
        tiers=frame(records.tiers, ("tier", "year", "state", "valid_from", "valid_to")),
        awards=frame(records.awards, ("program", "year", "amount_yuan", "state")),
        inputs=inputs,
        business=frame(records.business, ("abnormal_operation", "serious_violation")),
        ip=frame(records.ip, ("fiscal_year", "ip1", "ip2")),
    )

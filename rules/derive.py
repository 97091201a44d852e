"""From a registry's raw records to the flat facts rules read, for one year and as-of date.

One implementation serves both evaluators: the single-firm path runs it on a one-row input.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from rules.facts import CERT_KINDS, FILING_FIELDS, FILING_YEARS, TIERS, FactSchema
from rules.vectorized import typed_column

ADMITTED_STATES = ("admitted", "revoked", "expired")  # states a firm only reaches after admission
AWARD_RECEIVED_STATES = ("approved", "exported", "paid")
FIRM_COLUMNS = ("registered_on", "uscc", "bureau", "district", "zone", "tech_field")
INTEGRITY_FIELDS = ("abnormal_operation", "serious_violation")  # filing facts the business register overrides
IP_FIELDS = (("ip_class1", "ip1"), ("ip_class2", "ip2"))  # filing fact, column of the IP register frame


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


@dataclass
class RawInputs:
    """Registry records for a set of firms. ``firms`` is indexed by firm id."""

    firms: pd.DataFrame
    filings: pd.DataFrame = field(default_factory=lambda: _empty(("firm_id", "fiscal_year")))
    certificates: pd.DataFrame = field(
        default_factory=lambda: _empty(("firm_id", "kind", "issued_on", "expires_on", "status"))
    )
    tiers: pd.DataFrame = field(
        default_factory=lambda: _empty(("firm_id", "tier", "year", "state", "valid_from", "valid_to"))
    )
    awards: pd.DataFrame = field(
        default_factory=lambda: _empty(("firm_id", "program", "year", "amount_yuan", "state"))
    )
    inputs: pd.DataFrame | None = None  # index firm id, columns input.*
    # The linked registers (keyword only, so that a positional copy cannot shift them into other fields).
    # ``business``: the business-registration register's current state, one row per listed firm.
    business: pd.DataFrame = field(
        default_factory=lambda: _empty(("firm_id", "abnormal_operation", "serious_violation")), kw_only=True
    )
    # ``ip``: class I / II records valid on 31 Dec of each fiscal year, one row per (firm, fiscal year)
    # for every firm the IP register covers (0, 0 when none is valid that year).
    ip: pd.DataFrame = field(
        default_factory=lambda: _empty(("firm_id", "fiscal_year", "ip1", "ip2")), kw_only=True
    )


def derive(
    raw: RawInputs, *, year: int, as_of: date, schema: FactSchema, needed: Iterable[str] | None = None
) -> pd.DataFrame:
    """Facts of ``schema`` (all, or the ``needed`` ones) as typed columns, one row per firm.

    Same-run results (``result.*``, ``award.*``) are not facts of the registry: the run adds them.
    """
    index = raw.firms.index
    wanted = set(needed) if needed is not None else set(schema.facts)
    columns: dict[str, Any] = {}
    columns.update(_firm_facts(raw.firms))
    columns.update(_filing_facts(raw.filings, index, year))
    columns.update(_register_facts(columns, raw.business, raw.ip, index, year))
    frame = pd.DataFrame(columns, index=index)
    if any(name.startswith("window.") for name in wanted):
        frame = pd.concat([frame, _window_facts(frame, year)], axis=1)
    extra = {**_cert_facts(raw.certificates, index, as_of), **_tier_facts(raw.tiers, index, year, as_of)}
    extra.update(_award_facts(raw.awards, index, year, schema))
    extra.update(_input_facts(raw.inputs, index, schema))
    frame = pd.concat([frame, pd.DataFrame(extra, index=index)], axis=1)
    return _typed(frame, schema, wanted)


def _typed(frame: pd.DataFrame, schema: FactSchema, wanted: set[str]) -> pd.DataFrame:
    typed = {}
    for name, spec in schema.facts.items():
        if name.startswith(("result.", "award.")) or name not in wanted:
            continue
        values = frame[name] if name in frame else pd.Series(pd.NA, index=frame.index, dtype="object")
        typed[name] = typed_column(values, spec.type, frame.index)
    return pd.DataFrame(typed, index=frame.index)


def _firm_facts(firms: pd.DataFrame) -> dict[str, Any]:
    uscc = firms.get("uscc", pd.Series(pd.NA, index=firms.index, dtype="object")).astype("string")
    return {
        "firm.registered_on": pd.to_datetime(firms["registered_on"], errors="coerce"),
        "firm.is_enterprise": uscc.str.startswith("91"),
        "firm.bureau": firms.get("bureau"),
        "firm.district": firms.get("district"),
        "firm.zone": firms.get("zone"),
        "firm.tech_field": firms.get("tech_field"),
    }


def _filing_facts(filings: pd.DataFrame, index: pd.Index, year: int) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    names = [f.name for f in FILING_FIELDS]
    for offset, prefix in enumerate(FILING_YEARS):
        rows = filings[filings["fiscal_year"] == year - 1 - offset].set_index("firm_id")
        rows = rows[~rows.index.duplicated(keep="last")].reindex(index)
        columns[f"{prefix}.filed"] = pd.Series(
            index.isin(filings.loc[filings["fiscal_year"] == year - 1 - offset, "firm_id"]), index=index
        )
        for name in names:
            columns[f"{prefix}.{name}"] = (
                rows[name] if name in rows else pd.Series(pd.NA, index=index, dtype="object")
            )
    return columns


def _register_facts(
    filed: dict[str, Any], business: pd.DataFrame, ip: pd.DataFrame, index: pd.Index, year: int
) -> dict[str, Any]:
    """Declared figures corrected by the linked registers (fail closed); ``filed`` is not modified."""
    columns: dict[str, Any] = {}
    if len(business):
        listed = business.set_index("firm_id")
        listed = listed[~listed.index.duplicated(keep="last")].reindex(index)
        for name in INTEGRITY_FIELDS:
            # The register is current state, so it speaks for the measured year only. Listed → True
            # whatever was declared; a missing declaration takes the register's value (False or
            # unknown); otherwise the declaration stands. Unknown only when neither source knows.
            declared = pd.Series(filed[f"filing.{name}"], index=index).astype("boolean")
            registered = listed[name].astype("boolean")
            columns[f"filing.{name}"] = declared.fillna(registered) | registered.fillna(False)
    if len(ip):
        years = pd.to_numeric(ip["fiscal_year"]).to_numpy()
        for offset, prefix in enumerate(FILING_YEARS):
            rows = ip[years == year - 1 - offset].set_index("firm_id")
            if not len(rows):
                continue
            rows = rows[~rows.index.duplicated(keep="last")]
            at = rows.index.get_indexer(index)  # the firm's row, -1 where the register has none that year
            for fact, count in IP_FIELDS:
                # The IP register is the authority on valid IP: a declaration above its count is
                # capped to it (fail closed), a missing declaration is filled from it (fmin skips
                # NaN), a lower one stands: min(declared, registered). Firms it does not cover that
                # year (no row: NaN here) keep their declaration.
                declared = _floats(filed[f"{prefix}.{fact}"])
                registered = np.where(at >= 0, _floats(rows[count])[at], np.nan)
                capped = np.where(np.isnan(registered), declared, np.fmin(declared, registered))
                columns[f"{prefix}.{fact}"] = pd.Series(capped, index=index).astype("Float64")
    return columns


def _floats(values: pd.Series) -> np.ndarray:
    numbers: np.ndarray = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return numbers


def _numbers(frame: pd.DataFrame, prefix: str, name: str) -> pd.Series:
    return pd.to_numeric(frame[f"{prefix}.{name}"], errors="coerce").astype("Float64")


def _window_sum(frame: pd.DataFrame, name: str, years: int, in_window: list[pd.Series]) -> pd.Series:
    """Sum over the window's years the firm existed in; unknown if one of those years is missing."""
    total = pd.Series(0.0, index=frame.index, dtype="Float64")
    for offset in range(years):
        value = _numbers(frame, FILING_YEARS[offset], name)
        total = total + value.where(in_window[offset], 0.0)
    return total


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    result = numerator / denominator
    result[(denominator == 0).fillna(False)] = pd.NA
    result[np.isinf(result.to_numpy(dtype=float, na_value=np.nan))] = pd.NA
    return result.astype("Float64")


def _window_facts(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    registered = pd.to_datetime(frame["firm.registered_on"], errors="coerce").dt.year
    # A fiscal year counts if the firm existed in it ("actual years if fewer", 高企 and 瞪羚 windows).
    in_window = [((year - 1 - offset) >= registered).fillna(False) for offset in range(4)]
    years_3y = sum(w.astype(int) for w in in_window[:3]).astype("Float64")
    years_3y[years_3y == 0] = pd.NA
    revenue = [_numbers(frame, p, "revenue_yuan") for p in FILING_YEARS]
    rd = [_numbers(frame, p, "rd_expense_yuan") for p in FILING_YEARS]
    revenue_3y = _window_sum(frame, "revenue_yuan", 3, in_window)
    rd_3y = _window_sum(frame, "rd_expense_yuan", 3, in_window)
    ratios = [_ratio(rd[k], revenue[k]) for k in range(4)]
    counted = sum(w.astype(int) for w in in_window).astype("Float64")
    ratio_sum = sum(ratios[k].where(in_window[k], 0.0) for k in range(4))
    employees = [_numbers(frame, p, "employees") for p in FILING_YEARS]
    facts = {
        "window.years_3y": years_3y,
        "window.revenue_sum_3y": revenue_3y.where(years_3y.notna()),
        "window.rd_sum_3y": rd_3y.where(years_3y.notna()),
        "window.rd_ratio_3y": _ratio(rd_3y, revenue_3y).where(years_3y.notna()),
        "window.rd_domestic_share_3y": _ratio(_window_sum(frame, "rd_domestic_yuan", 3, in_window), rd_3y),
        "window.rd_ratio_avg_4y": _ratio(ratio_sum, counted).astype("Float64"),
        "window.revenue_growth_1y": _ratio(revenue[0], revenue[1]) - 1,
        "window.revenue_first_3y": revenue[3],
        "window.revenue_cagr_3y": _cagr(revenue[0], revenue[3]),
        "window.employees_first_3y": employees[3],
        "window.employees_cagr_3y": _cagr(employees[0], employees[3]),
        "window.hte_sales_growth": _hte_growth(revenue[:3], in_window),
        "window.hte_net_assets_growth": _hte_growth(
            [_numbers(frame, p, "net_assets_yuan") for p in FILING_YEARS[:3]], in_window
        ),
        "window.tech_transformations_avg_3y": _ratio(
            _window_sum(frame, "tech_transformations", 3, in_window), years_3y
        ),
    }
    # Ratios of sums, roots and averages carry float noise (a 20% CAGR computes as 0.19999999999999996):
    # round them so an exact threshold in a policy text is met exactly.
    return pd.DataFrame({name: _settle(value) for name, value in facts.items()}, index=frame.index)


def _settle(values: pd.Series) -> pd.Series:
    return values.astype("Float64").round(12)


def _cagr(last: pd.Series, first: pd.Series) -> pd.Series:
    ratio = _ratio(last, first)
    ratio[(first <= 0).fillna(False) | (last < 0).fillna(False)] = pd.NA
    values = ratio.to_numpy(dtype=float, na_value=np.nan)
    return pd.Series(np.cbrt(values) - 1, index=last.index, dtype="Float64")


def _hte_growth(values: list[pd.Series], in_window: list[pd.Series]) -> pd.Series:
    """工作指引: ½(Y2/Y1 + Y3/Y2) − 1; Y1 = 0 → Y3/Y2 − 1; Y2 = 0 → 0 (no points)."""
    y3, y2, y1 = values[0], values[1].where(in_window[1], 0.0), values[2].where(in_window[2], 0.0)
    two_year = _ratio(y3, y2) - 1
    three_year = (_ratio(y2, y1) + _ratio(y3, y2)) / 2 - 1
    result = three_year.where(~(y1 == 0).fillna(False), two_year)
    return result.where(~(y2 == 0).fillna(False), 0.0).astype("Float64")


def _cert_facts(certificates: pd.DataFrame, index: pd.Index, as_of: date) -> dict[str, Any]:
    day = pd.Timestamp(as_of)
    certs = certificates.assign(
        issued_on=pd.to_datetime(certificates["issued_on"], errors="coerce"),
        expires_on=pd.to_datetime(certificates["expires_on"], errors="coerce"),
    )
    certs = certs[certs["issued_on"] <= day]
    facts: dict[str, Any] = {}
    for kind in CERT_KINDS:
        rows = certs[certs["kind"] == kind]
        valid = (rows["status"] != "revoked") & (rows["expires_on"].isna() | (rows["expires_on"] >= day))
        grouped = rows.groupby("firm_id")["issued_on"]
        facts[f"cert.{kind}.valid"] = pd.Series(index.isin(rows.loc[valid, "firm_id"]), index=index)
        facts[f"cert.{kind}.ever"] = pd.Series(index.isin(rows["firm_id"]), index=index)
        facts[f"cert.{kind}.count"] = grouped.size().reindex(index).fillna(0)
        facts[f"cert.{kind}.first_issued_on"] = grouped.min().reindex(index)
        facts[f"cert.{kind}.latest_issued_on"] = grouped.max().reindex(index)
    return facts


def _tier_facts(tiers: pd.DataFrame, index: pd.Index, year: int, as_of: date) -> dict[str, Any]:
    day = pd.Timestamp(as_of)
    rows = tiers.assign(
        valid_from=pd.to_datetime(tiers["valid_from"], errors="coerce"),
        valid_to=pd.to_datetime(tiers["valid_to"], errors="coerce"),
    )
    rows = rows[rows["state"].isin(ADMITTED_STATES) & (rows["valid_from"] <= day)]
    facts: dict[str, Any] = {}
    for tier in TIERS:
        mine = rows[rows["tier"] == tier]
        held = (mine["state"] == "admitted") & (mine["valid_to"].isna() | (mine["valid_to"] >= day))
        facts[f"history.{tier}.held"] = pd.Series(index.isin(mine.loc[held, "firm_id"]), index=index)
        facts[f"history.{tier}.ever"] = pd.Series(index.isin(mine["firm_id"]), index=index)
        facts[f"history.{tier}.first_year"] = mine.groupby("firm_id")["year"].min().reindex(index)
        this_year = mine[pd.to_numeric(mine["year"]) == year]
        facts[f"history.{tier}.admitted_this_year"] = pd.Series(index.isin(this_year["firm_id"]), index=index)
    return facts


def _award_facts(awards: pd.DataFrame, index: pd.Index, year: int, schema: FactSchema) -> dict[str, Any]:
    received = awards[awards["state"].isin(AWARD_RECEIVED_STATES) & (pd.to_numeric(awards["year"]) < year)]
    facts: dict[str, Any] = {}
    for name in schema.facts:
        if name.startswith("history.award.") and name.endswith(".received"):
            program = name.split(".")[2]
            mine = received[received["program"] == program]
            facts[name] = pd.Series(index.isin(mine["firm_id"]), index=index)
            total = pd.to_numeric(mine["amount_yuan"]).groupby(mine["firm_id"]).sum()
            facts[f"history.award.{program}.total_yuan"] = total.reindex(index).fillna(0)
    return facts


def _input_facts(inputs: pd.DataFrame | None, index: pd.Index, schema: FactSchema) -> dict[str, Any]:
    names = [n for n in schema.facts if n.startswith("input.")]
    if inputs is None:
        return {n: pd.Series(pd.NA, index=index, dtype="object") for n in names}
    return {
        n: inputs[n].reindex(index) if n in inputs else pd.Series(pd.NA, index=index, dtype="object")
        for n in names
    }

"""The linked registers correct declared facts, fail closed (pure pandas, no database).

* Business register (current state) → ``filing.abnormal_operation`` / ``filing.serious_violation``:
  listed → true whatever was declared; not declared → the register's value; else the declaration.
* IP register (valid on 31 Dec of each fiscal year) → ``<prefix>.ip_class1`` / ``ip_class2``:
  min(declared, registered) where the register covers the firm that year, registered when nothing
  was declared, the declaration where it does not cover the firm.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date
from typing import Any

import pandas as pd
import pytest

from rules.derive import RawInputs, derive
from rules.facts import FactSchema
from rules.impact import _admitted
from rules.ruleset import load_rulesets
from rules.run import evaluate_registry

SCHEMA = FactSchema.build()
YEAR = 2026  # the measured fiscal year is 2025; filing_y1 … filing_y3 are 2024 … 2022
AS_OF = date(2025, 12, 31)
SEEDLING_FIGURES = {
    "research_misconduct": False, "abnormal_operation": False, "serious_violation": False, "revenue_yuan": 3_000_000,
    "ip_class1": 0, "ip_class2": 2, "contest_level": "none", "st_award_level": "none", "rd_institution_level": "none",
    "standard_role": "none", "project_level": "none", "max_single_vc_yuan": 0,
}  # fmt: skip


def firms(*ids: int) -> pd.DataFrame:
    return pd.DataFrame(
        {"registered_on": [date(2021, 3, 1)] * len(ids), "uscc": ["91120118000000001X"] * len(ids)},
        index=pd.Index(ids, name="firm_id"),
    )


def filings(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def business(rows: list[tuple[int, bool | None, bool | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["firm_id", "abnormal_operation", "serious_violation"])


def ip(rows: list[tuple[int, int, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["firm_id", "fiscal_year", "ip1", "ip2"])


def facts(raw: RawInputs) -> pd.DataFrame:
    return derive(raw, year=YEAR, as_of=AS_OF, schema=SCHEMA)


def value(frame: pd.DataFrame, firm: int, name: str) -> Any:
    found = frame.at[firm, name]
    return None if pd.isna(found) else found.item() if hasattr(found, "item") else found  # numpy → Python


# -- integrity flags -------------------------------------------------------------------------------------

ABSENT = "absent"  # the firm has no row in the business register


@pytest.mark.parametrize("name", ["abnormal_operation", "serious_violation"])
@pytest.mark.parametrize(
    ("declared", "registered", "expected"),
    [
        (False, True, True),  # listed: true whatever was declared
        (None, True, True),
        (True, True, True),
        (True, False, True),  # declared listed, register not: the declaration stands
        (False, False, False),
        (None, False, False),  # nothing declared: the register's false fills it
        (False, None, False),  # register does not know: the declaration
        (True, None, True),
        (None, None, None),  # neither knows: unknown
        (False, ABSENT, False),  # firm not in the register: the declaration, unchanged
        (True, ABSENT, True),
        (None, ABSENT, None),
    ],
)
def test_integrity_flags_follow_the_business_register(
    name: str, declared: bool | None, registered: bool | str | None, expected: bool | None
) -> None:
    other = "serious_violation" if name == "abnormal_operation" else "abnormal_operation"
    rows: list[tuple[int, bool | None, bool | None]] = []
    if not isinstance(registered, str):  # ABSENT: no row for the firm
        flags = {name: registered, other: None}
        rows = [(1, flags["abnormal_operation"], flags["serious_violation"])]
    raw = RawInputs(
        firms(1),
        filings([{"firm_id": 1, "fiscal_year": 2025, name: declared, other: False}]),
        business=business(rows),
    )
    derived = facts(raw)
    assert derived[f"filing.{name}"].dtype == "boolean"
    assert value(derived, 1, f"filing.{name}") is expected
    assert value(derived, 1, f"filing.{other}") is False  # the other flag: declared false, register unknown


def test_a_listed_firm_without_a_filing_is_listed_and_earlier_years_keep_their_declaration() -> None:
    raw = RawInputs(
        firms(1, 2),
        filings(
            [{"firm_id": 1, "fiscal_year": 2024, "abnormal_operation": False, "serious_violation": False}]
        ),
        business=business([(1, True, True), (2, False, None)]),
    )
    derived = facts(raw)
    assert value(derived, 1, "filing.filed") is False
    assert value(derived, 1, "filing.abnormal_operation") is True
    assert value(derived, 1, "filing.serious_violation") is True
    # The register is current state: it says nothing about the years before the measured one.
    assert value(derived, 1, "filing_y1.abnormal_operation") is False
    assert value(derived, 1, "filing_y1.serious_violation") is False
    assert value(derived, 2, "filing.abnormal_operation") is False
    assert value(derived, 2, "filing.serious_violation") is None
    assert value(derived, 2, "filing_y1.abnormal_operation") is None


# -- IP counts -------------------------------------------------------------------------------------------


def test_ip_counts_are_capped_or_filled_per_fiscal_year() -> None:
    years = {2025: (5, 1), 2024: (5, 4), 2023: (5, 3), 2022: (None, None)}
    raw = RawInputs(
        firms(1),
        filings(
            [{"firm_id": 1, "fiscal_year": y, "ip_class1": a, "ip_class2": b} for y, (a, b) in years.items()]
        ),
        ip=ip([(1, 2025, 2, 1), (1, 2024, 7, 0), (1, 2022, 1, 0)]),  # no row for 2023
    )
    derived = facts(raw)
    got = {p: (value(derived, 1, f"{p}.ip_class1"), value(derived, 1, f"{p}.ip_class2")) for p in
           ("filing", "filing_y1", "filing_y2", "filing_y3")}  # fmt: skip
    assert got == {
        "filing": (2, 1),  # 5 declared, 2 in the register: capped; 1 and 1: the same
        "filing_y1": (5, 0),  # 5 declared under the register's 7: stands; 4 declared, 0 registered: 0
        "filing_y2": (5, 3),  # the register holds no row for 2023: declarations stand
        "filing_y3": (1, 0),  # nothing declared: filled from the register
    }
    assert derived["filing.ip_class1"].dtype == "Float64"


def test_a_covered_firm_with_nothing_valid_that_year_has_zero() -> None:
    raw = RawInputs(
        firms(1, 2),
        filings([{"firm_id": f, "fiscal_year": 2025, "ip_class1": 3, "ip_class2": None} for f in (1, 2)]),
        ip=ip([(1, 2025, 0, 0)]),
    )
    derived = facts(raw)
    assert (value(derived, 1, "filing.ip_class1"), value(derived, 1, "filing.ip_class2")) == (0, 0)
    assert (value(derived, 2, "filing.ip_class1"), value(derived, 2, "filing.ip_class2")) == (3, None)


def test_firms_absent_from_both_registers_derive_exactly_as_without_them() -> None:
    rows = [{"firm_id": f, "fiscal_year": y, "ip_class1": 4, "ip_class2": None, "abnormal_operation": None,
             "serious_violation": True, "revenue_yuan": 1_000_000 * f} for f in (1, 2, 3) for y in (2025, 2024)]  # fmt: skip
    plain = RawInputs(firms(1, 2, 3), filings(rows))
    linked = replace(
        plain,
        business=business([(1, True, False)]),
        ip=ip([(1, year, 0, 0) for year in range(2022, 2026)] + [(2, 2024, 1, 1)]),
    )
    before, after = facts(plain), facts(linked)
    pd.testing.assert_frame_equal(after.loc[[3]], before.loc[[3]])
    assert value(after, 1, "filing.abnormal_operation") is True
    assert (
        value(after, 1, "filing.serious_violation") is True
    )  # declared listed: the register's false is no excuse
    assert value(after, 1, "filing_y1.ip_class1") == 0
    # Firm 2 is covered for 2024 only: 2025 keeps the declaration; its integrity flags are its own.
    assert value(after, 2, "filing.ip_class1") == 4
    assert value(after, 2, "filing_y1.ip_class1") == 1
    assert value(after, 2, "filing.abnormal_operation") is None
    changed = [c for c in before.columns if not before[c].equals(after[c])]
    assert sorted(changed) == [
        "filing.abnormal_operation", "filing.ip_class1", "filing.ip_class2", "filing_y1.ip_class1", "filing_y1.ip_class2", "filing_y2.ip_class1", "filing_y2.ip_class2",
        "filing_y3.ip_class1", "filing_y3.ip_class2",
    ]  # fmt: skip


# -- decisions and copies ----------------------------------------------------------------------------------


def test_a_firm_listed_as_abnormal_or_short_of_registered_ip_is_not_a_seedling() -> None:
    registry = load_rulesets()
    rows = [{"firm_id": f, "fiscal_year": 2025, **SEEDLING_FIGURES} for f in (1, 2, 3)]
    rows[1] |= {"ip_class1": 1, "ip_class2": 0}  # firm 2 declares a class I record
    raw = RawInputs(
        firms(1, 2, 3),
        filings(rows),
        business=business([(1, True, False), (3, False, False)]),
        ip=ip([(2, 2025, 0, 1)]),  # the register knows no valid class I record, one class II
    )
    run = evaluate_registry(
        registry, raw, year=YEAR, evaluation_date=date(2026, 6, 30), programs=["seedling"]
    )
    _, outcome = run.results["seedling"]
    assert outcome["outcome"].astype(str).to_dict() == {1: "ineligible", 2: "ineligible", 3: "eligible"}
    assert outcome.at[1, "c.not_abnormal"] == "fail"
    assert outcome.at[2, "c.ip"] == "fail"
    assert outcome.at[2, "c.not_abnormal"] == "pass"


def test_the_registers_are_keyword_only_and_copies_keep_them() -> None:
    by_name = {f.name: f for f in fields(RawInputs)}
    assert by_name["business"].kw_only
    assert by_name["ip"].kw_only
    raw = RawInputs(firms(1), business=business([(1, True, None)]), ip=ip([(1, 2025, 1, 2)]))
    admitted = _admitted(raw, "seedling", raw.firms.index, YEAR, date(2026, 6, 30))
    assert admitted.business is raw.business
    assert admitted.ip is raw.ip
    assert len(admitted.tiers) == 1

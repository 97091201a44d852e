"""A firm's status decided in plain Python says exactly what the registry's frames say (property-based).

Random firms — filings over four years with figures missing, zero or on every threshold the rule
sets name, certificates, tiers and awards valid or lapsed on the as-of date, the linked registers
correcting declarations, application inputs — are decided both ways: the registry's path (facts
derived as frames for many firms at once, then explained) and the status path (one firm's facts in
plain Python). Every fact, and every program's whole decision with its trace, amount, score,
advice and notes, must be equal.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.derive import RawInputs, derive
from rules.facts import CERT_KINDS, FILING_FIELDS, INPUT_FACTS, TIERS, FactSpec
from rules.one_firm import FirmRecords, derive_firm, raw_of, records_of
from rules.ruleset import load_rulesets
from rules.run import decide_firm, evaluate_registry, explain, select
from rules.scalar import normalise
from tests.rules.test_parity import _edges
from vocabulary.states import AwardState, TierState

REGISTRY = load_rulesets()
YEAR = 2026
EVALUATION_DATE = date(2026, 6, 30)
EDGES = sorted(
    {
        edge
        for program in REGISTRY.programs()
        for r in REGISTRY.versions(program)
        for edge in _edges(r, EVALUATION_DATE)
    }
)
AWARD_PROGRAMS = sorted({n.split(".")[2] for n in REGISTRY.facts.facts if n.startswith("history.award.")})
DAYS = st.one_of(
    st.none(),
    st.sampled_from([EVALUATION_DATE.replace(year=EVALUATION_DATE.year - k) + timedelta(days=d)
                     for k in range(0, 12) for d in (-1, 0, 1)] + [date(YEAR - 1, 12, 31), date(YEAR, 1, 1)]),
    st.dates(date(1990, 1, 1), date(2030, 12, 31)),
)  # fmt: skip


def _figure(spec: FactSpec) -> st.SearchStrategy[Any]:
    missing = st.none()
    if spec.type == "bool":
        return st.one_of(missing, st.booleans())
    if spec.type == "str":
        return st.one_of(missing, st.sampled_from(spec.choices or ("x",)))
    if spec.type == "date":
        return DAYS
    if spec.unit == "ratio":
        return st.one_of(missing, st.floats(0, 1, allow_nan=False).map(lambda x: round(x, 4)))
    if spec.unit in ("count", "persons", "points"):
        return st.one_of(missing, st.integers(0, 400), st.sampled_from([0, 1, 2, 3, 5, 10, 50, 100]))
    near = [int(e + d) for e in EDGES if e >= 1 for d in (-1, 0, 1)]
    return st.one_of(missing, st.sampled_from(near), st.integers(0, 3_000_000_000), st.just(0))


FILING = st.fixed_dictionaries({spec.name: _figure(spec) for spec in FILING_FIELDS})


@st.composite
def firms(draw: st.DrawFn, year: int = YEAR) -> FirmRecords:
    firm = {
        "registered_on": draw(DAYS),
        "uscc": draw(st.sampled_from(["91120000MA05LCJK2X", "12120000MA05LCJK2X", None])),
        "bureau": draw(st.sampled_from(["jinghai", "binhai_hightech", "heping", None])),
        "district": draw(st.sampled_from(["jinghai", "binhai", None])),
        "zone": draw(st.sampled_from(["teda", "hightech", "bonded", None])),
        "tech_field": draw(st.sampled_from(["electronics", "biomedicine", None])),
    }
    years = draw(st.lists(st.integers(year - 5, year), max_size=5))
    filings = [{"fiscal_year": fiscal_year, **draw(FILING)} for fiscal_year in years]
    certificates = draw(st.lists(st.fixed_dictionaries({
        "kind": st.sampled_from(sorted(CERT_KINDS)), "issued_on": DAYS, "expires_on": DAYS,
        "status": st.sampled_from(["valid", "revoked", "expired", None]),
    }), max_size=3))  # fmt: skip
    tiers = draw(st.lists(st.fixed_dictionaries({
        "tier": st.sampled_from(sorted(TIERS)), "year": st.integers(year - 6, year + 1),
        "state": st.sampled_from([str(s) for s in TierState]), "valid_from": DAYS, "valid_to": DAYS,
    }), max_size=3))  # fmt: skip
    awards = draw(st.lists(st.fixed_dictionaries({
        "program": st.sampled_from(AWARD_PROGRAMS or ["none"]), "year": st.integers(year - 4, year),
        "amount_yuan": st.one_of(st.none(), st.integers(0, 5_000_000)),
        "state": st.sampled_from([str(s) for s in AwardState]),
    }), max_size=2))  # fmt: skip
    business = draw(st.lists(st.fixed_dictionaries({
        "abnormal_operation": st.one_of(st.none(), st.booleans()),
        "serious_violation": st.one_of(st.none(), st.booleans()),
    }), max_size=1))  # fmt: skip
    ip_years = draw(st.lists(st.integers(year - 4, year - 1), max_size=4, unique=True))
    ip = [
        {"fiscal_year": y, "ip1": draw(st.integers(0, 8)), "ip2": draw(st.integers(0, 20))} for y in ip_years
    ]
    inputs = draw(st.one_of(st.none(), st.fixed_dictionaries({
        spec.name: st.one_of(st.none(), st.booleans() if spec.type == "bool" else st.sampled_from(
            [0, 1_000_000, 5_000_000, 10_000_000, 50_000_000])) for spec in INPUT_FACTS
    })))  # fmt: skip
    return FirmRecords(firm, filings, certificates, tiers, awards, inputs, business=business, ip=ip)


def _registry_of(many: list[FirmRecords]) -> RawInputs:
    """Several firms as one registry's frames (ids 1, 2, …)."""
    parts = [raw_of(records, firm_id) for firm_id, records in enumerate(many, start=1)]

    def joined(name: str) -> pd.DataFrame:
        return pd.concat([getattr(p, name) for p in parts], ignore_index=True)

    inputs = [p.inputs for p in parts if p.inputs is not None]
    return RawInputs(
        firms=pd.concat([p.firms for p in parts]), filings=joined("filings"), certificates=joined("certificates"),
        tiers=joined("tiers"), awards=joined("awards"), inputs=pd.concat(inputs) if inputs else None,
        business=joined("business"), ip=joined("ip"),
    )  # fmt: skip


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(many=st.lists(firms(), min_size=1, max_size=8), as_of=DAYS.filter(lambda d: d is not None))
def test_every_fact_is_the_same(many: list[FirmRecords], as_of: date) -> None:
    frame = derive(_registry_of(many), year=YEAR, as_of=as_of, schema=REGISTRY.facts)
    for firm_id, records in enumerate(many, start=1):
        plain = derive_firm(records, year=YEAR, as_of=as_of, schema=REGISTRY.facts)
        framed = {
            name: normalise(frame.loc[firm_id, name], REGISTRY.facts.facts[name].type)
            for name in frame.columns
        }
        assert plain == framed, f"firm {firm_id}: {records}"


# A day on which each version of each program is in force: together they cover every rule set.
VERSION_DAYS = sorted(
    {r.document.effective.from_ for program in REGISTRY.programs() for r in REGISTRY.versions(program)}
)


@pytest.mark.parametrize("day", VERSION_DAYS, ids=str)
def test_every_program_decides_the_same_with_the_same_trace(day: date) -> None:
    @settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(many=st.lists(firms(day.year), min_size=1, max_size=5))
    def check(many: list[FirmRecords]) -> None:
        run = evaluate_registry(REGISTRY, _registry_of(many), year=day.year, evaluation_date=day)
        for row, records in enumerate(many):
            framed = explain(REGISTRY, run, year=day.year, evaluation_date=day, row=row)
            _, _, plain = decide_firm(REGISTRY, records, year=day.year, evaluation_date=day)
            assert list(plain) == list(framed)
            for program, decision in framed.items():
                assert plain[program] == decision, f"{program}: {records}"

    check()


def test_the_days_cover_every_version() -> None:
    decided = {(r.program, r.version) for day in VERSION_DAYS for r in select(REGISTRY, None, day).rulesets}
    every = {(r.program, r.version) for program in REGISTRY.programs() for r in REGISTRY.versions(program)}
    assert decided == every


@pytest.mark.parametrize("firm_id", [7])
def test_a_firm_read_out_of_frames_is_the_same_firm(firm_id: int) -> None:
    records = FirmRecords(
        {"registered_on": date(2019, 3, 5), "uscc": "91120000MA05LCJK2X", "bureau": "jinghai"},
        [{"fiscal_year": YEAR - 1, "revenue_yuan": 12_000_000, "rd_expense_yuan": 900_000}],
        business=[{"abnormal_operation": True, "serious_violation": None}],
    )
    again = records_of(raw_of(records, firm_id), firm_id)
    facts = derive_firm(records, year=YEAR, as_of=EVALUATION_DATE, schema=REGISTRY.facts)
    assert derive_firm(again, year=YEAR, as_of=EVALUATION_DATE, schema=REGISTRY.facts) == facts
    assert facts["filing.abnormal_operation"] is True  # the register speaks for the measured year
    assert facts["window.rd_sum_3y"] is None  # the two years before were not filed: unknown, never zero

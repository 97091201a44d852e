"""Facts written by hand (what-if, test cases): one firm's records, validated like any input.

Shape (JSON or YAML)::

    firm: {registered_on: 2019-03-05, uscc: 91120118MA06R1D13A, bureau: jinghai}
    filings:
      2025: {revenue_yuan: 1200000, rd_expense_yuan: 90000, employees: 20, tech_staff: 6}
    certificates: [{kind: hte, issued_on: 2023-11-20, expires_on: 2026-11-19}]
    tiers: [{tier: seedling, year: 2024, state: admitted, valid_from: 2024-07-01}]
    awards: [{program: seedling_loan, year: 2024, amount_yuan: 50000, state: paid}]
    inputs: {loan_avg_daily_balance_yuan: 600000}
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from rules.derive import RawInputs
from rules.errors import FactsError
from rules.facts import CERT_KINDS, FILING_FIELDS, INPUT_FACTS, TIERS

FIRM_ID = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _filing_model() -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for spec in FILING_FIELDS:
        if spec.type == "number":
            minimum = None if spec.name == "net_assets_yuan" else 0
            fields[spec.name] = (float | None, Field(default=None, ge=minimum))
        elif spec.type == "bool":
            fields[spec.name] = (bool | None, None)
        elif spec.choices:
            fields[spec.name] = (Literal[spec.choices] | None, None)
        else:
            fields[spec.name] = (str | None, None)
    return create_model("FilingFacts", __config__=ConfigDict(extra="forbid"), **fields)


FilingFacts: Any = _filing_model()


class FirmFacts(_Strict):
    registered_on: date
    uscc: str = "91000000000000000X"  # only its prefix matters to the rules (91: an enterprise)
    bureau: str | None = None
    district: str | None = None
    zone: str | None = None
    tech_field: str | None = None


class CertificateFacts(_Strict):
    kind: Literal[tuple(CERT_KINDS)]  # type: ignore[valid-type]
    issued_on: date
    expires_on: date | None = None
    status: Literal["active", "revoked"] = "active"
    number: str | None = None


class TierFacts(_Strict):
    tier: Literal[tuple(TIERS)]  # type: ignore[valid-type]
    year: int
    state: Literal[
        "candidate",
        "district_approved",
        "city_approved",
        "public_notice",
        "admitted",
        "rejected",
        "revoked",
        "expired",
    ]
    valid_from: date | None = None
    valid_to: date | None = None


class AwardFacts(_Strict):
    program: str
    year: int
    amount_yuan: int = Field(ge=0)
    state: Literal["computed", "district_reviewed", "approved", "exported", "paid", "superseded"] = "paid"


class FactsDocument(_Strict):
    firm: FirmFacts
    filings: dict[int, FilingFacts] = Field(default_factory=dict)
    certificates: list[CertificateFacts] = Field(default_factory=list)
    tiers: list[TierFacts] = Field(default_factory=list)
    awards: list[AwardFacts] = Field(default_factory=list)
    inputs: dict[str, Any] = Field(default_factory=dict)


def parse_facts(data: Any) -> FactsDocument:
    """Validate a facts document; the first problem raises FactsError naming its field."""
    try:
        document = FactsDocument.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or "facts"
        raise FactsError(field, _message(error)) from None
    known = {spec.name.removeprefix("input.") for spec in INPUT_FACTS}
    for name in document.inputs:
        if name not in known:
            raise FactsError(f"inputs.{name}", f"未知的申请材料字段（可选：{'、'.join(sorted(known))}）")
    return document


def _message(error: Any) -> str:
    kind = error.get("type")
    if kind == "extra_forbidden":
        return "未知的字段（tidu rules facts 列出可用字段）"
    if kind == "missing":
        return "必填"
    if kind == "greater_than_equal":
        return f"不能小于 {error['ctx']['ge']}（金额以元为单位）"
    if kind in ("literal_error", "enum"):
        return f"应为以下之一：{error['ctx']['expected']}"
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return "应为日期，格式 YYYY-MM-DD"
    return str(error.get("msg"))


def to_raw(document: FactsDocument) -> RawInputs:
    """The document as one firm's registry records (firm id 1)."""
    firm = pd.DataFrame([document.firm.model_dump()], index=pd.Index([FIRM_ID], name="firm_id"))
    filings = pd.DataFrame(
        [
            {"firm_id": FIRM_ID, "fiscal_year": year, **figures.model_dump()}
            for year, figures in document.filings.items()
        ]
        or [{"firm_id": FIRM_ID, "fiscal_year": -1}]
    )
    filings = filings[filings["fiscal_year"] > 0]
    raw = RawInputs(firms=firm, filings=filings)
    if document.certificates:
        raw.certificates = pd.DataFrame(
            [{"firm_id": FIRM_ID, **c.model_dump()} for c in document.certificates]
        )
    if document.tiers:
        raw.tiers = pd.DataFrame([{"firm_id": FIRM_ID, **t.model_dump()} for t in document.tiers])
    if document.awards:
        raw.awards = pd.DataFrame([{"firm_id": FIRM_ID, **a.model_dump()} for a in document.awards])
    if document.inputs:
        raw.inputs = pd.DataFrame([{f"input.{k}": v for k, v in document.inputs.items()}], index=firm.index)
    return raw

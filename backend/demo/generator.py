"""A realistic synthetic registry, generated deterministically from a seed (no database here).

Proportions per bureau follow the 2022 科技型中小企业 counts (policy.md §7.3); revenue is
log-normal, R&D ratios and staff shares skewed the way real filings are, IP counts Poisson-like,
a few values missing so that evaluations meet "incomplete" firms too.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from backend.demo.names import BRAND_CHARS, INDUSTRIES, LEGAL_FORMS
from importers.uscc import ALPHABET, check_char

# 2022 Jan–May 科小 entries per review bureau (policy.md §7.3): realistic relative sizes.
BUREAU_WEIGHTS = {
    "teda": 447,
    "bonded": 234,
    "hightech": 859,
    "binhai": 258,
    "heping": 120,
    "hedong": 112,
    "hexi": 131,
    "nankai": 255,
    "hebei": 75,
    "hongqiao": 56,
    "dongli": 248,
    "xiqing": 303,
    "jinnan": 226,
    "beichen": 151,
    "wuqing": 369,
    "baodi": 101,
    "ninghe": 61,
    "jinghai": 123,
    "jizhou": 93,
}
BUREAU_DISTRICT = {
    "heping": "120101",
    "hedong": "120102",
    "hexi": "120103",
    "nankai": "120104",
    "hebei": "120105",
    "hongqiao": "120106",
    "dongli": "120110",
    "xiqing": "120111",
    "jinnan": "120112",
    "beichen": "120113",
    "wuqing": "120114",
    "baodi": "120115",
    "ninghe": "120117",
    "jinghai": "120118",
    "jizhou": "120119",
    "binhai": "120116",
    "teda": "120116",
    "bonded": "120116",
    "hightech": "120116",
}
ZONE_OF_BUREAU = {"teda": "teda", "bonded": "bonded", "hightech": "hightech"}
# Registering authorities of 滨海新区 before the 2009 merger (塘沽, 汉沽, 大港): still in old codes.
OLD_BINHAI_AUTHORITIES = ("120107", "120108", "120109")
GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
TIER_PATH = ("candidate", "district_approved", "city_approved", "public_notice", "admitted")


@dataclass
class DemoFirm:
    uscc: str
    name: str
    legal_form: str
    bureau_code: str
    district_code: str
    functional_zone: str | None
    registered_on: date
    tech_field: str
    filings: dict[int, dict[str, Any]] = field(default_factory=dict)
    certificates: list[dict[str, Any]] = field(default_factory=list)
    tiers: list[dict[str, Any]] = field(default_factory=list)


def allocate(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder), summing exactly."""
    whole = sum(weights.values())
    shares = {k: total * w / whole for k, w in weights.items()}
    counts = {k: math.floor(s) for k, s in shares.items()}
    for key in sorted(shares, key=lambda k: shares[k] - counts[k], reverse=True)[
        : total - sum(counts.values())
    ]:
        counts[key] += 1
    return counts


def gb11714_check(body: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(body, GB11714_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


class DemoGenerator:
    def __init__(self, seed: int, first_fiscal_year: int, last_fiscal_year: int) -> None:
        self.rng = random.Random(seed)
        self.years = list(range(first_fiscal_year, last_fiscal_year + 1))
        self.last_year = last_fiscal_year
        self._codes: set[str] = set()
        self._names: set[str] = set()

    def firms(self, total: int) -> list[DemoFirm]:
        firms: list[DemoFirm] = []
        for bureau, count in allocate(total, BUREAU_WEIGHTS).items():
            firms.extend(self._firm(bureau) for _ in range(count))
        self.rng.shuffle(firms)
        return firms

    # -- identity -------------------------------------------------------------------------

    def _firm(self, bureau: str) -> DemoFirm:
        rng = self.rng
        district = BUREAU_DISTRICT[bureau]
        zone = ZONE_OF_BUREAU.get(bureau)
        if bureau == "binhai" and rng.random() < 0.3:
            zone = rng.choice(("dongjiang", "ecocity"))
        # Registration years skew recent: most tech firms are young.
        age_days = int(min(rng.expovariate(1 / 2600), 21 * 365))
        registered_on = date(self.last_year, 12, 31) - timedelta(days=age_days)
        authority = district
        if district == "120116" and registered_on.year < 2009 and rng.random() < 0.7:
            authority = rng.choice(OLD_BINHAI_AUTHORITIES)
        industry, tech_field = rng.choice(INDUSTRIES)
        suffix, legal_form = self._legal_form()
        return DemoFirm(
            uscc=self._uscc(authority, registered_on),
            name=self._name(industry, suffix),
            legal_form=legal_form,
            bureau_code=bureau,
            district_code=district,
            functional_zone=zone,
            registered_on=registered_on,
            tech_field=tech_field,
        )

    def _legal_form(self) -> tuple[str, str]:
        roll = self.rng.random()
        for suffix, form, share in LEGAL_FORMS:
            if roll < share:
                return suffix, form
            roll -= share
        return LEGAL_FORMS[0][0], LEGAL_FORMS[0][1]

    def _uscc(self, authority: str, registered_on: date) -> str:
        body_alphabet = ALPHABET  # GB 32100 bodies avoid I, O, S, V, Z too
        while True:
            if registered_on.year >= 2015:  # codes issued after the reform start with MA
                body = "MA" + "".join(self.rng.choice(body_alphabet) for _ in range(6))
            else:
                body = "".join(self.rng.choice("0123456789") for _ in range(8))
            first17 = f"91{authority}{body}{gb11714_check(body)}"
            code = first17 + check_char(first17)
            if code not in self._codes:
                self._codes.add(code)
                return code

    def _name(self, industry: str, suffix: str) -> str:
        for _ in range(50):
            brand = "".join(self.rng.sample(BRAND_CHARS, 2))
            prefix = self.rng.choice(("天津", "天津市", "天津"))
            name = f"{prefix}{brand}{industry}{suffix}"
            if name not in self._names:
                self._names.add(name)
                return name
        name = f"天津{self.rng.choice(BRAND_CHARS)}{len(self._names)}{industry}{suffix}"
        self._names.add(name)
        return name


class DemoHistory:
    """Filings, certificates and tier history for generated firms."""

    def __init__(self, rng: random.Random, years: list[int], today: date) -> None:
        self.rng = rng
        self.years = years
        self.today = today
        self._seq: dict[str, int] = {}

    def next_number(self, kind: str) -> int:
        self._seq[kind] = self._seq.get(kind, 0) + 1
        return self._seq[kind]

    def populate(self, firm: DemoFirm) -> None:
        self._filings(firm)
        self._certificates(firm)
        self._tiers(firm)

    # -- filings ----------------------------------------------------------------------------

    def _filings(self, firm: DemoFirm) -> None:
        rng = self.rng
        years = [y for y in self.years if y >= firm.registered_on.year]
        if not years:
            return
        age = max(0.3, (date(years[-1], 12, 31) - firm.registered_on).days / 365.25)
        revenue = rng.lognormvariate(math.log(9e6), 1.5) * min(1.0, (age + 0.5) / 5)
        rd_ratio = min(0.6, rng.lognormvariate(math.log(0.045), 0.75))
        tech_share = rng.betavariate(2.2, 4.0)
        size = max(1.0, revenue / 6e5)
        for year in reversed(years):
            firm.filings[year] = self._filing(revenue, rd_ratio, tech_share, size)
            revenue /= max(0.4, 1 + rng.gauss(0.12, 0.28))  # the year before, before growth
            rd_ratio = min(0.6, rd_ratio * rng.lognormvariate(0, 0.15))

    def _filing(self, revenue: float, rd_ratio: float, tech_share: float, size: float) -> dict[str, Any]:
        rng = self.rng
        employees = max(1, round(rng.lognormvariate(math.log(size), 0.45)))
        total_assets = revenue * rng.lognormvariate(0.1, 0.6)
        rd = revenue * rd_ratio
        figures: dict[str, Any] = {
            "revenue_yuan": round(revenue),
            "total_income_yuan": round(revenue * rng.uniform(1.0, 1.08)),
            "hitech_revenue_yuan": round(revenue * rng.uniform(0.3, 0.98)),
            "rd_expense_yuan": round(rd),
            "rd_domestic_yuan": round(rd * rng.uniform(0.75, 1.0)),
            "total_cost_yuan": round(revenue * rng.uniform(0.7, 1.1)),
            "total_assets_yuan": round(total_assets),
            "net_assets_yuan": round(total_assets * rng.uniform(-0.1, 0.7)),
            "employees": employees,
            "tech_staff": min(employees, round(employees * tech_share)),
            "ip_class1": self._poisson(0.5 + 0.1 * math.log10(size)),
            "ip_class2": self._poisson(1.5 + 0.8 * math.log10(size)),
            "tech_transformations": self._poisson(1.6),
            "max_single_vc_yuan": round(rng.lognormvariate(math.log(3e6), 1.0)) if rng.random() < 0.08 else 0,
        }
        figures.update(self._achievements())
        figures.update(self._integrity())
        for name in ("revenue_yuan", "rd_expense_yuan", "employees", "ip_class1", "total_assets_yuan"):
            if rng.random() < 0.01:  # a gap in the filing: evaluations must say "incomplete"
                figures[name] = None
        if figures["employees"] is None:
            figures["tech_staff"] = None
        return figures

    def _achievements(self) -> dict[str, Any]:
        rng = self.rng
        level = ("national", "provincial")
        contest = rng.random() < 0.05
        award = rng.random() < 0.03
        standard = rng.random() < 0.1
        institution = rng.random() < 0.06
        # "none" is a reported none; a missing value (None) would make criteria unknown.
        return {
            "contest_level": rng.choice(level) if contest else "none",
            "contest_prize": rng.randint(1, 5) if contest else None,
            "st_award_level": rng.choice(level) if award else "none",
            "st_award_rank": rng.randint(1, 8) if award else None,
            "rd_institution_level": rng.choice(("national", "provincial", "municipal"))
            if institution
            else "none",
            "standard_level": rng.choice(("national", "industry", "group", "enterprise"))
            if standard
            else "none",
            "standard_role": rng.choice(("led", "participated", "participated")) if standard else "none",
            "project_level": rng.choice(level) if rng.random() < 0.08 else "none",
        }

    def _integrity(self) -> dict[str, bool]:
        rng = self.rng
        return {
            "research_misconduct": rng.random() < 0.005,
            "abnormal_operation": rng.random() < 0.02,
            "serious_violation": rng.random() < 0.005,
            "major_incident": rng.random() < 0.005,
            "serious_fraud": rng.random() < 0.002,
        }

    def _poisson(self, lam: float) -> int:
        limit, k, p = math.exp(-max(lam, 0.01)), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= limit:
                return k
            k += 1

    # -- certificates --------------------------------------------------------------------------

    def _certificates(self, firm: DemoFirm) -> None:
        rng = self.rng
        latest = firm.filings[max(firm.filings)] if firm.filings else {}
        strong = (latest.get("rd_expense_yuan") or 0) > 0.03 * (latest.get("revenue_yuan") or 1) and (
            (latest.get("ip_class1") or 0) + (latest.get("ip_class2") or 0) > 0
        )
        if rng.random() < (0.55 if strong else 0.08):
            self._hte(firm)
        if rng.random() < 0.05:
            self._dated(firm, "hte_municipal", "TJGQ{year}{seq:05d}", years=3)
        for year in self.years[-3:]:
            if year >= firm.registered_on.year and rng.random() < 0.45:
                issued = date(year, rng.randint(5, 10), rng.randint(1, 28))
                number = f"{year}{firm.district_code}{self.next_number(f'sme{year}'):05d}"
                firm.certificates.append(
                    {
                        "kind": "tech_sme",
                        "number": number,
                        "issued_on": issued,
                        "expires_on": date(year, 12, 31),
                    }
                )
        for kind, share in (("software_enterprise", 0.04), ("software_product", 0.05)):
            if rng.random() < share:
                self._dated(
                    firm,
                    kind,
                    "RQ-{year}-{seq:04d}" if kind == "software_enterprise" else "RC-{year}-{seq:04d}",
                    years=5,
                )

    def _hte(self, firm: DemoFirm) -> None:
        """A 高企 certificate (3 years), sometimes re-recognised, sometimes lapsed."""
        rng = self.rng
        year = rng.randint(max(self.years[0] - 3, firm.registered_on.year + 1), self.years[-1] + 1)
        while year <= self.today.year:
            issued = date(year, rng.choice((10, 11, 12)), rng.randint(1, 28))
            if issued > self.today:
                return
            firm.certificates.append(
                {
                    "kind": "hte",
                    "number": f"GR{year}12{self.next_number(f'hte{year}'):06d}",
                    "issued_on": issued,
                    "expires_on": issued.replace(year=issued.year + 3) - timedelta(days=1),
                }
            )
            if rng.random() < 0.35:  # lapsed: not re-recognised
                return
            year += 3

    def _dated(self, firm: DemoFirm, kind: str, pattern: str, *, years: int) -> None:
        year = self.rng.randint(max(self.years[0] - 2, firm.registered_on.year), self.today.year)
        issued = min(self.today, date(year, self.rng.randint(1, 12), self.rng.randint(1, 28)))
        number = pattern.format(year=year, seq=self.next_number(f"{kind}{year}"))
        expires = issued.replace(year=issued.year + years) - timedelta(days=1)
        firm.certificates.append({"kind": kind, "number": number, "issued_on": issued, "expires_on": expires})

    # -- tiers ----------------------------------------------------------------------------------

    def _tiers(self, firm: DemoFirm) -> None:
        rng = self.rng
        if not firm.filings:
            return
        year = max(firm.filings) + 1  # applications use the prior fiscal year
        revenue = firm.filings[max(firm.filings)].get("revenue_yuan") or 0
        young = (date(year - 1, 12, 31) - firm.registered_on).days <= 8 * 366
        if young and revenue >= 100_000 and rng.random() < 0.45:
            first = rng.randint(max(2021, firm.registered_on.year + 1), year)
            self._apply(firm, "seedling", first, admit_share=0.9)
            if revenue > 2e7 and first < year and rng.random() < 0.35:
                self._apply(firm, "gazelle", rng.randint(first + 1, year), admit_share=0.8)
        if revenue > 2e8 and rng.random() < 0.25:
            tier = "leader" if rng.random() < 0.4 else "leader_candidate"
            self._apply(firm, tier, rng.randint(2021, year), admit_share=0.85)

    def _apply(self, firm: DemoFirm, tier: str, year: int, *, admit_share: float) -> None:
        rng = self.rng
        day = date(year, rng.randint(1, 9), rng.randint(1, 28))
        transitions: list[tuple[str | None, str, date, str | None]] = []
        state: str | None = None
        rejected = rng.random() > admit_share
        for step, target in enumerate(TIER_PATH):
            if day > self.today:
                break
            if rejected and step == 2:
                transitions.append((state, "rejected", day, "市级审核未通过：证明材料与申报数据不一致"))
                state = "rejected"
                break
            transitions.append((state, target, day, None))
            state = target
            day += timedelta(days=rng.randint(7, 25))
        if state is None:
            return
        admitted_on = transitions[-1][2] if state == "admitted" else None
        prefix = {"seedling": "CY", "gazelle": "DL", "leader_candidate": "LJPY", "leader": "LJ"}[tier]
        firm.tiers.append(
            {
                "tier": tier,
                "year": year,
                "state": state,
                "batch_label": f"{year}年第{rng.randint(1, 5)}批" if step >= 3 else None,
                "admission_no": f"{prefix}{year}{self.next_number(prefix + str(year)):05d}"
                if admitted_on
                else None,
                "valid_from": admitted_on,
                "transitions": transitions,
            }
        )

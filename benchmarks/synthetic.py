"""Synthetic registry records at any size, generated with numpy (no database, no Python loops)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from rules.derive import RawInputs
from rules.facts import FILING_FIELDS

BUREAUS = np.array(["teda", "bonded", "hightech", "binhai", "heping", "hedong", "hexi", "nankai", "hebei", "hongqiao",
                    "dongli", "xiqing", "jinnan", "beichen", "wuqing", "baodi", "ninghe", "jinghai", "jizhou"])  # fmt: skip
LEVELS = np.array(["national", "provincial", "none"])


def raw_inputs(firms: int, year: int, *, seed: int = 7) -> RawInputs:
    """``firms`` firms with four fiscal years of filings, certificates and some tier history."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, firms + 1)
    registered = pd.Timestamp(date(year - 1, 12, 31)) - pd.to_timedelta(
        np.minimum(rng.exponential(2600, firms), 21 * 365).astype(int), unit="D"
    )
    frame = pd.DataFrame(
        {
            "uscc": np.where(rng.random(firms) < 0.98, "91", "92"),
            "name": "firm",
            "registered_on": registered,
            "bureau": rng.choice(BUREAUS, firms),
            "district": "120116",
            "zone": np.where(rng.random(firms) < 0.2, "hightech", None),
            "tech_field": "electronic_information",
        },
        index=pd.Index(ids, name="firm_id"),
    )
    return RawInputs(
        firms=frame,
        filings=_filings(rng, ids, year),
        certificates=_certificates(rng, ids, year),
        tiers=_tiers(rng, ids, year),
    )


def _filings(rng: np.random.Generator, ids: np.ndarray, year: int) -> pd.DataFrame:
    n = len(ids)
    base = rng.lognormal(np.log(9e6), 1.5, n)
    frames = []
    for offset in range(4):
        revenue = base / (1.12**offset) * rng.lognormal(0, 0.2, n)
        employees = np.maximum(1, rng.lognormal(np.log(np.maximum(revenue / 6e5, 1)), 0.45)).astype(int)
        rd = revenue * np.minimum(0.6, rng.lognormal(np.log(0.045), 0.75, n))
        data = {
            "firm_id": ids,
            "fiscal_year": year - 1 - offset,
            "revenue_yuan": revenue.round(),
            "total_income_yuan": (revenue * 1.03).round(),
            "hitech_revenue_yuan": (revenue * rng.uniform(0.3, 0.98, n)).round(),
            "rd_expense_yuan": rd.round(),
            "rd_domestic_yuan": (rd * rng.uniform(0.75, 1, n)).round(),
            "total_cost_yuan": (revenue * rng.uniform(0.7, 1.1, n)).round(),
            "total_assets_yuan": (revenue * rng.lognormal(0.1, 0.6, n)).round(),
            "net_assets_yuan": (revenue * rng.uniform(-0.1, 0.7, n)).round(),
            "employees": employees,
            "tech_staff": (employees * rng.beta(2.2, 4.0, n)).astype(int),
            "ip_class1": rng.poisson(0.6, n),
            "ip_class2": rng.poisson(2.5, n),
            "tech_transformations": rng.poisson(1.6, n),
            "max_single_vc_yuan": np.where(
                rng.random(n) < 0.08, rng.lognormal(np.log(3e6), 1.0, n).round(), 0
            ),
        }
        for spec in FILING_FIELDS:
            if spec.type == "bool":
                data[spec.name] = rng.random(n) < 0.01
            elif spec.choices:
                data[spec.name] = np.where(rng.random(n) < 0.07, rng.choice(LEVELS[:2], n), "none")
            elif spec.name not in data:
                data[spec.name] = rng.integers(1, 20, n)
        frame = pd.DataFrame(data)
        frame.loc[rng.random(n) < 0.01, "revenue_yuan"] = np.nan  # gaps: some decisions are "incomplete"
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _certificates(rng: np.random.Generator, ids: np.ndarray, year: int) -> pd.DataFrame:
    holders = ids[rng.random(len(ids)) < 0.35]
    issued = pd.Timestamp(date(year - 4, 1, 1)) + pd.to_timedelta(
        rng.integers(0, 4 * 365, len(holders)), unit="D"
    )
    return pd.DataFrame(
        {"firm_id": holders, "kind": "hte", "issued_on": issued, "expires_on": issued + pd.DateOffset(years=3),
         "status": "active"}
    )  # fmt: skip


def _tiers(rng: np.random.Generator, ids: np.ndarray, year: int) -> pd.DataFrame:
    admitted = ids[rng.random(len(ids)) < 0.2]
    years = rng.integers(year - 4, year, len(admitted))
    return pd.DataFrame(
        {"firm_id": admitted, "tier": "seedling", "year": years, "state": "admitted",
         "valid_from": pd.to_datetime([f"{y}-07-01" for y in years]), "valid_to": pd.NaT}
    )  # fmt: skip

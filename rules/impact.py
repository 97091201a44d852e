"""Impact of adopting a new rule version: who gains, who loses, why, and what awards it moves.

For a tier or certificate program, award money follows admission: the comparison admits every
firm each version finds eligible (this year, on the evaluation date) and evaluates all award
programs on that; for an award program the two versions' amounts are compared directly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import pandas as pd

from rules.derive import RawInputs
from rules.facts import TIERS
from rules.ruleset import RuleRegistry
from rules.run import evaluate_registry


@dataclass
class ImpactDiff:
    program: str
    old_version: str
    new_version: str
    year: int
    changes: pd.DataFrame  # firm_id index: bureau, old, new, change (gained|lost|…), reasons (criterion ids)
    awards: pd.DataFrame  # bureau, program, old_yuan, new_yuan, delta_yuan

    def counts(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.changes["change"].value_counts().items()}


def impact_diff(
    registry: RuleRegistry,
    raw: RawInputs,
    *,
    program: str,
    old_version: str,
    new_version: str,
    year: int,
    evaluation_date: date,
) -> ImpactDiff:
    for version in (old_version, new_version):
        registry.get(program, version)  # both must exist: UnknownProgram names the versions there are
    runs = {}
    for label, version in (("old", old_version), ("new", new_version)):
        runs[label] = evaluate_registry(
            registry,
            raw,
            year=year,
            evaluation_date=evaluation_date,
            programs=[program],
            versions={program: version},
        ).results[program][1]
    changes = _changes(runs["old"], runs["new"], raw)
    changes["reasons"] = _reasons(runs["old"], runs["new"], changes.index)
    awards = _award_delta(registry, raw, program, (old_version, new_version), runs, year, evaluation_date)
    return ImpactDiff(program, old_version, new_version, year, changes, awards)


def _changes(old: pd.DataFrame, new: pd.DataFrame, raw: RawInputs) -> pd.DataFrame:
    frame = pd.DataFrame({"old": old["outcome"].astype(str), "new": new["outcome"].astype(str)})
    frame["bureau"] = raw.firms["bureau"].reindex(frame.index) if "bureau" in raw.firms else None
    was, now = frame["old"] == "eligible", frame["new"] == "eligible"
    frame["change"] = "unchanged"
    frame.loc[~was & now, "change"] = "gained"
    frame.loc[was & ~now, "change"] = "lost"
    frame.loc[(frame["old"] != frame["new"]) & (was == now), "change"] = (
        "changed"  # e.g. ineligible ↔ unknown
    )
    return frame[frame["change"] != "unchanged"]


def _reasons(old: pd.DataFrame, new: pd.DataFrame, firms: pd.Index) -> pd.Series:
    """Criteria whose outcome differs between the versions (or exist in only one of them)."""
    old_c = {c[2:] for c in old.columns if c.startswith("c.")}
    new_c = {c[2:] for c in new.columns if c.startswith("c.")}
    reasons: dict[int, list[str]] = {firm: [] for firm in firms}
    for criterion in sorted(old_c | new_c):
        before = (
            old[f"c.{criterion}"].reindex(firms).astype(str)
            if criterion in old_c
            else pd.Series("absent", index=firms)
        )
        after = (
            new[f"c.{criterion}"].reindex(firms).astype(str)
            if criterion in new_c
            else pd.Series("absent", index=firms)
        )
        for firm in firms[(before != after).to_numpy()]:
            reasons[firm].append(f"{criterion}: {before[firm]} → {after[firm]}")
    return pd.Series(reasons, dtype="object").reindex(firms)


def _award_delta(
    registry: RuleRegistry,
    raw: RawInputs,
    program: str,
    versions: tuple[str, str],
    runs: dict[str, pd.DataFrame],
    year: int,
    evaluation_date: date,
) -> pd.DataFrame:
    awards = registry.programs("award")
    totals = {}
    for label, version in zip(("old", "new"), versions, strict=True):
        scenario = raw
        if program in TIERS:
            eligible = runs[label].index[(runs[label]["outcome"] == "eligible").to_numpy()]
            scenario = _admitted(raw, program, eligible, year, evaluation_date)
        pinned = {program: version} if program in awards else {}
        run = evaluate_registry(
            registry, scenario, year=year, evaluation_date=evaluation_date, programs=awards, versions=pinned
        )
        rows = []
        for award, (_, outcome) in run.results.items():
            if award not in awards:
                continue
            paid = outcome["amount"].where(outcome["outcome"] == "eligible").fillna(0).astype("int64")
            by_bureau = paid.groupby(raw.firms["bureau"].reindex(paid.index).fillna("?")).sum()
            rows += [{"bureau": b, "program": award, label: int(v)} for b, v in by_bureau.items()]
        totals[label] = pd.DataFrame(rows, columns=["bureau", "program", label])
    merged = totals["old"].merge(totals["new"], on=["bureau", "program"], how="outer").fillna(0)
    merged = merged.rename(columns={"old": "old_yuan", "new": "new_yuan"})
    merged[["old_yuan", "new_yuan"]] = merged[["old_yuan", "new_yuan"]].astype("int64")
    merged["delta_yuan"] = merged["new_yuan"] - merged["old_yuan"]
    return merged.sort_values(["bureau", "program"]).reset_index(drop=True)


def _admitted(raw: RawInputs, tier: str, firms: pd.Index, year: int, day: date) -> RawInputs:
    """The registry as if every firm in ``firms`` were admitted to ``tier`` this year."""
    admitted = pd.DataFrame(
        {
            "firm_id": firms,
            "tier": tier,
            "year": year,
            "state": "admitted",
            "valid_from": pd.Timestamp(day),
            "valid_to": pd.NaT,
        }
    )
    tiers = pd.concat([raw.tiers, admitted], ignore_index=True) if len(raw.tiers) else admitted
    return replace(raw, tiers=tiers)

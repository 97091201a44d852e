"""A chunk of firms from raw records to evaluation rows and fact snapshots (pure pandas, no database).

Facts are derived first and fingerprinted per program; only firms whose fingerprint or rule
version differs from their latest stored decision are evaluated and written. A second run over
an unchanged registry derives and compares, and decides nothing.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from rules.derive import RawInputs
from rules.evaluate import Decision, provisional_params
from rules.ruleset import RuleRegistry, RuleSet
from rules.run import Selection, derive_for, evaluate_derived, reads, registry_reads

EVALUATION_COLUMNS = (
    "firm_id", "program", "version", "ruleset_hash", "year", "as_of", "evaluated_on", "outcome", "failing",
    "amount_yuan", "score", "criteria", "missing", "provisional", "inputs_hash", "snapshot_hash", "run_id",
    "created_at",
)  # fmt: skip


@dataclass
class RunRecords:
    evaluations: list[tuple[Any, ...]] = field(default_factory=list)
    snapshots: list[tuple[Any, ...]] = field(default_factory=list)
    outcomes: dict[str, Counter[str]] = field(default_factory=dict)  # program -> outcome counts, all firms
    unchanged: int = 0


def facts_of(ruleset: RuleSet) -> list[str]:
    """Every fact a rule set reads, in its criteria, amount and score."""
    return sorted(reads(ruleset))


def program_hashes(
    ruleset: RuleSet,
    selection: Selection,
    derived: dict[date, pd.DataFrame],
    year: int,
    evaluation_date: date,
    cache: dict[tuple[date, str], np.ndarray] | None = None,
) -> pd.Series:
    """A 64-bit fingerprint per firm of every registry fact the decision depends on, with its dates.

    Column hashes are computed once per run (``cache``) and mixed per program.
    """
    cache = {} if cache is None else cache
    index = next(iter(derived.values())).index
    mixed = np.full(len(index), np.uint64(year), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for source, columns in registry_reads(ruleset, selection):
            as_of = source.as_of(year, evaluation_date)
            salt = np.uint64(int(hashlib.sha256(f"{source.program}@{as_of}".encode()).hexdigest()[:15], 16))
            mixed = mixed * np.uint64(1_000_003) ^ salt
            for column in columns:
                key = (as_of, column)
                if key not in cache:
                    cache[key] = pd.util.hash_pandas_object(derived[as_of][column], index=False).to_numpy(
                        np.uint64
                    )
                mixed = (mixed * np.uint64(1_000_003)) ^ cache[key]
    return pd.Series([f"{v:016x}" for v in mixed], index=index)


def build_records(
    registry: RuleRegistry,
    selection: Selection,
    raw: RawInputs,
    *,
    year: int,
    evaluation_date: date,
    run_id: str,
    created_at: datetime,
    latest: pd.DataFrame,
) -> RunRecords:
    records = RunRecords()
    derived = derive_for(registry, selection, raw, year=year, evaluation_date=evaluation_date)
    latest = latest.set_index(["program", "firm_id"]) if len(latest) else latest
    hashes, changed = {}, {}
    column_hashes: dict[tuple[date, str], np.ndarray] = {}
    for ruleset in selection.rulesets:
        hashes[ruleset.program] = program_hashes(
            ruleset, selection, derived, year, evaluation_date, column_hashes
        )
        changed[ruleset.program] = _changed(latest, ruleset, hashes[ruleset.program])
    changed_firms = (
        raw.firms.index[np.logical_or.reduce(list(changed.values()))] if changed else raw.firms.index[:0]
    )
    for ruleset in selection.rulesets:  # decisions that stay as stored still count in the run's totals
        kept = raw.firms.index[~changed[ruleset.program]]
        records.outcomes[ruleset.program] = Counter(_stored_outcomes(latest, ruleset, kept))
        records.unchanged += len(kept)
    if not len(changed_firms):
        return records
    subset = {as_of: frame.loc[changed_firms] for as_of, frame in derived.items()}
    run = evaluate_derived(
        selection, subset, year=year, evaluation_date=evaluation_date, explain_missing=True
    )
    snapshot_of = _snapshots(selection, subset, changed_firms, year, evaluation_date, records)
    for program, (ruleset, outcome) in run.results.items():
        new = changed[program][raw.firms.index.get_indexer(changed_firms)]
        records.outcomes[program].update(outcome.loc[new, "outcome"].astype(str))
        provisional = any(
            provisional_params(source, source.params_on(source.as_of(year, evaluation_date)))
            for source, _ in registry_reads(ruleset, selection)
        )  # its own provisional params, or those of a program whose result it reads
        changed_hashes = hashes[program].loc[changed_firms][new]
        rows = _rows(ruleset, outcome[new], changed_hashes, snapshot_of, year, evaluation_date, provisional)
        records.evaluations.extend((*row, run_id, created_at) for row in rows)
    return records


def _stored_outcomes(latest: pd.DataFrame, ruleset: RuleSet, firms: pd.Index) -> list[str]:
    if not len(firms):
        return []
    return [str(v) for v in latest.loc[ruleset.program]["outcome"].reindex(firms).tolist()]


def _changed(latest: pd.DataFrame, ruleset: RuleSet, hashes: pd.Series) -> np.ndarray:
    if not len(latest) or ruleset.program not in latest.index.get_level_values(0):
        return np.ones(len(hashes), dtype=bool)
    previous = latest.loc[ruleset.program].reindex(hashes.index)
    same = (previous["ruleset_hash"] == ruleset.content_hash) & (previous["inputs_hash"] == hashes)
    changed: np.ndarray = ~same.fillna(False).to_numpy(dtype=bool)
    return changed


def _snapshots(
    selection: Selection,
    derived: dict[date, pd.DataFrame],
    firms: pd.Index,
    year: int,
    evaluation_date: date,
    records: RunRecords,
) -> dict[int, str]:
    """One JSON document per changed firm: the registry facts read, per as-of date."""
    columns: dict[date, set[str]] = {}
    for ruleset in selection.rulesets:
        own = {n for n in reads(ruleset) if not n.startswith(("result.", "award."))}
        columns.setdefault(ruleset.as_of(year, evaluation_date), set()).update(own)
    parts: dict[str, list[str]] = {}
    for as_of, names in columns.items():
        subset = derived[as_of].loc[firms, sorted(names)].copy()
        for column in subset.columns:
            if pd.api.types.is_datetime64_any_dtype(subset[column]):
                subset[column] = subset[column].dt.strftime("%Y-%m-%d")  # dates as dates, not midnights
        parts[as_of.isoformat()] = subset.to_json(
            orient="records", lines=True, date_format="iso"
        ).splitlines()
    snapshot_of: dict[int, str] = {}
    for i, firm_id in enumerate(int(f) for f in firms):
        document = "{" + ",".join(f'"{key}":{lines[i]}' for key, lines in sorted(parts.items())) + "}"
        digest = hashlib.sha256(document.encode()).hexdigest()
        snapshot_of[firm_id] = digest
        records.snapshots.append((digest, firm_id, year, document))
    return snapshot_of


def read_same_facts(
    decision: Decision,
    selection: Selection,
    derived: Mapping[date, Mapping[str, Any]],
    snapshot: Mapping[str, Any] | None,
    year: int,
    evaluation_date: date,
) -> bool:
    """Whether ``decision`` read exactly the registry facts a stored snapshot holds (``_snapshots``).

    The one-firm counterpart of comparing ``program_hashes``: the same facts (its own and those of
    every program it reads), at the same as-of dates. Numbers are compared to the snapshot's JSON
    precision (ten decimals).
    """
    if snapshot is None:
        return False
    program = next(r for r in selection.rulesets if r.program == decision.program)
    for source, columns in registry_reads(program, selection):
        as_of = source.as_of(year, evaluation_date)
        kept = snapshot.get(as_of.isoformat())
        if kept is None or any(
            name not in kept or not _same_value(kept[name], derived[as_of].get(name)) for name in columns
        ):
            return False
    return True


def _same_value(kept: Any, current: Any) -> bool:
    if current is None or isinstance(current, bool) or kept is None or isinstance(kept, bool):
        return kept is current
    if isinstance(current, float):
        return isinstance(kept, int | float) and math.isclose(kept, current, rel_tol=1e-9, abs_tol=1e-10)
    if isinstance(current, date):
        return bool(kept == current.isoformat())
    return bool(kept == current)


def _rows(
    ruleset: RuleSet,
    outcome: pd.DataFrame,
    hashes: pd.Series,
    snapshot_of: dict[int, str],
    year: int,
    evaluation_date: date,
    provisional: bool,
) -> list[tuple[Any, ...]]:
    """Evaluation rows without the run's id and time (``EVALUATION_COLUMNS`` minus the last two)."""
    if not len(outcome):
        return []
    as_of = ruleset.as_of(year, evaluation_date)
    criteria_columns = [c for c in outcome.columns if c.startswith("c.")]
    criteria = outcome[criteria_columns].rename(columns=lambda c: c[2:]).astype(str)
    criteria_json = criteria.to_json(orient="records", lines=True, force_ascii=False).splitlines()
    missing = (
        outcome["missing"] if "missing" in outcome else pd.Series(None, index=outcome.index, dtype="object")
    )
    firm_ids = [int(f) for f in outcome.index]
    amounts = [None if pd.isna(a) else int(a) for a in outcome["amount"].astype("object").tolist()]
    scores = [None if pd.isna(v) else float(v) for v in outcome["score"].astype("object").tolist()]
    missing_json = [json.dumps(m) if isinstance(m, list) else "[]" for m in missing.tolist()]
    return [
        (
            firm_id, ruleset.program, ruleset.version, ruleset.content_hash, year, as_of, evaluation_date, verdict,
            int(failing), amount, score, criteria_text, missing_text, provisional, inputs_hash, snapshot_of[firm_id],
        )
        for firm_id, verdict, failing, amount, score, criteria_text, missing_text, inputs_hash in zip(
            firm_ids, outcome["outcome"].astype(str).tolist(), outcome["failing"].tolist(), amounts, scores,
            criteria_json, missing_json, hashes.tolist(), strict=True,
        )
    ]  # fmt: skip

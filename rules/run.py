"""Evaluate several programs together: dependencies first, facts derived once per as-of date.

Programs read each other's decisions (``result.<p>.*``, ``award.<p>.*``) and awards exclude
each other (``excludes``); both are resolved here, the same way for one firm and for a frame.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from rules.batch import OUTCOME_CATEGORIES, evaluate_frame
from rules.derive import RawInputs, derive
from rules.errors import NoVersionInForce
from rules.evaluate import Decision, evaluate_facts
from rules.expr import facts_read
from rules.memo import per_object
from rules.one_firm import FirmRecords, derive_firm
from rules.ruleset import RuleRegistry, RuleSet
from rules.scalar import normalise
from rules.trace import ParamUse


@dataclass
class Selection:
    rulesets: list[RuleSet]  # in evaluation order
    not_in_force: list[str] = field(default_factory=list)


def select(
    registry: RuleRegistry,
    programs: Iterable[str] | None,
    evaluation_date: date,
    versions: Mapping[str, str] | None = None,
) -> Selection:
    """The rule set of each program (pinned version, else the one in force), plus dependencies."""
    versions = versions or {}
    wanted = list(programs) if programs is not None else registry.programs()
    chosen: dict[str, RuleSet] = {}
    skipped: list[str] = []
    while wanted:
        program = wanted.pop()
        if program in chosen or program in skipped:
            continue
        try:
            ruleset = (
                registry.get(program, versions[program])
                if program in versions
                else registry.in_force(program, evaluation_date)
            )
        except NoVersionInForce:
            skipped.append(program)
            continue
        chosen[program] = ruleset
        wanted.extend(ruleset.depends_on)
    # A program that reads another with no version in force that day cannot be decided either.
    while blocked := [p for p, r in chosen.items() if not r.depends_on <= chosen.keys()]:
        for program in blocked:
            del chosen[program]
            skipped.append(program)
    return Selection(registry.order(chosen.values()), sorted(skipped))


@dataclass
class RegistryRun:
    """Decisions per program (``outcome`` frames) and the facts frames they were made from."""

    results: dict[str, tuple[RuleSet, pd.DataFrame]]
    facts: dict[str, pd.DataFrame]  # program -> the facts it read (with same-run results)
    not_in_force: list[str]


def evaluate_registry(
    registry: RuleRegistry,
    raw: RawInputs,
    *,
    year: int,
    evaluation_date: date,
    programs: Iterable[str] | None = None,
    versions: Mapping[str, str] | None = None,
    explain_missing: bool = False,
) -> RegistryRun:
    """Every selected program over every firm of ``raw``: the vectorized path."""
    selection = select(registry, programs, evaluation_date, versions)
    derived = derive_for(registry, selection, raw, year=year, evaluation_date=evaluation_date)
    return evaluate_derived(
        selection, derived, year=year, evaluation_date=evaluation_date, explain_missing=explain_missing
    )


def derive_for(
    registry: RuleRegistry, selection: Selection, raw: RawInputs, *, year: int, evaluation_date: date
) -> dict[date, pd.DataFrame]:
    """The facts the selected programs read, derived once per as-of date."""
    needed: dict[date, set[str]] = {}
    for ruleset in selection.rulesets:
        needed.setdefault(ruleset.as_of(year, evaluation_date), set()).update(reads(ruleset))
    return {
        as_of: derive(raw, year=year, as_of=as_of, schema=registry.facts, needed=names)
        for as_of, names in needed.items()
    }


def evaluate_derived(
    selection: Selection,
    derived: Mapping[date, pd.DataFrame],
    *,
    year: int,
    evaluation_date: date,
    explain_missing: bool = False,
) -> RegistryRun:
    """The selected programs over derived facts (dependencies first, exclusions applied)."""
    run = RegistryRun({}, {}, selection.not_in_force)
    for ruleset in selection.rulesets:
        as_of = ruleset.as_of(year, evaluation_date)
        frame = _with_results(derived[as_of], ruleset, run.results)
        outcome = evaluate_frame(ruleset, frame, year=year, as_of=as_of, explain_missing=explain_missing)
        _exclude_frame(ruleset, outcome, run.results)
        run.results[ruleset.program] = (ruleset, outcome)
        run.facts[ruleset.program] = frame
    return run


def registry_reads(ruleset: RuleSet, selection: Selection) -> list[tuple[RuleSet, list[str]]]:
    """The registry facts a decision depends on: its own, and those of every program it reads."""
    by_program = {r.program: r for r in selection.rulesets}
    found: dict[str, RuleSet] = {}
    pending = [ruleset]
    while pending:
        current = pending.pop()
        if current.program not in found:
            found[current.program] = current
            pending += [by_program[p] for p in current.depends_on if p in by_program]
    return [
        (r, sorted(n for n in reads(r) if not n.startswith(("result.", "award."))))
        for _, r in sorted(found.items())
    ]


def _with_results(
    frame: pd.DataFrame, ruleset: RuleSet, results: Mapping[str, tuple[RuleSet, pd.DataFrame]]
) -> pd.DataFrame:
    if not ruleset.depends_on:
        return frame
    extra: dict[str, Any] = {}
    for program in ruleset.depends_on:
        _, outcome = results[program]
        eligible = (
            outcome["outcome"]
            .map({"eligible": True, "ineligible": False, "unknown": pd.NA})
            .astype("boolean")
        )
        extra[f"result.{program}.eligible"] = eligible
        extra[f"result.{program}.failing"] = outcome["failing"].astype("Float64")
        extra[f"award.{program}.eligible"] = eligible
        extra[f"award.{program}.amount"] = outcome["amount"].astype("Float64")
    return pd.concat([frame, pd.DataFrame(extra, index=frame.index)], axis=1)


def _exclude_frame(
    ruleset: RuleSet, outcome: pd.DataFrame, results: Mapping[str, tuple[RuleSet, pd.DataFrame]]
) -> None:
    """An award that cannot be combined with one the firm gets is not granted."""
    for program in ruleset.document.excludes:
        other = results[program][1]["outcome"]
        mine = outcome["outcome"] == "eligible"
        blocked = mine & (other == "eligible")
        doubtful = mine & (other == "unknown")
        codes = outcome["outcome"].cat.codes.to_numpy().copy()
        codes[blocked.to_numpy()] = OUTCOME_CATEGORIES.index("ineligible")
        codes[doubtful.to_numpy()] = OUTCOME_CATEGORIES.index("unknown")
        outcome["outcome"] = pd.Categorical.from_codes(codes, OUTCOME_CATEGORIES)
        outcome.loc[(blocked | doubtful).to_numpy(), "amount"] = pd.NA


def evaluate_one(
    registry: RuleRegistry,
    raw: RawInputs,
    *,
    year: int,
    evaluation_date: date,
    programs: Iterable[str] | None = None,
    versions: Mapping[str, str] | None = None,
    advise: bool = True,
) -> dict[str, Decision]:
    """Every selected program for the single firm of ``raw``, with traces: the explaining path."""
    if len(raw.firms) != 1:
        raise ValueError("evaluate_one takes exactly one firm")
    run = evaluate_registry(
        registry, raw, year=year, evaluation_date=evaluation_date, programs=programs, versions=versions
    )
    return explain(registry, run, year=year, evaluation_date=evaluation_date, advise=advise)


def explain(
    registry: RuleRegistry,
    run: RegistryRun,
    *,
    year: int,
    evaluation_date: date,
    advise: bool = True,
    row: int = 0,
) -> dict[str, Decision]:
    """The single-firm evaluator's decisions, with traces, for one firm of a run.

    Facts come from the run's (one derivation for both paths); every decision, including those
    that other programs read, is made again by the single-firm evaluator.
    """

    def facts_of(ruleset: RuleSet) -> dict[str, Any]:
        frame = run.facts[ruleset.program]
        return {name: normalise(frame[name].iloc[row], registry.facts.facts[name].type) for name in reads(ruleset)
                if name in frame and not name.startswith(("result.", "award."))}  # fmt: skip

    rulesets = [ruleset for ruleset, _ in run.results.values()]
    return _decide_each(
        registry, rulesets, facts_of, year=year, evaluation_date=evaluation_date, advise=advise
    )


def decide_firm(
    registry: RuleRegistry,
    records: FirmRecords,
    *,
    year: int,
    evaluation_date: date,
    programs: Iterable[str] | None = None,
    versions: Mapping[str, str] | None = None,
    advise: bool | Collection[str] = True,
) -> tuple[Selection, dict[date, dict[str, Any]], dict[str, Decision]]:
    """Every selected program for one firm, in plain Python: what ``evaluate_one`` decides, in milliseconds.

    Returns the selection, the facts derived per as-of date and the decisions with traces. ``advise``:
    advice for every program, none, or the programs named.
    """
    selection = select(registry, programs, evaluation_date, versions)
    needed: dict[date, set[str]] = {}
    for ruleset in selection.rulesets:
        needed.setdefault(ruleset.as_of(year, evaluation_date), set()).update(reads(ruleset))
    derived = {
        as_of: derive_firm(records, year=year, as_of=as_of, schema=registry.facts, needed=names)
        for as_of, names in needed.items()
    }

    def facts_of(ruleset: RuleSet) -> dict[str, Any]:
        facts = derived[ruleset.as_of(year, evaluation_date)]
        return {name: facts[name] for name in reads(ruleset) if name in facts}

    decisions = _decide_each(
        registry, selection.rulesets, facts_of, year=year, evaluation_date=evaluation_date, advise=advise
    )
    return selection, derived, decisions


def _decide_each(
    registry: RuleRegistry,
    rulesets: Iterable[RuleSet],
    facts_of: Callable[[RuleSet], dict[str, Any]],
    *,
    year: int,
    evaluation_date: date,
    advise: bool | Collection[str],
) -> dict[str, Decision]:
    """Programs in dependency order, each reading the decisions before it; exclusions applied."""
    decisions: dict[str, Decision] = {}
    for ruleset in rulesets:
        facts = facts_of(ruleset) | _result_facts(ruleset, decisions)
        as_of = ruleset.as_of(year, evaluation_date)
        advised = advise if isinstance(advise, bool) else ruleset.program in advise
        decision = evaluate_facts(
            ruleset, facts, year=year, as_of=as_of, schema=registry.facts, advise=advised
        )
        _exclude_decision(ruleset, decision, decisions)
        decisions[ruleset.program] = decision
    return decisions


@per_object
def reads(ruleset: RuleSet) -> frozenset[str]:
    """Every fact a rule set reads, in its criteria, amount and score."""
    nodes = [node.expr for node in ruleset.root.walk() if node.expr is not None]
    nodes += [extra for extra in (ruleset.amount, ruleset.score) if extra is not None]
    return frozenset(name for node in nodes for name in facts_read(node))


def inherited_provisional(ruleset: RuleSet, decisions: Mapping[str, Decision]) -> list[ParamUse]:
    """A decision reading another's result rests on that one's provisional params too."""
    return [
        ParamUse(f"{program}.{use.name}", use.value, use.reference, use.status, use.unit)
        for program in sorted(ruleset.depends_on)
        if program in decisions
        for use in decisions[program].provisional
    ]


def _result_facts(ruleset: RuleSet, decisions: Mapping[str, Decision]) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for program in ruleset.depends_on:
        decision = decisions[program]
        eligible = {"eligible": True, "ineligible": False}.get(decision.outcome)
        facts[f"result.{program}.eligible"] = eligible
        facts[f"result.{program}.failing"] = decision.failing
        facts[f"award.{program}.eligible"] = eligible
        facts[f"award.{program}.amount"] = decision.amount
    return facts


def _exclude_decision(ruleset: RuleSet, decision: Decision, decisions: Mapping[str, Decision]) -> None:
    for program in ruleset.document.excludes:
        other = decisions[program]
        if decision.outcome != "eligible" or other.outcome == "ineligible":
            continue
        title = other.title
        if other.outcome == "eligible":
            decision.outcome, decision.amount = "ineligible", None
            decision.notes.append(f"不能与“{title}”同时享受")
        else:
            decision.outcome, decision.amount = "unknown", None
            decision.notes.append(f"是否与“{title}”同时享受尚不能确定")

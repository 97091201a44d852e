"""Rules benchmarks, each figure against its baseline in the same run.

1. Engine: all shipped programs over N synthetic firm-years, vectorized vs the single-firm
   evaluator on the same facts (target ≥ 50×), and 雏鹰 2021 vs hand-written pandas (within 3×).
2. End to end on PostgreSQL: facts loaded, all programs evaluated, decisions stored, for the
   demo registry and for 10⁵ firms; then a second run with nothing changed (target ≥ 5× faster).

    python -m benchmarks.rules_engine [--firms 1000000] [--sample 2000] [--e2e-firms 5000 100000]

Results: benchmarks/results/rules.json and rules.md (the README quotes the table).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.synthetic import raw_inputs
from rules.batch import evaluate_frame
from rules.evaluate import evaluate_facts
from rules.ruleset import RuleRegistry, load_rulesets
from rules.run import evaluate_registry, reads
from rules.scalar import normalise

YEAR = 2026
DAY = date(2026, 6, 30)
RESULTS = Path(__file__).parent / "results"


def _seconds(work: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    value = work()
    return time.perf_counter() - started, value


def handwritten_seedling(frame: pd.DataFrame, as_of: date) -> pd.Series:
    """津科规〔2021〕3号 雏鹰 criteria written directly in pandas (nullable booleans: Kleene logic)."""
    day = pd.Timestamp(as_of)
    registered = frame["firm.registered_on"]
    known = registered.notna()
    not_future = (registered <= day).astype("boolean").where(known)
    within_8 = (registered >= day - pd.DateOffset(years=8)).astype("boolean").where(known)
    clean = (
        ~frame["filing.research_misconduct"]
        & ~frame["filing.abnormal_operation"]
        & ~frame["filing.serious_violation"]
    )
    ip1, ip2 = frame["filing.ip_class1"], frame["filing.ip_class2"]
    contest_level, prize = frame["filing.contest_level"], frame["filing.contest_prize"]
    contest = (
        ((contest_level == "national") & (prize <= 5)) | ((contest_level == "provincial") & (prize <= 4))
    ) & (ip1 + ip2 >= 1)
    innovation = (
        (ip1 >= 1) | (ip2 >= 2)
        | (frame["cert.software_enterprise.valid"] & frame["cert.software_product.valid"])
        | contest
        | frame["cert.hte.valid"] | frame["cert.hte_municipal.valid"]
        | frame["filing.st_award_level"].isin(["national", "provincial"]).astype("boolean").where(frame["filing.st_award_level"].notna())
        | frame["filing.rd_institution_level"].isin(["national", "provincial"]).astype("boolean").where(frame["filing.rd_institution_level"].notna())
        | frame["filing.standard_role"].isin(["led", "participated"]).astype("boolean").where(frame["filing.standard_role"].notna())
        | (frame["filing.max_single_vc_yuan"] >= 1_000_000)
        | frame["filing.project_level"].isin(["national", "provincial"]).astype("boolean").where(frame["filing.project_level"].notna())
    )  # fmt: skip
    return (
        frame["firm.is_enterprise"]
        & not_future
        & within_8
        & clean
        & (frame["filing.revenue_yuan"] >= 100_000)
        & innovation
    )


def engine(registry: RuleRegistry, firms: int, sample: int) -> dict[str, Any]:
    raw = raw_inputs(firms, YEAR)
    derive_and_decide, run = _seconds(
        lambda: evaluate_registry(registry, raw, year=YEAR, evaluation_date=DAY)
    )
    vectorized = 0.0
    single_per_firm = 0.0
    rng = random.Random(1)
    rows = rng.sample(range(firms), min(sample, firms))
    for program, (ruleset, _) in run.results.items():
        frame = run.facts[program]
        as_of = ruleset.as_of(YEAR, DAY)
        seconds, _ = _seconds(lambda r=ruleset, f=frame, a=as_of: evaluate_frame(r, f, year=YEAR, as_of=a))
        vectorized += seconds
        names = [n for n in reads(ruleset) if n in frame]
        types = {n: registry.facts.facts[n].type if n in registry.facts.facts else "number" for n in names}
        facts = [{n: normalise(frame[n].iloc[i], types[n]) for n in names} for i in rows]
        seconds, _ = _seconds(
            lambda r=ruleset, fs=facts, a=as_of: [
                evaluate_facts(r, f, year=YEAR, as_of=a, schema=registry.facts, advise=False) for f in fs
            ]
        )
        single_per_firm += seconds / len(rows)
    seedling = registry.get("seedling", "2021")
    frame = run.facts["seedling"]
    as_of = seedling.as_of(YEAR, DAY)
    engine_seedling, decided = _seconds(lambda: evaluate_frame(seedling, frame, year=YEAR, as_of=as_of))
    hand_seconds, hand = _seconds(lambda: handwritten_seedling(frame, as_of))
    expected = (
        hand.map({True: "eligible", False: "ineligible"}).astype("object").where(hand.notna(), "unknown")
    )
    agree = bool((decided["outcome"].astype(str) == expected.astype(str)).all())
    return {
        "firm_years": firms,
        "programs": len(run.results),
        "derive_and_decide_s": round(derive_and_decide, 2),
        "vectorized_all_programs_s": round(vectorized, 3),
        "single_firm_all_programs_s_extrapolated": round(single_per_firm * firms, 1),
        "single_firm_sample": len(rows),
        "vectorized_speedup": round(single_per_firm * firms / vectorized, 1),
        "seedling_engine_s": round(engine_seedling, 3),
        "seedling_handwritten_s": round(hand_seconds, 3),
        "seedling_engine_over_handwritten": round(engine_seedling / hand_seconds, 2),
        "seedling_outcomes_identical": agree,
    }


async def end_to_end(firms: int) -> dict[str, Any]:
    from backend.cli import upgrade_database
    from backend.core import clock
    from backend.core.config import Settings, asyncpg_url
    from backend.core.db import make_engine, make_session_factory, transaction
    from backend.core.security import Actor
    from backend.demo import service as demo_service
    from backend.evaluations import service as evaluation_service
    from tests.support import drop_database, recreate_database, server_url

    server = server_url()
    if server is None:
        raise SystemExit(
            "the end-to-end benchmark needs DATABASE_URL or TEST_DATABASE_URL (a PostgreSQL server)"
        )
    name = f"tidu_bench_{firms}"
    url = await asyncio.to_thread(recreate_database, asyncpg_url(server), name)
    settings = Settings(database_url=url)
    await upgrade_database(url, settings)
    engine_ = make_engine(url, settings, role="bench")
    factory = make_session_factory(engine_)
    operator = Actor.command_line("bench")
    try:
        async with transaction(factory) as session:
            load_seconds = time.perf_counter()
            await demo_service.load_demo(session, operator, firms=firms, seed=11)
            load_seconds = time.perf_counter() - load_seconds
        # The demo decides the current year as it loads (its lists need candidates); deciding
        # that year again would write nothing, and this figure silently measured a no-op that
        # way. The year before is decided by nobody yet, on the same filings.
        year = clock.today().year - 1
        timings = []
        for _ in range(2):
            async with transaction(factory) as session:
                started = time.perf_counter()
                summary = await evaluation_service.evaluate_year(session, operator, year=year)
                timings.append((time.perf_counter() - started, summary.evaluated))
        if timings[0][1] == 0:
            raise SystemExit(
                f"the first end-to-end run over {firms:,} firms wrote no decision: nothing was measured"
            )
    finally:
        await engine_.dispose()
        await asyncio.to_thread(drop_database, server, name)
    (first, written), (second, rewritten) = timings
    return {
        "firms": firms,
        "year": year,
        "demo_load_s": round(load_seconds, 1),
        "first_run_s": round(first, 2),
        "decisions_written": written,
        "first_run_s_per_100k_firms": round(first / firms * 100_000, 1),
        "second_run_s": round(second, 2),
        "second_run_decisions_written": rewritten,
        "second_run_speedup": round(first / second, 1),
    }


def _markdown(results: dict[str, Any]) -> str:
    e = results["engine"]
    lines = [
        f"Rules benchmark ({results['machine']}, {results['date']})",
        "",
        "| figure | value | baseline in the same run | ratio | target |",
        "|---|---|---|---|---|",
        f"| all {e['programs']} programs, {e['firm_years']:,} firm-years, vectorized | {e['vectorized_all_programs_s']} s "
        f"| single-firm evaluator {e['single_firm_all_programs_s_extrapolated']} s (from {e['single_firm_sample']:,} firms) "
        f"| {e['vectorized_speedup']}× faster | ≥ 50× |",
        f"| 雏鹰 2021 through the engine | {e['seedling_engine_s']} s | hand-written pandas {e['seedling_handwritten_s']} s "
        f"| {e['seedling_engine_over_handwritten']}× | ≤ 3× (same outcomes: {e['seedling_outcomes_identical']}) |",
        f"| facts derived + all programs decided ({e['firm_years']:,} firms) | {e['derive_and_decide_s']} s | | | |",
    ]
    for run in results.get("end_to_end", []):
        lines.append(
            f"| end to end, {run['firms']:,} firms: load facts, evaluate all, store | {run['first_run_s']} s "
            f"({run['first_run_s_per_100k_firms']} s per 10⁵ firms, {run['decisions_written']:,} decisions) "
            f"| second run, nothing changed: {run['second_run_s']} s ({run['second_run_decisions_written']} written) "
            f"| {run['second_run_speedup']}× faster | ≥ 5× |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=2_000)
    parser.add_argument("--e2e-firms", type=int, nargs="*", default=[5_000, 100_000])
    args = parser.parse_args()
    registry = load_rulesets()
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "date": datetime.now(UTC).date().isoformat(),
    }
    results["engine"] = engine(registry, args.firms, args.sample)
    results["end_to_end"] = [asyncio.run(end_to_end(n)) for n in args.e2e_firms]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "rules.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (RESULTS / "rules.md").write_text(_markdown(results), encoding="utf-8")
    print(_markdown(results))  # noqa: T201


if __name__ == "__main__":
    main()

"""Run N kill -9 trials of one operation and say, trial by trial, what was found.

Per operation: its starting database (a template), one clean run on a copy (its end state and how
long it writes), then per trial a fresh copy, the command killed at the trial's point, the checks,
the command run again to completion, and the checks against the clean run's end state.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.faults import lab
from tests.faults.operations import Files, Operation, final_runs, violations
from tests.support import with_database


@dataclass
class Trial:
    number: int
    strategy: str
    fraction: float
    phase: str = ""
    killed_at: float | None = None  # seconds after the command started
    committed: bool = False  # the killed run's transaction had committed
    staged_file: bool = False  # export: committed, its file still under the staging name
    rerun_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


@dataclass
class Figures:
    operation: str
    title: str
    trials: list[Trial]
    rows_added: int  # by a clean run
    clean_run_seconds: float
    clean_run_writing_seconds: float
    seconds: float = 0.0

    def landed(self) -> dict[str, int]:
        return {phase.value: sum(t.phase == phase for t in self.trials) for phase in lab.Phase}

    def summary(self) -> dict[str, Any]:
        return {
            "operation": self.operation, "command": self.title, "trials": len(self.trials),
            "landed": self.landed(),
            "strategies": {s.value: sum(t.strategy == s for t in self.trials) for s in lab.Strategy},
            "consistent_after_kill": sum(not any(p.startswith("killed:") for p in t.problems) for t in self.trials),
            "reran_to_the_clean_state": sum(not any(p.startswith("re-run:") for p in t.problems) for t in self.trials),
            "committed_before_the_kill": sum(t.committed for t in self.trials),
            "file_left_staged": sum(t.staged_file for t in self.trials),
            "rows_added_by_a_clean_run": self.rows_added,
            "clean_run_seconds": round(self.clean_run_seconds, 2),
            "clean_run_writing_seconds": round(self.clean_run_writing_seconds, 2),
            "seconds": round(self.seconds, 1),
            "trial_details": [asdict(t) | {"killed_at": None if t.killed_at is None else round(t.killed_at, 3)}
                              for t in self.trials],
        }  # fmt: skip


def _differences(found: dict[str, Any], wanted: dict[str, Any]) -> str:
    return "; ".join(
        f"{key}: {found.get(key)!r} ≠ {value!r}" for key, value in wanted.items() if found.get(key) != value
    )


async def run_trials(
    operation: Operation,
    *,
    server: str,
    template: str,
    prefix: str,
    trials: int,
    workdir: Path,
    on_trial: Callable[[Trial], Awaitable[None]] | None = None,
) -> Figures:
    started = time.monotonic()
    before = await _read_template(operation, server, template)
    after, timing, added = await _clean_run(operation, server, template, f"{prefix}_clean", workdir / "clean")
    figures = Figures(operation.name, operation.title, [], added, timing.total, timing.writing)
    for number, (strategy, fraction) in enumerate(lab.plan(trials), start=1):
        trial = Trial(number, strategy.value, round(fraction, 3))
        figures.trials.append(trial)
        url = await lab.clone(server, template, f"{prefix}_t{number}")
        try:
            await _trial(operation, trial, url, f"{prefix}_t{number}", before, after, added, timing,
                         workdir / f"t{number}")  # fmt: skip
        finally:
            await lab.drop(server, f"{prefix}_t{number}")
        if on_trial is not None:
            await on_trial(trial)
    figures.seconds = time.monotonic() - started
    return figures


async def _read_template(operation: Operation, server: str, template: str) -> dict[str, Any]:
    conn = await lab.connect(with_database(server, template))
    try:
        broken = await violations(conn)
        assert not broken, f"the starting registry already breaks an invariant: {broken}"
        return await operation.state(conn)
    finally:
        await conn.close()


async def _clean_run(
    operation: Operation, server: str, template: str, name: str, workdir: Path
) -> tuple[dict[str, Any], lab.Timing, int]:
    await asyncio.to_thread(workdir.mkdir, parents=True)
    url = await lab.clone(server, template, name)
    try:
        before = await _state(operation, url)
        timing, code = await lab.clean_run(
            operation.args(workdir), url, name, operation.committed_sql, workdir
        )
        assert code == 0, (workdir / lab.LOG).read_text(errors="replace")[-3000:]
        conn = await lab.connect(url)
        try:
            after = await operation.state(conn)
            broken = await violations(conn)
            files = await final_runs(conn)
        finally:
            await conn.close()
        assert not broken, f"a clean run breaks an invariant: {broken}"
        assert operation.check_rerun_files(workdir, files) == []
        added = operation.added(before, after)
        assert added > 0, f"a clean run of {operation.name} added nothing: there is nothing to kill"
        return after, timing, added
    finally:
        await lab.drop(server, name)


async def _state(operation: Operation, url: str) -> dict[str, Any]:
    conn = await lab.connect(url)
    try:
        return await operation.state(conn)
    finally:
        await conn.close()


async def _trial(
    operation: Operation, trial: Trial, url: str, database: str, before: dict[str, Any], after: dict[str, Any],
    added: int, timing: lab.Timing, workdir: Path,
) -> None:  # fmt: skip
    await asyncio.to_thread(workdir.mkdir, parents=True)
    strategy = lab.Strategy(trial.strategy)
    conn = await lab.connect(url)
    try:
        watcher = lab.Watcher(conn, database, operation.committed_sql)
        async with AsyncExitStack() as stack:
            release = None
            if strategy is lab.Strategy.blocked:
                release = await stack.enter_async_context(lab.holding_audit_log(url))
            process = await lab.start(operation.args(workdir), url, workdir)
            watcher.started = time.monotonic()
            await lab.kill_when(strategy, trial.fraction, timing, watcher, process)
            if release is not None:
                await release()
        await lab.settle(watcher)
        trial.killed_at = watcher.seen.killed

        # After the kill: the state before the job or the clean run's, nothing in between.
        state = await operation.state(conn)
        trial.committed = state == after
        trial.phase = watcher.seen.phase(trial.committed).value
        if state not in (before, after):
            trial.problems.append(
                f"killed: a half state: {_differences(state, before)} (against the state before)"
            )
        trial.problems += [f"killed: {name} ({count})" for name, count in (await violations(conn)).items()]
        files = await final_runs(conn)
        trial.problems += [f"killed: {p}" for p in operation.check_killed(workdir, trial.committed, files)]
        trial.staged_file = (
            trial.committed and operation.name == "export" and not (workdir / "拨付清单.xlsx").exists()
        )

        # Run again to completion: the clean run's end state (plus a no-op record when it was done).
        rerun_started = time.monotonic()
        result = await asyncio.to_thread(lab.run_cli, operation.args(workdir), url, workdir)
        trial.rerun_seconds = round(time.monotonic() - rerun_started, 2)
        trial.problems += [f"re-run: {p}" for p in operation.check_rerun(result, trial.committed, added)]
        wanted = after | {key: after[key] + 1 for key in operation.bookkeeping if trial.committed}
        final = await operation.state(conn)
        if final != wanted:
            trial.problems.append(f"re-run: not the clean run's state: {_differences(final, wanted)}")
        trial.problems += [f"re-run: {name} ({count})" for name, count in (await violations(conn)).items()]
        trial.problems += [
            f"re-run: {p}" for p in operation.check_rerun_files(workdir, await final_runs(conn))
        ]
    finally:
        await conn.close()


__all__ = ["Figures", "Files", "Trial", "run_trials"]

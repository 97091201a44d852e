"""kill -9 of `tidu` during an import commit, a year evaluation, a final 拨付清单 and an award
computation: the registry is left as before or as after, never in between, and the command run
again ends where a clean run ends.

TIDU_FAULT_TRIALS trials per operation (default 5: part of every test run); `make faults` runs only
these with TIDU_FAULT_TRIALS=20 and writes benchmarks/results/faults.{json,md}. Each test's trials
kill at four kinds of point in turn (lab.Strategy): while the job waits on a lock the trial holds
on audit_log with all its rows written; a varied delay after its first written row; a varied delay
after the start; and right after its commit shows. Where each kill landed is reported, not required.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from backend.cli import upgrade_database
from backend.core.config import Settings
from tests.faults import lab
from tests.faults.operations import OPERATIONS, Context, Operation, write_workbook
from tests.faults.report import record, report_path
from tests.faults.trials import run_trials

pytestmark = pytest.mark.faults

TRIALS = int(os.environ.get("TIDU_FAULT_TRIALS", "5"))
FIRMS = int(os.environ.get("TIDU_FAULT_FIRMS", "1000"))
ROWS = int(os.environ.get("TIDU_FAULT_ROWS", "10000"))  # import workbook: new firms, one filing each


@dataclass
class Lab:
    """This worker's demo registry (a template database) and the operations' starting points."""

    server: str
    prefix: str
    root: Path
    context: Context | None = None
    templates: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"{self.prefix}_demo"

    async def demo(self) -> Context:
        """Migrate, then `tidu demo --firms FIRMS` (the real command): built once per worker."""
        if self.context is not None:
            return self.context
        url = await lab.create_empty(self.server, self.base)
        await upgrade_database(url, Settings(database_url=url))
        loaded = lab.run_cli(["demo", "--firms", str(FIRMS), "--seed", "7"], url, self.root)
        assert loaded.returncode == 0, loaded.stderr
        year = int(await lab.fetchval(url, "SELECT max(year) FROM award"))
        workbook = self.root / "申报汇总.xlsx"
        await asyncio.to_thread(write_workbook, workbook, ROWS, year - 1)
        self.context = Context(year=year, workbook=workbook, workbook_rows=ROWS)
        return self.context

    async def template(self, operation: Operation) -> str:
        """The operation's starting database: the demo registry, prepared by the operation."""
        name = f"{self.prefix}_{operation.name}"
        if name not in self.templates:
            url = await lab.clone(self.server, self.base, name)
            await operation.prepare(url, self.root)
            self.templates[name] = url
        return name


@pytest.fixture(scope="session")
async def fault_lab(
    postgres_server: str, worker_name: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Lab]:
    found = Lab(postgres_server, f"tidu_faults_{worker_name}", tmp_path_factory.mktemp("faults"))
    try:
        yield found
    finally:
        for name in [*found.templates, found.base]:
            await lab.drop(postgres_server, name)


@pytest.mark.parametrize("kind", OPERATIONS, ids=[kind.name for kind in OPERATIONS])
async def test_kill_9_leaves_before_or_after_and_the_job_runs_again(
    kind: type[Operation], fault_lab: Lab, tmp_path: Path
) -> None:
    context = await fault_lab.demo()
    operation = kind(context)
    template = await fault_lab.template(operation)
    figures = await run_trials(
        operation, server=fault_lab.server, template=template, prefix=f"{template}_run", trials=TRIALS,
        workdir=tmp_path,
    )  # fmt: skip
    path = report_path()
    if path is not None:
        record(path, figures.summary(), {"trials": TRIALS, "demo firms": FIRMS, "workbook rows": ROWS})
    failed = [(t.number, t.strategy, t.phase, t.problems) for t in figures.trials if t.problems]
    assert not failed, "\n".join(
        f"trial {n} ({s}, killed {p}): {'; '.join(found)}" for n, s, p, found in failed
    )

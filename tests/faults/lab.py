"""The machinery of a kill -9 trial: databases cloned from a template, the real `tidu` command in its
own process, a watcher that reads the server's view of it (pg_stat_activity), and SIGKILL.

Nothing here knows an operation; ``operations.py`` says what each one runs and what "consistent"
means for it. Every wait has a deadline, but no assertion depends on how long anything took:
where a kill lands is observed and reported, never required.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

import asyncpg

from backend.core.config import libpq_url
from tests.support import recreate, with_database

CLI_APPLICATION = "tidu-cli"  # application_name of every `tidu` command's connections
POLL = 0.005  # seconds between two looks at the server, while waiting for a phase
DEADLINE = 300.0  # seconds any one wait may take before the trial fails as stuck
LOG = "run.log"  # the watched run's output, in its working directory


# -- databases ------------------------------------------------------------------------------------


async def connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(libpq_url(url))


async def _maintenance(server: str) -> asyncpg.Connection:
    return await connect(with_database(server, "postgres"))


async def clone(server: str, template: str, name: str) -> str:
    """``CREATE DATABASE name TEMPLATE template``: a copy in a fraction of a second; its URL.

    The template must have no session; the server drops a finished client's backend shortly
    after it disconnects, so "being accessed by other users" is retried for a while.
    """
    conn = await _maintenance(server)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        deadline = time.monotonic() + 60
        while True:
            try:
                await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                break
            except asyncpg.ObjectInUseError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)
    finally:
        await conn.close()
    return with_database(server, name)


async def create_empty(server: str, name: str) -> str:
    await recreate(server, name)
    return with_database(server, name)


async def drop(server: str, name: str) -> None:
    await recreate(server, name, drop_only=True)


async def fetchval(url: str, query: str, *args: Any) -> Any:
    conn = await connect(url)
    try:
        return await conn.fetchval(query, *args)
    finally:
        await conn.close()


# -- the command ----------------------------------------------------------------------------------


def cli_env(database_url: str, data_dir: Path) -> dict[str, str]:
    """This environment without anything that points tidu elsewhere, plus the trial's database."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TIDU_") and key not in ("DATABASE_URL", "TEST_DATABASE_URL")
    }
    return env | {
        "DATABASE_URL": database_url,
        "TIDU_DATA_DIR": str(data_dir),
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }


def cli_command(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "backend", *args]


def run_cli(args: list[str], database_url: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    """The command to completion, as an operator would run it again."""
    return subprocess.run(
        cli_command(args), cwd=workdir, env=cli_env(database_url, workdir),
        capture_output=True, text=True, timeout=DEADLINE, check=False,
    )  # fmt: skip


# -- watching and killing ---------------------------------------------------------------------------


class Phase(StrEnum):
    """How far the command had got when it was killed, as the server saw it (and the outcome told)."""

    before_transaction = "before_transaction"  # starting up, connecting, or between transactions
    before_writes = "in_transaction_before_writes"  # reading, computing or writing its file, no row yet
    mid_write = "mid_write"  # rows written in an open transaction (a transaction id assigned)
    after_commit = "after_commit"  # its transaction had committed; the process was still winding up
    after_exit = "after_exit"  # it had finished before the kill was sent


class Strategy(StrEnum):
    """When a trial sends SIGKILL."""

    blocked = "blocked"  # while the job waits on a lock the trial holds on audit_log: all its rows written
    writing = "writing"  # a varied delay after its transaction wrote its first row
    anytime = "anytime"  # a varied delay after it connected, across all its database work and after
    committed = "committed"  # as soon as its commit is visible: in the winding up after it


STRATEGIES = tuple(Strategy)


def plan(trials: int) -> list[tuple[Strategy, float]]:
    """Each trial's strategy (round robin) and its fraction, spread evenly over the strategy's trials."""
    chosen = [STRATEGIES[i % len(STRATEGIES)] for i in range(trials)]
    spread = []
    for i, strategy in enumerate(chosen):
        nth, of = chosen[:i].count(strategy), chosen.count(strategy)
        spread.append((strategy, (nth + 0.5) / of))
    return spread


class Look(NamedTuple):
    """One look at the command from the server."""

    connected: bool
    in_transaction: bool
    wrote: bool  # its transaction holds a transaction id: it has written (or row-locked) something
    blocked: bool  # ... and waits for a lock
    committed: bool  # the job's rows are visible to others


@dataclass
class Seen:
    """What the watcher saw of the command, in seconds after it was started."""

    connected: float | None = None
    in_transaction: float | None = None
    wrote: float | None = None
    committed: float | None = None
    killed: float | None = None
    last: Look | None = None  # the look just before the kill

    def phase(self, committed_after_kill: bool) -> Phase:
        if self.killed is None:
            return Phase.after_exit
        if committed_after_kill:
            return Phase.after_commit
        if self.last is not None and self.last.wrote:
            return Phase.mid_write
        if self.last is not None and self.last.in_transaction:
            return Phase.before_writes
        return Phase.before_transaction


_ACTIVITY = f"""
SELECT coalesce(bool_or(xact_start IS NOT NULL), false),
       coalesce(bool_or(backend_xid IS NOT NULL), false),
       coalesce(bool_or(backend_xid IS NOT NULL AND wait_event_type = 'Lock'), false),
       ({{committed}}),
       count(*)
FROM pg_stat_activity WHERE datname = $1 AND application_name = '{CLI_APPLICATION}'
"""


@dataclass
class Watcher:
    """Looks at the trial's database from outside: the command's backends, and whether its commit shows.

    One statement per look: the server's activity view and the job's own rows, seen together.
    """

    conn: asyncpg.Connection
    database: str
    committed_sql: str  # a boolean expression: true once the job's transaction is visible
    started: float = field(default_factory=time.monotonic)
    seen: Seen = field(default_factory=Seen)

    async def look(self) -> Look:
        row = await self.conn.fetchrow(_ACTIVITY.format(committed=self.committed_sql), self.database)
        assert row is not None
        in_transaction, wrote, blocked, committed = (bool(v) for v in row[:4])
        connected = int(row[4]) > 0
        now = time.monotonic() - self.started
        if connected and self.seen.connected is None:
            self.seen.connected = now
        if in_transaction and self.seen.in_transaction is None:
            self.seen.in_transaction = now
        if wrote and self.seen.wrote is None:
            self.seen.wrote = now
        if committed and self.seen.committed is None:
            self.seen.committed = now
        self.seen.last = Look(connected, in_transaction, wrote, blocked, committed)
        return self.seen.last

    async def backends(self) -> int:
        row = await self.conn.fetchrow(_ACTIVITY.format(committed="false"), self.database)
        assert row is not None
        return int(row[4])


@asynccontextmanager
async def holding_audit_log(url: str) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """A transaction that holds audit_log against inserts (reads still pass); yields its release.

    Every job writes its audit row last, so it waits here with everything else written.
    """
    conn = await connect(url)
    transaction = conn.transaction()
    await transaction.start()
    await conn.execute("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE")
    released = False

    async def release() -> None:
        nonlocal released
        if not released:
            released = True
            await transaction.rollback()

    try:
        yield release
    finally:
        await release()
        await conn.close()


@dataclass(frozen=True)
class Timing:
    """From a clean run: start to exit, first connection to exit, and first written row to visible commit."""

    total: float
    connected: float
    writing: float


async def start(args: list[str], database_url: str, workdir: Path) -> asyncio.subprocess.Process:
    log = workdir / LOG
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(
            *cli_command(args), cwd=workdir, env=cli_env(database_url, workdir), stdout=out, stderr=out
        )


async def _until(
    watcher: Watcher, process: asyncio.subprocess.Process, ready: Callable[[Look], bool],
    *, pause: float = POLL,
) -> bool:  # fmt: skip
    """Look until ``ready`` says so (True) or the process exits (False)."""
    deadline = time.monotonic() + DEADLINE
    while process.returncode is None:
        if ready(await watcher.look()):
            return True
        if time.monotonic() > deadline:
            raise AssertionError(f"the command never reached the kill point in {DEADLINE:.0f} s")
        if pause:
            await asyncio.sleep(pause)
    return False


async def _sleep_until(watcher: Watcher, process: asyncio.subprocess.Process, at: float) -> bool:
    """Sleep until ``at`` seconds after the start (looking now and then); False if it exited first."""
    while process.returncode is None:
        left = at - (time.monotonic() - watcher.started)
        if left <= 0:
            await watcher.look()  # the phase it is in, right before the kill
            return process.returncode is None
        await asyncio.sleep(min(left, 0.05))
    return False


async def kill_when(
    strategy: Strategy, fraction: float, timing: Timing, watcher: Watcher, process: asyncio.subprocess.Process
) -> None:
    """Send SIGKILL at the strategy's point (unless the command finished first); wait for the process."""
    waiter = asyncio.ensure_future(process.wait())
    try:
        seen = watcher.seen
        if strategy is Strategy.blocked:
            due = await _until(watcher, process, lambda look: look.blocked)
        elif strategy is Strategy.writing:
            due = await _until(
                watcher, process, lambda look: look.wrote or look.committed
            ) and await _sleep_until(
                watcher, process, (seen.wrote or seen.committed or 0) + fraction * timing.writing
            )
        elif strategy is Strategy.anytime:
            due = await _until(watcher, process, lambda look: look.connected) and await _sleep_until(
                watcher, process, (seen.connected or 0) + fraction * timing.connected
            )
        else:  # committed: look every millisecond once it writes, the winding up is short
            due = await _until(watcher, process, lambda look: look.wrote or look.committed) and await _until(
                watcher, process, lambda look: look.committed, pause=0.001
            )
        if due and process.returncode is None:
            process.send_signal(signal.SIGKILL)
            watcher.seen.killed = time.monotonic() - watcher.started
    finally:
        await asyncio.wait_for(waiter, DEADLINE)
    if watcher.seen.killed is not None:
        assert process.returncode == -signal.SIGKILL, f"exit {process.returncode} after SIGKILL"


async def settle(watcher: Watcher) -> None:
    """Until the server has ended the dead command's backends (and rolled back what they held)."""
    deadline = time.monotonic() + DEADLINE
    while await watcher.backends():
        if time.monotonic() > deadline:
            raise AssertionError("the killed command's backends outlived it")
        await asyncio.sleep(0.02)


async def clean_run(
    args: list[str], database_url: str, database: str, committed_sql: str, workdir: Path
) -> tuple[Timing, int]:
    """The command to completion with the watcher on: how long it takes and how long it writes."""
    conn = await connect(database_url)
    try:
        process = await start(args, database_url, workdir)
        watcher = Watcher(conn, database, committed_sql)
        await _until(watcher, process, lambda look: look.committed)
        code = await asyncio.wait_for(process.wait(), DEADLINE)
        total = time.monotonic() - watcher.started
    finally:
        await conn.close()
    seen = watcher.seen
    writing = (seen.committed or total) - (seen.wrote if seen.wrote is not None else total)
    connected = total - (seen.connected if seen.connected is not None else 0.0)
    return Timing(total=total, connected=connected, writing=max(writing, 0.0)), code

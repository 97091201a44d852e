"""Two real `tidu scheduler` processes on one database: one leads, each fire runs once, a killed
leader is replaced. Slow by nature (the inbox is polled every 5 s): about a minute."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from backend.core.config import libpq_url
from tests.factories.firms import new_uscc
from tests.importers import workbooks as wb

ROOT = Path(__file__).resolve().parents[3]
POLL = 5


@pytest.fixture
def schedulers(scratch_database: str, tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    env = os.environ | {"DATABASE_URL": scratch_database, "TIDU_DATA_DIR": str(tmp_path),
                        "TIDU_INBOX_POLL_SECONDS": str(POLL)}  # fmt: skip
    processes = [
        subprocess.Popen([sys.executable, "-m", "backend", "scheduler"], cwd=ROOT, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(2)
    ]  # fmt: skip
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


async def fetch(url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(libpq_url(url))
    try:
        return list(await connection.fetch(query, *args))
    finally:
        await connection.close()


async def wait_for(check: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


async def inbox_runs(url: str) -> list[asyncpg.Record]:
    return await fetch(
        url, "SELECT fire_time, worker, status FROM job_run WHERE job_id = 'inbox' ORDER BY fire_time"
    )


async def test_two_schedulers_run_each_fire_once_and_a_dead_leader_is_replaced(
    schedulers: list[subprocess.Popen[bytes]], scratch_database: str, tmp_path: Path
) -> None:
    url = scratch_database
    await wait_for(lambda: _any(inbox_runs(url)), 60, "the first inbox run")
    inbox = tmp_path / "inbox" / "jinghai"
    header = ["统一社会信用代码", "企业名称", "注册日期", "会计年度", "营业收入（万元）"]
    dropped = inbox / "申报.xlsx"
    dropped.write_bytes(wb.xlsx_rows([header, [new_uscc(), "天津调度测试有限公司", "2021-01-01", 2024, 300]]))
    os.utime(dropped, (time.time() - 60, time.time() - 60))
    await wait_for(lambda: _exists(inbox / "done", "*申报.xlsx"), 60, "the file to be filed")
    await asyncio.sleep(POLL + 1)

    runs = await inbox_runs(url)
    leaders = {r["worker"] for r in runs}
    assert len(leaders) == 1, runs  # one process schedules; the other waits for the lock
    assert len({r["fire_time"] for r in runs}) == len(runs)  # every fire time once
    imports = await fetch(url, "SELECT status, source FROM import_run")
    assert [tuple(r) for r in imports] == [("committed", "inbox")]

    leader_pid = int(leaders.pop().rsplit(":", 1)[1])
    os.kill(leader_pid, signal.SIGKILL)
    survivor = next(p for p in schedulers if p.pid != leader_pid)

    async def taken_over() -> bool:
        return any(r["worker"].endswith(f":{survivor.pid}") for r in await inbox_runs(url))

    await wait_for(taken_over, 60, "the other scheduler to take over")
    runs = await inbox_runs(url)
    assert len({r["fire_time"] for r in runs}) == len(runs)

    survivor.send_signal(signal.SIGTERM)
    assert survivor.wait(timeout=30) == 0, survivor.stderr.read().decode() if survivor.stderr else ""


async def _any(rows: Awaitable[list[Any]]) -> bool:
    return bool(await rows)


async def _exists(folder: Path, pattern: str) -> bool:
    return await asyncio.to_thread(lambda: folder.is_dir() and any(folder.glob(pattern)))

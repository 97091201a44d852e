"""A `tidu import` killed with SIGKILL in the middle of writing leaves nothing behind; run again, it all lands."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg

from backend.core.config import libpq_url
from tests.factories.firms import new_uscc
from tests.importers import workbooks as wb

ROOT = Path(__file__).resolve().parents[3]
ROWS = 30_000


def big_filing_csv(path: Path) -> list[str]:
    usccs = [new_uscc() for _ in range(ROWS)]
    header: list[wb.Value] = [
        "统一社会信用代码",
        "企业名称",
        "注册日期",
        "会计年度",
        "营业收入（万元）",
        "职工总数",
    ]
    rows: list[list[wb.Value]] = [
        [code, f"天津中断测试{n}有限公司", "2020-01-01", 2024, 100 + n % 50, 20]
        for n, code in enumerate(usccs)
    ]
    path.write_text(wb.csv_text([header, *rows]), encoding="utf-8")
    return usccs


async def counts(url: str) -> tuple[int, int, int, int]:
    connection = await asyncpg.connect(libpq_url(url))
    try:
        row = await connection.fetchrow(
            "SELECT (SELECT count(*) FROM import_run), (SELECT count(*) FROM firm), (SELECT count(*) FROM filing), "
            "(SELECT count(*) FROM filing_revision)"
        )
        assert row is not None
        return tuple(row)
    finally:
        await connection.close()


async def wait_until_writing(url: str, process: asyncio.subprocess.Process) -> None:
    """Until the import's transaction has written something (it holds a transaction id)."""
    connection = await asyncpg.connect(libpq_url(url))
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.returncode is None:
            writing = await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tidu-cli' AND backend_xid IS NOT NULL"
            )
            if writing:
                await asyncio.sleep(0.3)  # well into the COPYs
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the import never started writing")
    finally:
        await connection.close()


async def test_a_killed_import_leaves_nothing_and_runs_again(scratch_database: str, tmp_path: Path) -> None:
    csv = tmp_path / "大批量申报.csv"
    usccs = await asyncio.to_thread(big_filing_csv, csv)
    env = os.environ | {"DATABASE_URL": scratch_database, "TIDU_DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "backend", "import", str(csv), "--bureau", "jinghai", "--json"]
    process = await asyncio.create_subprocess_exec(
        *command, cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        await wait_until_writing(scratch_database, process)
        assert process.returncode is None, "the import finished before it could be killed"
        process.send_signal(signal.SIGKILL)
    finally:
        await asyncio.wait_for(process.wait(), 30)
    assert process.returncode == -signal.SIGKILL

    async def settled() -> tuple[int, int, int, int]:
        for _ in range(100):  # the server rolls back once it sees the client gone
            connection = await asyncpg.connect(libpq_url(scratch_database))
            try:
                busy = await connection.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tidu-cli'"
                )
            finally:
                await connection.close()
            if not busy:
                break
            await asyncio.sleep(0.1)
        return await counts(scratch_database)

    assert await settled() == (0, 0, 0, 0)

    again = await asyncio.to_thread(
        subprocess.run, command, cwd=ROOT, env=env, capture_output=True, timeout=600
    )
    assert again.returncode == 0, again.stderr.decode()
    runs, firms, filings, revisions = await counts(scratch_database)
    assert (runs, firms, filings, revisions) == (1, len(usccs), len(usccs), len(usccs))

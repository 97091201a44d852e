"""A final 拨付清单 whose `tidu export` died, or that is run twice: the file finance signs is never lost
or replaced, and running the command again finishes the job instead of starting another list.

The kill between the commit and the rename is made exact: a real `tidu export` process whose
publishing step sends itself SIGKILL (the kill -9 trials of tests/faults land there by timing).
"""

from __future__ import annotations

import asyncio
import hashlib
import signal
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from backend.core.config import libpq_url
from tests.backend.lists.helpers import YEAR
from tests.backend.lists.test_cli import _fill, tidu

DIES_BEFORE_RENAMING = """
import os, signal, sys
from backend.lists import files
files.Staged.publish = lambda self: os.kill(os.getpid(), signal.SIGKILL)
from backend.cli import app
sys.argv[0] = "tidu"
app()
"""


@pytest.fixture
def filled(scratch_database: str) -> str:
    """Three approved awards of YEAR (two 静海区, one 和平区)."""
    asyncio.run(_fill(scratch_database))
    return scratch_database


def final_export(target: Path) -> list[str]:
    return ["export", "disbursement", "--year", str(YEAR), "--final", "-o", str(target)]


def killed_before_renaming(url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"DATABASE_URL": url, "COLUMNS": "200", "NO_COLOR": "1", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-c", DIES_BEFORE_RENAMING, *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=180, check=False)  # fmt: skip


async def final_runs(url: str) -> list[tuple[int, int, str]]:
    conn = await asyncpg.connect(libpq_url(url))
    try:
        rows = await conn.fetch("SELECT id, row_count, file_sha256 FROM export_run WHERE final ORDER BY id")
        return [(int(r[0]), int(r[1]), str(r[2])) for r in rows]
    finally:
        await conn.close()


async def award_states(url: str) -> list[str]:
    conn = await asyncpg.connect(libpq_url(url))
    try:
        return [
            str(r[0]) for r in await conn.fetch(f"SELECT state FROM award WHERE year = {YEAR} ORDER BY state")
        ]
    finally:
        await conn.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def staged(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.endswith(".part"))


def test_a_final_list_killed_after_its_commit_is_put_in_place_by_the_next_run(
    filled: str, tmp_path: Path
) -> None:
    target = tmp_path / "拨付清单.xlsx"
    killed = killed_before_renaming(filled, tmp_path, *final_export(target))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    [(run_id, rows, file_sha256)] = asyncio.run(final_runs(filled))
    assert rows == 3
    assert asyncio.run(award_states(filled)) == ["exported"] * 3  # committed: the awards are listed
    assert not target.exists()
    [part] = staged(tmp_path)
    assert sha256(part) == file_sha256  # the committed list, written out under its staging name

    again = tidu(filled, tmp_path, *final_export(target))

    assert again.returncode == 0, again.stderr
    assert asyncio.run(final_runs(filled)) == [(run_id, 3, file_sha256)]  # no second (empty) final list
    assert sha256(target) == file_sha256  # the list that marked the awards, byte for byte
    assert staged(tmp_path) == []
    assert f"#{run_id}" in again.stdout
    assert "补全" in again.stdout


def test_a_final_list_run_again_keeps_its_file_and_lists_nothing_twice(filled: str, tmp_path: Path) -> None:
    target = tmp_path / "拨付清单.xlsx"
    first = tidu(filled, tmp_path, *final_export(target))
    assert first.returncode == 0, first.stderr
    [(run_id, rows, file_sha256)] = asyncio.run(final_runs(filled))
    assert (rows, sha256(target)) == (3, file_sha256)

    again = tidu(filled, tmp_path, *final_export(target))

    assert again.returncode == 0, again.stderr
    assert asyncio.run(final_runs(filled)) == [(run_id, 3, file_sha256)]
    assert sha256(target) == file_sha256
    assert f"#{run_id}" in again.stdout


def test_a_final_list_is_never_written_over_an_earlier_one(filled: str, tmp_path: Path) -> None:
    target = tmp_path / "拨付清单.xlsx"
    assert tidu(filled, tmp_path, *final_export(target)).returncode == 0
    [(run_id, _, file_sha256)] = asyncio.run(final_runs(filled))
    asyncio.run(_fill(filled))  # three more approved awards wait for a final list

    refused = tidu(filled, tmp_path, *final_export(target))

    assert refused.returncode == 1
    assert f"#{run_id}" in refused.stderr
    assert "另指定" in refused.stderr
    assert sha256(target) == file_sha256
    assert asyncio.run(award_states(filled)) == ["approved"] * 3 + ["exported"] * 3
    other = tmp_path / "拨付清单-第二批.xlsx"
    assert tidu(filled, tmp_path, *final_export(other)).returncode == 0
    assert asyncio.run(award_states(filled)) == ["exported"] * 6


def test_what_an_export_that_never_committed_left_is_cleared_by_the_next(filled: str, tmp_path: Path) -> None:
    target = tmp_path / "拨付清单.xlsx"
    dead = tmp_path / f".{target.name}.0123456789abcdef.part"
    dead.write_bytes(b"PK\x03\x04 half a workbook")  # what a process killed while writing leaves

    result = tidu(filled, tmp_path, *final_export(target))

    assert result.returncode == 0, result.stderr
    assert staged(tmp_path) == []
    [(_, rows, file_sha256)] = asyncio.run(final_runs(filled))
    assert (rows, sha256(target)) == (3, file_sha256)

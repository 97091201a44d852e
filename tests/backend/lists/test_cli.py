"""`tidu export` as a subprocess against a database of its own (it commits for real)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl  # type: ignore[import-untyped, unused-ignore]
import pandas as pd
import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import Award
from tests.backend.lists.helpers import YEAR, make_award
from tests.factories.firms import make_firm
from vocabulary.states import AwardState

TIDU = Path(sys.executable).parent / "tidu"


def tidu(url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDU_") and k != "TEST_DATABASE_URL"}
    env |= {"DATABASE_URL": url, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([str(TIDU), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=180,
                          check=False)  # fmt: skip


async def _fill(url: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            for bureau, amount in (("jinghai", 120_000), ("jinghai", 80_000), ("heping", 3_000)):
                await make_award(session, await make_firm(session, bureau), amount)
            await session.commit()
    finally:
        await engine.dispose()


async def _states(url: str) -> list[str]:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with AsyncSession(engine) as session:
            return sorted((await session.exec(select(Award.state))).all())
    finally:
        await engine.dispose()


@pytest.fixture
def filled(scratch_database: str) -> str:
    asyncio.run(_fill(scratch_database))
    return scratch_database


def test_export_writes_csv_with_sidecar_then_a_final_xlsx(filled: str, tmp_path: Path) -> None:
    csv = tmp_path / "拨付清单.csv"
    result = tidu(filled, tmp_path, "export", "disbursement", "--year", str(YEAR), "-o", str(csv))
    assert result.returncode == 0, result.stderr
    assert "3 行" in result.stdout
    assert "203,000 元" in result.stdout
    assert "首份同类清单" in result.stdout
    frame = pd.read_csv(csv, encoding="utf-8-sig", dtype=str)
    assert frame["金额（元）"].astype(int).sum() == 203_000
    sidecar = json.loads((tmp_path / "拨付清单.csv.manifest.json").read_text(encoding="utf-8"))
    assert sidecar["manifest"]["row_count"] == 3
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]

    final = tmp_path / "静海正式.xlsx"
    result = tidu(filled, tmp_path, "export", "disbursement", "--year", str(YEAR), "--bureau", "jinghai",
                  "--final", "-o", str(final))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "已导出正式" in result.stdout
    book = openpyxl.load_workbook(final)
    assert book.sheetnames[1:] == ["清单说明", "变动情况"]
    assert asyncio.run(_states(filled)) == [AwardState.approved, AwardState.exported, AwardState.exported]

    again = tidu(filled, tmp_path, "export", "disbursement", "--year", str(YEAR), "-o", str(csv))
    assert again.returncode == 0, again.stderr
    assert "1 行" in again.stdout
    assert "移除 2" in again.stdout


def test_errors_exit_non_zero_with_a_chinese_message(filled: str, tmp_path: Path) -> None:
    missing = tidu(filled, tmp_path, "export", "disbursement", "-o", str(tmp_path / "x.xlsx"))
    assert missing.returncode == 1
    assert "须指定年度" in missing.stderr
    assert not (tmp_path / "x.xlsx").exists()
    unknown = tidu(filled, tmp_path, "export", "nonsense", "-o", str(tmp_path / "x.xlsx"))
    assert unknown.returncode == 2
    assert "没有“nonsense”这种清单" in unknown.stderr
    bad_bureau = tidu(filled, tmp_path, "export", "targets", "--year", "2031", "--bureau", "nowhere",
                      "-o", str(tmp_path / "t.xlsx"))  # fmt: skip
    assert bad_bureau.returncode == 1
    assert "审查单位" in bad_bureau.stderr
    assert [p.name for p in tmp_path.iterdir()] == []

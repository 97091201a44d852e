"""A firm's new name in a filing file is a rename: stored as its next revision with provenance, by upload, CLI and inbox.

Firms rename every year; a file that renames one firm while adding new firms and filings must
import whole (it crashed on commit before).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.config import Settings, libpq_url
from backend.core.db import SessionFactory
from backend.jobs.inbox import import_inboxes
from backend.jobs.runner import JobContext, run_claimed
from backend.models import Filing, Firm, FirmRevision, ImportRun
from tests.backend.imports.test_import_api import bureau_user, upload
from tests.backend.jobs.test_inbox import FIRE, drop
from tests.factories.firms import make_firm, new_uscc
from tests.importers import workbooks as wb

ROOT = Path(__file__).resolve().parents[3]
HEADER = ["统一社会信用代码", "企业名称", "注册日期", "会计年度", "营业收入（万元）"]


def renaming_file(renamed: str, new: str, *, registered_on: str = "2019-03-05") -> list[list[Any]]:
    """The renamed firm's filing and a new firm with its filing, in one sheet."""
    return [
        HEADER,
        [renamed, "天津更名后科技有限公司", registered_on, 2024, 800],
        [new, "天津同批新增科技有限公司", "2021-06-01", 2024, 300],
    ]


async def revisions(session: AsyncSession, firm_id: int) -> list[FirmRevision]:
    query = (
        select(FirmRevision).where(FirmRevision.firm_id == firm_id).order_by(col(FirmRevision.revision_no))
    )
    return list((await session.exec(query)).all())


async def test_an_uploaded_rename_is_committed_as_the_firms_next_revision(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await bureau_user(session)
    firm = await make_firm(
        session, name="天津更名前科技有限公司", legal_form="有限责任公司", tech_field="electronic_information"
    )
    newcomer = new_uscc()
    content = wb.xlsx_rows(renaming_file(firm.uscc, newcomer))

    preview = await upload(client, user, content)
    assert preview.status_code == 201, preview.text
    assert "更名 1 家" in preview.json()["run"]["summary"]
    run_id = preview.json()["run"]["id"]

    committed = await client.post(f"/api/imports/{run_id}/commit", headers=user.headers)
    assert committed.status_code == 200, committed.text
    assert committed.json()["run"]["status"] == "committed"

    await session.refresh(firm)
    assert (firm.name, firm.revision_no) == ("天津更名后科技有限公司", 2)
    old, new = await revisions(session, firm.id or 0)
    assert (old.name, new.name) == ("天津更名前科技有限公司", "天津更名后科技有限公司")
    # The rest of the identity is carried over, and the revision says where it came from.
    assert (new.legal_form, new.tech_field, new.bureau_code, new.registered_on) == (
        "有限责任公司", "electronic_information", "jinghai", date(2019, 3, 5)
    )  # fmt: skip
    assert (new.source, new.import_run_id, new.source_row, new.created_by_id) == (
        "import", run_id, 2, user.user.id
    )  # fmt: skip
    # The same file's new firm and both filings landed too.
    added = (await session.exec(select(Firm).where(Firm.uscc == newcomer))).one()
    filed = (
        await session.exec(select(Filing.firm_id).where(col(Filing.firm_id).in_([firm.id, added.id])))
    ).all()
    assert sorted(filed) == sorted([firm.id or 0, added.id or 0])

    history = await client.get(f"/api/firms/{firm.uscc}/history", headers=user.headers)
    assert [(r["name"], r["provenance"]["row"]) for r in history.json()] == [
        ("天津更名前科技有限公司", None), ("天津更名后科技有限公司", 2)
    ]  # fmt: skip


async def test_a_rename_dropped_into_the_inbox_is_imported(
    db: SessionFactory, database_url: str, tmp_path: Path, session: AsyncSession
) -> None:
    context = JobContext(db, Settings(database_url=database_url, data_dir=tmp_path), worker="test:1")
    firm = await make_firm(session, name="天津收件箱更名前有限公司")
    await session.commit()
    newcomer = new_uscc()
    drop(context, "jinghai", "更名申报.xlsx", wb.xlsx_rows(renaming_file(firm.uscc, newcomer)))

    await run_claimed(context, "inbox", FIRE, import_inboxes)

    run = (await session.exec(select(ImportRun).where(ImportRun.source == "inbox"))).one()
    assert run.status == "committed"
    assert run.counts.get("renamed_firms") == 1
    await session.refresh(firm)
    assert firm.name == "天津更名后科技有限公司"
    assert [r.name for r in await revisions(session, firm.id or 0)] == [
        "天津收件箱更名前有限公司", "天津更名后科技有限公司"
    ]  # fmt: skip
    assert (
        await session.exec(select(Firm.name).where(Firm.uscc == newcomer))
    ).one() == "天津同批新增科技有限公司"


def tidu_import(path: Path, env: dict[str, str]) -> dict[str, Any]:
    command = [sys.executable, "-m", "backend", "import", str(path), "--bureau", "jinghai", "--json"]
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


async def test_the_cli_imports_a_rename_with_new_firms_and_filings(
    scratch_database: str, tmp_path: Path
) -> None:
    env = os.environ | {"DATABASE_URL": scratch_database, "TIDU_DATA_DIR": str(tmp_path)}
    renamed, newcomer = new_uscc(), new_uscc()
    first = tmp_path / "首次申报.xlsx"
    first.write_bytes(wb.xlsx_rows([HEADER, [renamed, "天津命令行更名前有限公司", "2019-03-05", 2023, 600]]))
    tidu_import(first, env)
    second = tmp_path / "更名申报.csv"
    second.write_text(wb.csv_text(renaming_file(renamed, newcomer)), encoding="utf-8")

    result = tidu_import(second, env)

    assert result["run"]["status"] == "committed"
    connection = await asyncpg.connect(libpq_url(scratch_database))
    try:
        names = await connection.fetch(
            "SELECT r.revision_no, r.name, r.source, r.source_row FROM firm_revision r JOIN firm f ON f.id = r.firm_id "
            "WHERE f.uscc = $1 ORDER BY r.revision_no",
            renamed,
        )
        filings = await connection.fetchval(
            "SELECT count(*) FROM filing f JOIN firm ON firm.id = f.firm_id WHERE firm.uscc = ANY($1::text[])",
            [renamed, newcomer],
        )
    finally:
        await connection.close()
    assert [tuple(r) for r in names] == [
        (1, "天津命令行更名前有限公司", "import", 2),
        (2, "天津更名后科技有限公司", "import", 2),
    ]
    assert filings == 3  # 2023 and 2024 of the renamed firm, 2024 of the new one

"""Builders and readers for the export tests: awards straight into the table, files read back."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped, unused-ignore]
import pandas as pd
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.security import Actor
from backend.lists import service as export_service
from backend.lists.params import ListParams
from backend.models import Award, Firm
from vocabulary.states import AwardState, Role

CITY = Actor(user_id=None, label="test:city", role=Role.city)
FINANCE = Actor(user_id=None, label="test:finance", role=Role.finance)
PROGRAM = "rd_post_subsidy"
YEAR = 2031  # a year no other test fills
_files = itertools.count(1)


async def make_award(
    session: AsyncSession, firm: Firm, amount: int, *, state: str = AwardState.approved,
    program: str = PROGRAM, year: int = YEAR,
) -> Award:  # fmt: skip
    assert firm.id is not None
    award = Award(firm_id=firm.id, program=program, year=year, amount_yuan=amount, state=state,
                  bureau_code=firm.bureau_code)  # fmt: skip
    session.add(award)
    await session.flush()
    return award


async def db_sum(session: AsyncSession, *, year: int = YEAR, bureau: str | None = None) -> int:
    sql = "SELECT COALESCE(SUM(amount_yuan), 0) FROM award WHERE year = :y AND state = 'approved'"
    params: dict[str, Any] = {"y": year}
    if bureau is not None:
        sql += " AND bureau_code = :b"
        params["b"] = bureau
    return int((await (await session.connection()).execute(text(sql), params)).scalar_one())


@dataclass
class Written:
    run: Any
    content: bytes

    def workbook(self) -> Any:
        return openpyxl.load_workbook(io.BytesIO(self.content))

    def sheet_rows(self, index: int = 0) -> list[tuple[Any, ...]]:
        book = self.workbook()
        return list(book.worksheets[index].iter_rows(values_only=True))

    def table(self) -> tuple[list[Any], list[tuple[Any, ...]]]:
        """(header, data rows) of the list sheet: rows after the 序号 header with a number in 序号."""
        rows = self.sheet_rows()
        start = next(i for i, row in enumerate(rows) if row and row[0] == "序号")
        body = [row for row in rows[start + 1 :] if isinstance(row[0], int)]
        return list(rows[start]), body

    def labelled(self, prefix: str) -> list[tuple[Any, ...]]:
        """Rows whose first non-empty text cell starts with ``prefix`` (小计 / 合计)."""
        found = []
        for row in self.sheet_rows():
            texts = [c for c in row if isinstance(c, str)]
            if texts and texts[0].startswith(prefix):
                found.append(row)
        return found

    def frame(self) -> pd.DataFrame:
        if self.run.file_format == "csv":
            return pd.read_csv(
                io.BytesIO(self.content), encoding="utf-8-sig", dtype=str, keep_default_na=False
            )
        header, body = self.table()
        return pd.DataFrame(body, columns=header)


async def export(
    session: AsyncSession, tmp_path: Path, kind: str, params: ListParams, *, actor: Actor = CITY,
    fmt: str = "xlsx",
) -> Written:  # fmt: skip
    path = tmp_path / f"export-{next(_files)}.{fmt}"
    with path.open("w+b") as out:
        run = await export_service.export_list(session, actor, kind, params, fmt, out)
    return Written(run, path.read_bytes())

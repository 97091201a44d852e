"""拨付清单 rows streamed from a server-side cursor: same file, checked against the snapshot, fail closed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.lists import service, stream
from backend.lists.built import Streamed
from backend.lists.errors import ExportDataChanged
from backend.lists.explain import explained
from backend.lists.params import ListParams
from backend.models import Award, ExportRun
from tests.backend.lists.helpers import FINANCE, YEAR, db_sum, export, make_award
from tests.factories.firms import make_firm
from vocabulary.states import AwardState


@pytest.fixture
async def awards(session: AsyncSession) -> list[Award]:
    """Seven approved awards over two bureaus, in no particular order of creation."""
    found = []
    for bureau, amount in (("jinghai", 300), ("heping", 100), ("jinghai", 200), ("heping", 700),
                           ("jinghai", 50), ("heping", 1), ("jinghai", 9_000)):  # fmt: skip
        found.append(await make_award(session, await make_firm(session, bureau), amount))
    return found


async def _count_runs(session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(ExportRun))).one()


async def test_small_batches_give_the_same_rows_in_the_same_order(
    session: AsyncSession, tmp_path: Path, awards: list[Award], monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = await export(session, tmp_path, "disbursement", ListParams(year=YEAR))
    monkeypatch.setattr(stream, "BATCH", 2)  # seven rows: four fetches, the last one short
    batched = await export(session, tmp_path, "disbursement", ListParams(year=YEAR))
    assert batched.table() == whole.table()
    assert batched.run.rows_sha256 == whole.run.rows_sha256
    assert batched.run.snapshot == whole.run.snapshot
    assert batched.run.totals == whole.run.totals
    assert batched.run.totals["sums"]["amount_yuan"] == await db_sum(session)
    _header, body = batched.table()
    assert [row[0] for row in body] == list(range(1, 8))


@pytest.mark.parametrize("change", ["rename", "new_award", "withdrawn"])
async def test_a_change_between_snapshot_and_stream_fails_closed(
    session: AsyncSession, tmp_path: Path, awards: list[Award], monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """READ COMMITTED: the cursor's statement may see a commit the snapshot's did not. Simulated by
    changing the data in the same transaction after the snapshot was read."""
    late = await make_firm(session, "heping")

    async def explained_then_changed(*args: Any, **kwargs: Any) -> Any:
        diff = await explained(*args, **kwargs)
        connection = await session.connection()
        if change == "rename":
            await connection.execute(
                text("UPDATE firm SET name = '改名后的公司' WHERE id = :id"), {"id": awards[2].firm_id}
            )
        elif change == "new_award":
            await make_award(session, late, 5)
        else:
            await connection.execute(
                text("UPDATE award SET state = :s WHERE id = :id"),
                {"s": AwardState.rejected, "id": awards[-1].id},
            )
        return diff

    monkeypatch.setattr(service, "explained", explained_then_changed)
    before = await _count_runs(session)
    with pytest.raises(ExportDataChanged) as raised:
        await export(session, tmp_path, "disbursement", ListParams(year=YEAR, final=True), actor=FINANCE)
    assert "数据发生变化" in raised.value.detail
    assert await _count_runs(session) == before  # nothing recorded
    states = (await session.exec(select(Award.state).where(Award.id == awards[0].id))).one()
    assert states == AwardState.approved  # a final list marked nothing


class FakeCursor:
    def __init__(self, batches: list[list[int]], fail_at: int | None = None) -> None:
        self.batches, self.fail_at, self.fetches = batches, fail_at, 0

    async def fetch(self, n: int) -> list[Any]:
        self.fetches += 1
        if self.fetches == self.fail_at:
            raise RuntimeError("connection lost")
        await asyncio.sleep(0)
        return self.batches.pop(0) if self.batches else []


async def test_a_fetch_error_reaches_the_writer_thread() -> None:
    pull = stream.Pull(FakeCursor([[1, 2], [3]], fail_at=2), asyncio.get_running_loop())
    seen: list[int] = []

    def write() -> None:
        seen.extend(pull.records())

    try:
        with pytest.raises(RuntimeError, match="connection lost"):
            await asyncio.to_thread(write)
    finally:
        await pull.stop()
    assert seen == [1, 2]


async def test_a_writer_error_stops_the_fetching() -> None:
    cursor = FakeCursor([[1], [2], [3], [4]])
    pull = stream.Pull(cursor, asyncio.get_running_loop())

    def write() -> None:
        for record in pull.records():
            if record == 2:
                raise ValueError("bad value")

    try:
        with pytest.raises(ValueError, match="bad value"):
            await asyncio.to_thread(write)
    finally:
        await pull.stop()
    assert cursor.fetches == 2
    with pytest.raises(Exception, match="导出已中止"):
        next(iter(pull.records()))


def test_checked_refuses_a_different_row_or_count() -> None:
    async def never() -> Any:
        raise AssertionError

    def lines(records: Any) -> Any:
        return iter(())

    expected = [1, 2, 3]
    streamed = Streamed(never, lines, lambda i, r: expected[i] == r, len(expected))
    assert list(stream.checked([1, 2, 3], streamed)) == [1, 2, 3]
    for wrong in ([1, 3, 2], [1, 2], [1, 2, 3, 4]):
        with pytest.raises(ExportDataChanged):
            list(stream.checked(wrong, streamed))

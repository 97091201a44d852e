"""Rows from a server-side cursor to the writer thread, a batch at a time (flat in the row count).

The writer runs in a worker thread and pulls: each batch is fetched by a coroutine on the event
loop (``run_coroutine_threadsafe``), so the loop never blocks and at most one batch is in memory
besides the one being written. An error while fetching reaches the writer through ``result()``;
an error in the writer simply stops the pulling. Every record is checked against the snapshot
read before (same order, same key, label and amount): PostgreSQL gives each statement of a READ
COMMITTED transaction its own snapshot, so a change committed in between fails the export closed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from backend.lists.built import Record, Streamed
from backend.lists.errors import ExportDataChanged, ExportFailed
from backend.lists.repository import RecordCursor

BATCH = 2_000
CHANGED = "导出期间清单数据发生变化（与导出开始时读取的名单不一致），未生成文件，请重新导出"


class Pull:
    """The cursor's records, read from a worker thread; ``stop`` (on the loop) ends the pulling."""

    def __init__(
        self, cursor: RecordCursor, loop: asyncio.AbstractEventLoop, *, batch: int | None = None
    ) -> None:
        self._cursor, self._loop, self._batch = cursor, loop, batch or BATCH
        self._stopped = threading.Event()
        self._fetching: asyncio.Task[Any] | None = None

    def records(self) -> Iterator[Record]:
        """In the worker thread: every record, in the cursor's order."""
        while True:
            if self._stopped.is_set():
                raise ExportFailed("导出已中止")
            batch = asyncio.run_coroutine_threadsafe(self._fetch(), self._loop).result()
            if not batch:
                return
            yield from batch

    async def _fetch(self) -> list[Record]:
        if self._stopped.is_set():
            raise ExportFailed("导出已中止")
        self._fetching = asyncio.current_task()
        try:
            return await self._cursor.fetch(self._batch)
        finally:
            self._fetching = None

    async def stop(self) -> None:
        """On the loop, once the writer has returned or failed: no fetch runs after this."""
        self._stopped.set()
        fetching = self._fetching
        if fetching is not None:  # the writer was abandoned (cancelled) mid-fetch: let it land
            await asyncio.wait({fetching})


def checked(records: Iterable[Record], stream: Streamed) -> Iterator[Record]:
    """``records`` as they pass, each matching the snapshot's row at its position; then the count."""
    count = 0
    for index, record in enumerate(records):
        if index >= stream.count or not stream.matches(index, record):
            raise ExportDataChanged(CHANGED, row=index + 1)
        count = index + 1
        yield record
    if count != stream.count:
        raise ExportDataChanged(CHANGED, rows=count, expected=stream.count)

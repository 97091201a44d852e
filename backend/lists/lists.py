"""What every list kind builds from the database, and the dispatch by kind.

A kind returns a ``BuiltList``: its title, columns, a row stream built lazily from plain tuples
(never ORM objects), the snapshot the next export diffs against, the rule versions it used, its
grouping and — for a final 拨付清单 — the awards it lists. A kind whose lists grow with the
registry (拨付清单) reads only what the snapshot needs up front and gives a ``Streamed`` source:
the full rows come through a server-side cursor while the file is written (``stream.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.lists.params import ListKind, ListParams
from backend.lists.repository import RecordCursor
from exports.changes import SnapshotRow
from exports.columns import Column

Row = Mapping[str, Any]
Record = Any  # one asyncpg Record of a streamed query


@dataclass(frozen=True)
class Streamed:
    """Rows read while the file is written, checked one by one against what was read up front.

    ``open`` starts the server-side cursor (in the caller's transaction); ``lines`` turns its
    records into numbered rows in the writer thread; ``matches(i, record)`` says whether record
    ``i`` is the row the snapshot has at ``i``; ``count`` is how many the snapshot has.
    """

    open: Callable[[], Awaitable[RecordCursor]]
    lines: Callable[[Iterable[Record]], Iterator[Row]]
    matches: Callable[[int, Record], bool]
    count: int


@dataclass
class BuiltList:
    title: str
    columns: tuple[Column, ...]
    rows: Iterable[Row]
    snapshot: list[SnapshotRow]
    group_key: str | None = None
    group_label: str | None = None
    ruleset_versions: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    award_ids: list[int] = field(default_factory=list)  # a final 拨付清单 marks these exported
    corrections: dict[str, str | None] = field(
        default_factory=dict
    )  # key → reason, for awards that correct one
    filter_labels: dict[str, str] = field(default_factory=dict)  # Chinese label -> value, for the manifest
    stream: Streamed | None = None  # when set, ``rows`` is unused: the rows come from the cursor


def numbered(rows: Iterable[Row]) -> Iterator[Row]:
    """Rows with their 序号, counted across groups."""
    for number, row in enumerate(rows, start=1):
        yield {"no": number, **row}


def no_column() -> Column:
    return Column("no", "序号", "int", width=6)


def versions_of(pairs: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """{program: "v1、v2"} over the (program, version) pairs a list used, sorted."""
    found: dict[str, set[str]] = {}
    for program, version in pairs:
        if version:  # an award computed without a recorded rule set names none
            found.setdefault(program, set()).add(version)
    return {program: "、".join(sorted(found[program])) for program in sorted(found)}


Builder = Callable[[AsyncSession, ListParams], Awaitable[BuiltList]]


async def build_list(session: AsyncSession, kind: ListKind, params: ListParams) -> BuiltList:
    from backend.lists import kinds_money, kinds_registry, kinds_tiers

    builders: dict[ListKind, Builder] = {
        ListKind.disbursement: kinds_money.disbursement,
        ListKind.eligibility: kinds_money.eligibility,
        ListKind.certification: kinds_tiers.certification,
        ListKind.public_notice: kinds_tiers.public_notice,
        ListKind.targets: kinds_registry.targets,
        ListKind.reminders: kinds_registry.reminders,
    }
    return await builders[kind](session, params)

"""What a list builder gives back, and the helpers builders share.

A builder returns a ``BuiltList``: its title, a row stream built lazily from plain records (never
ORM objects), the snapshot the next export diffs against, the rule versions it used and — for a
final 拨付清单 — the awards it lists. Its columns, grouping and generic change reasons are the
list's spec (``vocabulary.lists``). A kind whose lists grow with the registry (拨付清单) reads only
what the snapshot needs up front and gives a ``Streamed`` source: the full rows come through a
server-side cursor while the file is written (``stream.py``).

Builders import this module; the dispatch by kind (``builders.py``) imports the builders.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.lists.params import ListParams
from backend.lists.repository import RecordCursor
from exports.changes import DiffEntry, SnapshotRow
from vocabulary.lists import ListSpec

Row = Mapping[str, Any]
Record = Any  # one asyncpg Record of a streamed query, read by column name
Reasons = dict[tuple[str, str], str]  # (change, key) → why
# Why lines changed, looked up once for all changed keys; lines it leaves out get the spec's texts.
Explain = Callable[[AsyncSession, ListSpec, Sequence[DiffEntry]], Awaitable[Reasons]]


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
    rows: Iterable[Row]
    snapshot: list[SnapshotRow]
    ruleset_versions: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    award_ids: list[int] = field(default_factory=list)  # a final 拨付清单 marks these exported
    filter_labels: dict[str, str] = field(default_factory=dict)  # Chinese label -> value, for the manifest
    stream: Streamed | None = None  # when set, ``rows`` is unused: the rows come from the cursor
    explain: Explain | None = None  # none: every change gets the spec's generic text


Builder = Callable[[AsyncSession, ListParams], Awaitable[BuiltList]]


def numbered(rows: Iterable[Row]) -> Iterator[Row]:
    """Rows with their 序号, counted across groups."""
    for number, row in enumerate(rows, start=1):
        yield {"no": number, **row}


def versions_of(pairs: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """{program: "v1、v2"} over the (program, version) pairs a list used, sorted."""
    found: dict[str, set[str]] = {}
    for program, version in pairs:
        if version:  # an award computed without a recorded rule set names none
            found.setdefault(program, set()).add(version)
    return {program: "、".join(sorted(found[program])) for program in sorted(found)}

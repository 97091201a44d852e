"""拨付清单 (approved awards) and 评价结果 (latest decisions with the criteria in words)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.lists.lists import (
    BuiltList,
    Record,
    Row,
    Streamed,
    no_column,
    numbered,
    versions_of,
)
from backend.lists.params import ListParams
from backend.lists.repository import AwardFilter, ExportRepository, RecordCursor, Rows
from backend.models import AwardState
from backend.rulesets.service import criterion_tree, program_title
from exports.changes import SnapshotRow
from exports.columns import Column
from rules.ruleset import CompiledCriterion
from vocabulary.states import OUTCOME_LABELS

DISBURSEMENT_COLUMNS = (
    no_column(),
    Column("bureau_name", "审查单位", "text", width=16),
    Column("uscc", "统一社会信用代码", "text", width=22),
    Column("name", "企业名称", "text", width=36),
    Column("program_title", "资助项目", "text", width=24),
    Column("year", "年度", "int", width=8),
    Column("amount_yuan", "金额（元）", "yuan", width=16),
    Column("amount_yuan", "金额大写", "capitals", width=30),
    Column("ruleset", "规则版本", "text", width=12),
    Column("note", "备注", "text", width=10),
)
ELIGIBILITY_COLUMNS = (
    no_column(),
    Column("bureau_name", "审查单位", "text", width=16),
    Column("uscc", "统一社会信用代码", "text", width=22),
    Column("name", "企业名称", "text", width=36),
    Column("program_title", "评价项目", "text", width=24),
    Column("outcome", "评价结果", "text", width=10),
    Column("failed", "未通过条件", "text", width=48),
    Column("unknown", "资料不全条件", "text", width=40),
    Column("ruleset", "规则版本", "text", width=12),
)
# The list finance signs: approved awards only, so a final list can never carry an unapproved one.
LISTED_AWARD_STATES = (AwardState.approved.value,)
FACTS_BATCH = 5_000


def award_key(uscc: str, program: str, year: int) -> str:
    """One award line across corrections (a correction is a new award row, same key)."""
    return f"{uscc}/{program}/{year}"


async def disbursement(session: AsyncSession, params: ListParams) -> BuiltList:
    """Reads only the snapshot's facts now; the rows are streamed when the file is written."""
    assert params.year is not None
    repo = ExportRepository(session)
    listed = AwardFilter(params.year, params.program, params.bureau, LISTED_AWARD_STATES)
    snapshot: list[SnapshotRow] = []
    award_ids: list[int] = []
    versions: set[tuple[str, str | None]] = set()
    corrections: dict[str, str | None] = {}  # key → reason, for awards that correct one
    facts = await repo.award_facts(listed)
    while batch := await facts.fetch(FACTS_BATCH):  # a batch at a time: only the snapshot is kept
        for r in batch:
            snapshot.append(_award_snapshot(r))
            award_ids.append(int(r[0]))
            versions.add((r[3], r[6]))
            if r[7] is not None:
                corrections[snapshot[-1].key] = r[8]

    def matches(index: int, record: Record) -> bool:
        """Same award, key, label and amount as the snapshot's row ``index``, and a version it named."""
        return (
            int(record[0]) == award_ids[index]
            and _award_snapshot(record) == snapshot[index]
            and (record[3], record[6]) in versions
        )

    async def open_lines() -> RecordCursor:
        return await repo.award_lines(listed)

    scope = program_title(params.program) if params.program else "科技型企业"
    return BuiltList(
        title=f"{params.year}年度{scope}资金拨付清单",
        columns=DISBURSEMENT_COLUMNS,
        rows=(),
        snapshot=snapshot,
        group_key="bureau_name",
        group_label="审查单位",
        ruleset_versions=versions_of(versions),
        notes=("金额单位：元；备注“暂定”表示计算所用的金额或门槛尚为暂定值。",),
        award_ids=award_ids,
        corrections=corrections,
        stream=Streamed(open=open_lines, lines=_award_lines, matches=matches, count=len(award_ids)),
    )


def _award_snapshot(r: Record) -> SnapshotRow:
    """From the first columns, shared by ``award_facts`` and ``award_lines`` records."""
    return SnapshotRow(award_key(r[1], r[3], r[4]), f"{r[2]}（{program_title(r[3])}）", int(r[5]))


def _award_lines(records: Iterable[Record]) -> Iterator[Row]:
    """``award_lines`` records as the file's numbered rows (in the writer thread)."""
    return numbered(_award_rows(records))


def _award_rows(records: Iterable[Record]) -> Iterator[dict[str, Any]]:
    for (_id, uscc, name, program, year, amount, version, _corrects, _reason, bureau_name,
         provisional) in records:  # fmt: skip
        yield {
            "bureau_name": bureau_name, "uscc": uscc, "name": name, "program_title": program_title(program),
            "year": year, "amount_yuan": int(amount), "ruleset": f"{program}/{version}" if version else None,
            "note": "暂定" if provisional else None,
        }  # fmt: skip


def eligibility_key(uscc: str, program: str, outcome: str) -> str:
    """An outcome change shows as the old line removed and the new one added."""
    return f"{uscc}/{program}/{outcome}"


async def eligibility(session: AsyncSession, params: ListParams) -> BuiltList:
    assert params.year is not None
    rows = await ExportRepository(session).evaluations(
        year=params.year, program=params.program, bureau=params.bureau
    )
    snapshot = [
        SnapshotRow(
            eligibility_key(r[0], r[4], r[5]),
            f"{r[1]}（{program_title(r[4])}：{OUTCOME_LABELS.get(r[5], r[5])}）",
            None if r[9] is None else int(r[9]),
        )
        for r in rows
    ]
    return BuiltList(
        title=f"{params.year}年度评价结果",
        columns=ELIGIBILITY_COLUMNS,
        rows=numbered(_evaluation_rows(rows)),
        snapshot=snapshot,
        group_key="bureau_name",
        group_label="审查单位",
        ruleset_versions=versions_of((r[4], r[7]) for r in rows),
        notes=("评价结果：合格 / 不合格 / 资料不全（缺少数据的条件既不算通过也不算未通过）。",),
    )


def _evaluation_rows(rows: Rows) -> Iterator[Row]:
    for uscc, name, _code, bureau_name, program, outcome, criteria, version, *_ in rows:
        root = criterion_tree(program, version)
        yield {
            "bureau_name": bureau_name, "uscc": uscc, "name": name, "program_title": program_title(program),
            "outcome": OUTCOME_LABELS.get(outcome, outcome), "failed": _named(criteria, "fail", root) or None,
            "unknown": _named(criteria, "unknown", root) or None, "ruleset": f"{program}/{version}",
        }  # fmt: skip


def _named(criteria: dict[str, str], verdict: str, root: CompiledCriterion | None) -> str:
    """The criteria that decided a ``verdict``, by their labels in the rule set's order, joined by "；".

    A passed criterion hides everything under it; an ``any`` group that did not pass is named
    itself (one of its options was needed, not all of them); ``all`` groups are looked into.
    """
    if root is None:  # rule set no longer loadable: ids, sorted, rather than nothing
        return "；".join(sorted(c for c, v in criteria.items() if v == verdict))
    return "；".join(_deciding(root, criteria, verdict))


def _deciding(node: CompiledCriterion, criteria: dict[str, str], verdict: str) -> Iterator[str]:
    found = criteria.get(node.id)
    if found == "pass":
        return
    if node.kind in ("test", "any", "not") or not node.children:
        if found == verdict:
            yield node.label
        return
    for child in node.children:
        yield from _deciding(child, criteria, verdict)

"""拨付清单 (approved awards) and 评价结果 (latest decisions with the criteria in words)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.lists.built import BuiltList, Record, Row, Streamed, numbered, versions_of
from backend.lists.explain import award_explainer, outcome_reasons
from backend.lists.params import ListParams
from backend.lists.repository import AwardFilter, ExportRepository, RecordCursor, Rows
from backend.rulesets.service import criterion_tree, program_title
from exports.changes import SnapshotRow
from rules.ruleset import CompiledCriterion
from vocabulary.states import OUTCOME_LABELS, AwardState

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
            award_ids.append(int(r["id"]))
            versions.add((r["program"], r["version"]))
            if r["corrects_id"] is not None:
                corrections[snapshot[-1].key] = r["reason"]

    def matches(index: int, record: Record) -> bool:
        """Same award, key, label and amount as the snapshot's row ``index``, and a version it named."""
        return (
            int(record["id"]) == award_ids[index]
            and _award_snapshot(record) == snapshot[index]
            and (record["program"], record["version"]) in versions
        )

    async def open_lines() -> RecordCursor:
        return await repo.award_lines(listed)

    scope = program_title(params.program) if params.program else "科技型企业"
    return BuiltList(
        title=f"{params.year}年度{scope}资金拨付清单",
        rows=(),
        snapshot=snapshot,
        ruleset_versions=versions_of(versions),
        notes=("金额单位：元；备注“暂定”表示计算所用的金额或门槛尚为暂定值。",),
        award_ids=award_ids,
        stream=Streamed(open=open_lines, lines=_award_lines, matches=matches, count=len(award_ids)),
        explain=award_explainer(corrections),
    )


def _award_snapshot(r: Record) -> SnapshotRow:
    """From the columns ``award_facts`` and ``award_lines`` records share."""
    key = award_key(r["uscc"], r["program"], r["year"])
    return SnapshotRow(key, f"{r['name']}（{program_title(r['program'])}）", int(r["amount_yuan"]))


def _award_lines(records: Iterable[Record]) -> Iterator[Row]:
    """``award_lines`` records as the file's numbered rows (in the writer thread)."""
    return numbered(_award_rows(records))


def _award_rows(records: Iterable[Record]) -> Iterator[dict[str, Any]]:
    for r in records:
        program, version = r["program"], r["version"]
        yield {
            "bureau_name": r["bureau_name"], "uscc": r["uscc"], "name": r["name"],
            "program_title": program_title(program), "year": r["year"], "amount_yuan": int(r["amount_yuan"]),
            "ruleset": f"{program}/{version}" if version else None, "note": "暂定" if r["provisional"] else None,
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
            eligibility_key(r.uscc, r.program, r.outcome),
            f"{r.name}（{program_title(r.program)}：{OUTCOME_LABELS.get(r.outcome, r.outcome)}）",
            None if r.amount_yuan is None else int(r.amount_yuan),
        )
        for r in rows
    ]
    outcomes = " / ".join(OUTCOME_LABELS.values())
    return BuiltList(
        title=f"{params.year}年度评价结果",
        rows=numbered(_evaluation_rows(rows)),
        snapshot=snapshot,
        ruleset_versions=versions_of((r.program, r.version) for r in rows),
        notes=(f"评价结果：{outcomes}（缺少数据的条件既不算通过也不算未通过）。",),
        explain=outcome_reasons,
    )


def _evaluation_rows(rows: Rows) -> Iterator[Row]:
    for r in rows:
        program, criteria = r.program, r.criteria
        root = criterion_tree(program, r.version)
        yield {
            "bureau_name": r.bureau_name, "uscc": r.uscc, "name": r.name, "program_title": program_title(program),
            "outcome": OUTCOME_LABELS.get(r.outcome, r.outcome), "failed": _named(criteria, "fail", root) or None,
            "unknown": _named(criteria, "unknown", root) or None, "ruleset": f"{program}/{r.version}",
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

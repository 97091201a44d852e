"""Why a list changed since the previous export, in Chinese, from what the database says now.

A list's builder may give an ``Explain`` that looks reasons up once for all changed keys (the
diff itself is pure and synchronous); every change it leaves out gets its spec's generic text.
The explainers of the lists that have their own are here, below the builders that name them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.lists.built import BuiltList, Explain, Reasons
from backend.lists.repository import ExportRepository
from exports.changes import Diff, DiffEntry
from vocabulary.lists import ListSpec
from vocabulary.states import AWARD_STATE_LABELS, OUTCOME_LABELS, TIER_STATE_LABELS, AwardState


async def explained(session: AsyncSession, spec: ListSpec, built: BuiltList, diff: Diff) -> Diff:
    """``diff`` with a reason on every entry."""
    reasons = await built.explain(session, spec, diff.entries) if built.explain is not None else {}
    entries = tuple(
        replace(e, reason=reasons.get((e.change, e.key), spec.changes.text(e.change))) for e in diff.entries
    )
    return Diff(previous=diff.previous, entries=entries)


# -- 拨付清单 ---------------------------------------------------------------------------------

LISTED_HEADS = {  # (change, the listed award corrects an earlier one) → reason
    ("added", False): "新审批通过", ("added", True): "更正后审批通过",
    ("amount_changed", False): "金额重新计算", ("amount_changed", True): "已更正",
}  # fmt: skip


def award_explainer(corrections: Mapping[str, str | None]) -> Explain:
    """``corrections``: listed awards that correct an earlier one (snapshot key → the correction's
    reason), known from the list itself."""

    async def explain(session: AsyncSession, spec: ListSpec, entries: Sequence[DiffEntry]) -> Reasons:
        return await _award_reasons(session, entries, corrections)

    return explain


async def _award_reasons(
    session: AsyncSession, entries: Sequence[DiffEntry], corrections: Mapping[str, str | None]
) -> Reasons:
    """Added and changed lines are explained by the list's own rows; removed ones by the award's
    current state, looked up for those keys only."""
    reasons: Reasons = {}
    removed: dict[str, tuple[str, str, int] | None] = {}
    for entry in entries:
        if entry.change == "removed":
            removed[entry.key] = _award_key(entry.key)
            continue
        head = LISTED_HEADS[(entry.change, entry.key in corrections)]
        because = corrections.get(entry.key)
        reasons[(entry.change, entry.key)] = f"{head}：{because}" if because else head
    history: dict[tuple[str, str, int], list[Any]] = {}
    for row in await ExportRepository(session).award_history([k for k in removed.values() if k is not None]):
        history.setdefault((row.uscc, row.program, int(row.year)), []).append(row)  # newest first
    for text_key, key in removed.items():
        awards = history.get(key, []) if key is not None else []
        live = next((a for a in awards if a.state != AwardState.superseded), awards[0] if awards else None)
        reasons[("removed", text_key)] = _removed_reason(live)
    return reasons


def _award_key(key: str) -> tuple[str, str, int] | None:
    parts = key.split("/")
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    return parts[0], parts[1], int(parts[2])


def _removed_reason(live: Any) -> str:
    if live is None:
        return "奖励记录已不存在"
    state, run_id = live.state, live.export_run_id
    why = live.event_reason or live.reason or ""
    if state == AwardState.rejected:
        return f"已驳回：{why or '未注明理由'}"
    if state == AwardState.exported:
        return f"已列入正式拨付清单（导出记录 #{run_id}）" if run_id else "已列入正式拨付清单"
    if state == AwardState.paid:
        return AWARD_STATE_LABELS[AwardState.paid]
    if state == AwardState.approved:
        return "不再符合本清单的筛选条件（如审查单位变更）"
    label = AWARD_STATE_LABELS.get(state, state)
    return f"退回审核（当前状态：{label}）" + (f"：{why}" if why else "")


# -- 入库名单 / 公示名单 ----------------------------------------------------------------------


def member_explainer(batch_id: int) -> Explain:
    """Added members get the spec's text; the others their state now in the batch and its reason."""

    async def explain(session: AsyncSession, spec: ListSpec, entries: Sequence[DiffEntry]) -> Reasons:
        return await _member_reasons(session, batch_id, entries)

    return explain


async def _member_reasons(session: AsyncSession, batch_id: int, entries: Sequence[DiffEntry]) -> Reasons:
    usccs = sorted({e.key.split("/")[0] for e in entries})
    states = {
        f"{row.uscc}/{row.tier}": (row.state, row.reason)
        for row in await ExportRepository(session).tier_states(batch_id, usccs)
    }
    reasons: Reasons = {}
    for entry in entries:
        if entry.change == "added":
            continue
        state, reason = states.get(entry.key, (None, None))
        text = TIER_STATE_LABELS.get(state, state) if state else "已不在本批次"
        reasons[(entry.change, entry.key)] = f"{text}：{reason}" if reason else text
    return reasons


# -- 评价结果 ---------------------------------------------------------------------------------


async def outcome_reasons(session: AsyncSession, spec: ListSpec, entries: Sequence[DiffEntry]) -> Reasons:
    """Keys are uscc/program/outcome: a changed outcome is one line removed and one added."""
    outcomes: dict[tuple[str, str], dict[str, str]] = {}
    for entry in entries:
        uscc, program, outcome = [*entry.key.split("/"), "", "", ""][:3]
        outcomes.setdefault((uscc, program), {})[entry.change] = OUTCOME_LABELS.get(outcome, outcome)
    reasons: Reasons = {}
    for entry in entries:
        uscc, program = [*entry.key.split("/"), "", ""][:2]
        seen = outcomes[(uscc, program)]
        if "added" in seen and "removed" in seen:
            text = f"评价结果由“{seen['removed']}”变为“{seen['added']}”"
        elif entry.change == "added":
            text = f"新评价：{seen['added']}"
        elif entry.change == "removed":
            text = "不再在本清单范围内（评价记录或审查单位变化）"
        else:
            text = "奖励金额重新计算"
        reasons[(entry.change, entry.key)] = text
    return reasons

"""Why a list changed since the previous export, in Chinese, from what the database says now.

Reasons are looked up once for all changed keys (the diff itself is pure and synchronous).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.lists.kinds_tiers import state_label
from backend.lists.params import ListKind, ListParams
from backend.lists.repository import ExportRepository
from backend.models import AWARD_STATE_LABELS, AwardState
from exports.changes import Diff, DiffEntry
from vocabulary.states import OUTCOME_LABELS

GENERIC = {
    ListKind.targets: {
        "added": "新增目标",
        "removed": "目标已删除",
        "amount_changed": "登记库数据更新，实际值变化",
    },
    ListKind.reminders: {"added": "新增提醒", "removed": "已办理或不再需要提醒", "amount_changed": ""},
}


async def explained(
    session: AsyncSession,
    kind: ListKind,
    params: ListParams,
    diff: Diff,
    corrections: Mapping[str, str | None],
) -> Diff:
    """``diff`` with a reason on every entry. ``corrections``: listed awards that correct an
    earlier one (snapshot key → the correction's reason), known from the list itself."""
    if kind is ListKind.disbursement:
        reasons = await _award_reasons(session, diff.entries, corrections)
    elif kind in (ListKind.certification, ListKind.public_notice):
        assert params.batch is not None
        reasons = await _member_reasons(session, kind, params.batch, diff.entries)
    elif kind is ListKind.eligibility:
        reasons = _outcome_reasons(diff.entries)
    else:
        reasons = {(e.change, e.key): GENERIC[kind][e.change] for e in diff.entries}
    entries = tuple(replace(e, reason=reasons.get((e.change, e.key), "")) for e in diff.entries)
    return Diff(previous=diff.previous, entries=entries)


Reasons = dict[tuple[str, str], str]
LISTED_HEADS = {  # (change, the listed award corrects an earlier one) → reason
    ("added", False): "新审批通过", ("added", True): "更正后审批通过",
    ("amount_changed", False): "金额重新计算", ("amount_changed", True): "已更正",
}  # fmt: skip


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
        history.setdefault((row[0], row[1], int(row[2])), []).append(row)  # newest first
    for text_key, key in removed.items():
        awards = history.get(key, []) if key is not None else []
        live = next((a for a in awards if a[4] != AwardState.superseded), awards[0] if awards else None)
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
    _uscc, _program, _year, _id, state, _amount, reason, _corrects_id, run_id, event_reason = live
    why = event_reason or reason or ""
    if state == AwardState.rejected:
        return f"已驳回：{why or '未注明理由'}"
    if state == AwardState.exported:
        return f"已列入正式拨付清单（导出记录 #{run_id}）" if run_id else "已列入正式拨付清单"
    if state == AwardState.paid:
        return "已拨付"
    if state == AwardState.approved:
        return "不再符合本清单的筛选条件（如审查单位变更）"
    label = AWARD_STATE_LABELS.get(AwardState(state), state) if state in AwardState else state
    return f"退回审核（当前状态：{label}）" + (f"：{why}" if why else "")


async def _member_reasons(
    session: AsyncSession, kind: ListKind, batch_id: int, entries: Sequence[DiffEntry]
) -> Reasons:
    usccs = sorted({e.key.split("/")[0] for e in entries})
    states = {
        f"{uscc}/{tier}": (state, reason)
        for uscc, tier, state, reason in await ExportRepository(session).tier_states(batch_id, usccs)
    }
    added = "新入库" if kind is ListKind.certification else "列入公示"
    reasons: Reasons = {}
    for entry in entries:
        if entry.change == "added":
            reasons[(entry.change, entry.key)] = added
            continue
        state, reason = states.get(entry.key, (None, None))
        text = state_label(state) if state else "已不在本批次"
        reasons[(entry.change, entry.key)] = f"{text}：{reason}" if reason else text
    return reasons


def _outcome_reasons(entries: Sequence[DiffEntry]) -> Reasons:
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

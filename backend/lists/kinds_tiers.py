"""入库名单 and 公示名单 of one admission batch.

公示名单: every member that went on 公示 in this batch — those in ``public_notice`` now, and
those that have since moved on (admitted, or rejected after an objection), with their current
state in 备注. A 公示名单 is a record of who was announced: exported after the batch is
admitted it is still the list that was published, not a shrinking one. 入库名单: members admitted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.lists.built import BuiltList, numbered
from backend.lists.errors import ExportNotFound
from backend.lists.explain import member_explainer
from backend.lists.params import ListParams
from backend.lists.repository import ExportRepository, Rows
from exports.changes import SnapshotRow
from vocabulary.ladder import TIER_LABELS
from vocabulary.lists import FILTERS_BY_NAME, Filter
from vocabulary.states import TIER_STATE_LABELS, TierState

BATCH = FILTERS_BY_NAME[Filter.batch].label  # the manifest names the batch by its label, not its id


def member_key(uscc: str, tier: str) -> str:
    return f"{uscc}/{tier}"


async def _batch(repo: ExportRepository, batch_id: int) -> tuple[str, str]:
    """(label, notice window text) of a batch, or 404."""
    row = await repo.batch(batch_id)
    if row is None:
        raise ExportNotFound(f"批次 {batch_id} 不存在", batch=batch_id)
    window = f"公示期：{row.notice_from} 至 {row.notice_to}" if row.notice_from and row.notice_to else ""
    return str(row.label), window


async def certification(session: AsyncSession, params: ListParams) -> BuiltList:
    assert params.batch is not None
    repo = ExportRepository(session)
    label, _window = await _batch(repo, params.batch)
    rows = await repo.batch_members(
        batch_id=params.batch, states=(TierState.admitted.value,), noticed=False, tier=params.tier,
        bureau=params.bureau,
    )  # fmt: skip
    which = TIER_LABELS.get(params.tier, params.tier) if params.tier else "科技型企业"
    return BuiltList(
        title=f"天津市{label}入库{which}名单",
        rows=numbered(_member_rows(rows)),
        snapshot=_member_snapshot(rows),
        filter_labels={BATCH: label},
        explain=member_explainer(params.batch),
    )


async def public_notice(session: AsyncSession, params: ListParams) -> BuiltList:
    assert params.batch is not None
    repo = ExportRepository(session)
    label, window = await _batch(repo, params.batch)
    rows = await repo.batch_members(
        batch_id=params.batch, states=(TierState.public_notice.value,), noticed=True, tier=params.tier,
        bureau=params.bureau,
    )  # fmt: skip
    return BuiltList(
        title=f"天津市{label}拟入库科技型企业公示名单",
        rows=numbered(_member_rows(rows)),
        snapshot=_member_snapshot(rows),
        notes=tuple(n for n in (window, "名单含本批次进入公示的全部企业；“当前状态”为导出时的状态。") if n),
        filter_labels={BATCH: label},
        explain=member_explainer(params.batch),
    )


def _member_snapshot(rows: Rows) -> list[SnapshotRow]:
    return [
        SnapshotRow(member_key(r.uscc, r.tier), f"{r.name}（{TIER_LABELS.get(r.tier, r.tier)}）", None)
        for r in rows
    ]


def _member_rows(rows: Rows) -> Iterator[dict[str, Any]]:
    for r in rows:
        yield {
            "admission_no": r.admission_no, "uscc": r.uscc, "name": r.name,
            "tier_label": TIER_LABELS.get(r.tier, r.tier), "bureau_name": r.bureau_name, "district": r.district,
            "valid_from": r.valid_from, "state": TIER_STATE_LABELS.get(r.state, r.state),
        }  # fmt: skip

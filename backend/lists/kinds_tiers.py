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

from backend.lists.errors import ExportNotFound
from backend.lists.lists import BuiltList, no_column, numbered
from backend.lists.params import ListParams
from backend.lists.repository import ExportRepository, Rows
from backend.models import TIER_LABELS, TIER_STATE_LABELS, Tier, TierState
from exports.changes import SnapshotRow
from exports.columns import Column

CERTIFICATION_COLUMNS = (
    no_column(),
    Column("admission_no", "入库登记编号", "text", width=22),
    Column("uscc", "统一社会信用代码", "text", width=22),
    Column("name", "企业名称", "text", width=36),
    Column("tier_label", "梯度", "text", width=16),
    Column("bureau_name", "审查单位", "text", width=16),
    Column("district", "所在区", "text", width=10),
    Column("valid_from", "公告日期", "date", width=12),
)
NOTICE_COLUMNS = (
    no_column(),
    Column("uscc", "统一社会信用代码", "text", width=22),
    Column("name", "企业名称", "text", width=36),
    Column("tier_label", "梯度", "text", width=16),
    Column("bureau_name", "审查单位", "text", width=16),
    Column("district", "所在区", "text", width=10),
    Column("state", "当前状态", "text", width=14),
)


def tier_label(tier: str) -> str:
    try:
        return TIER_LABELS[Tier(tier)]
    except ValueError:
        return tier


def state_label(state: str) -> str:
    try:
        return TIER_STATE_LABELS[TierState(state)]
    except ValueError:
        return state


def member_key(uscc: str, tier: str) -> str:
    return f"{uscc}/{tier}"


async def _batch(repo: ExportRepository, batch_id: int) -> tuple[str, str]:
    """(label, notice window text) of a batch, or 404."""
    row = await repo.batch(batch_id)
    if row is None:
        raise ExportNotFound(f"批次 {batch_id} 不存在", batch=batch_id)
    window = f"公示期：{row[5]} 至 {row[6]}" if row[5] and row[6] else ""
    return str(row[3]), window


async def certification(session: AsyncSession, params: ListParams) -> BuiltList:
    assert params.batch is not None
    repo = ExportRepository(session)
    label, _window = await _batch(repo, params.batch)
    rows = await repo.batch_members(
        batch_id=params.batch, states=(TierState.admitted.value,), noticed=False, tier=params.tier,
        bureau=params.bureau,
    )  # fmt: skip
    which = tier_label(params.tier) if params.tier else "科技型企业"
    return BuiltList(
        title=f"天津市{label}入库{which}名单",
        columns=CERTIFICATION_COLUMNS,
        rows=numbered(_member_rows(rows)),
        snapshot=_member_snapshot(rows),
        group_key="tier_label",
        group_label="梯度",
        filter_labels={"批次": label},
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
        columns=NOTICE_COLUMNS,
        rows=numbered(_member_rows(rows)),
        snapshot=_member_snapshot(rows),
        group_key="tier_label",
        group_label="梯度",
        notes=tuple(n for n in (window, "名单含本批次进入公示的全部企业；“当前状态”为导出时的状态。") if n),
        filter_labels={"批次": label},
    )


def _member_snapshot(rows: Rows) -> list[SnapshotRow]:
    return [SnapshotRow(member_key(r[0], r[5]), f"{r[1]}（{tier_label(r[5])}）", None) for r in rows]


def _member_rows(rows: Rows) -> Iterator[dict[str, Any]]:
    for uscc, name, _code, bureau_name, district, tier, state, admission_no, _year, valid_from in rows:
        yield {
            "admission_no": admission_no, "uscc": uscc, "name": name, "tier_label": tier_label(tier),
            "bureau_name": bureau_name, "district": district, "valid_from": valid_from,
            "state": state_label(state),
        }  # fmt: skip

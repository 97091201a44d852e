"""Every query on firms and their identity revisions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.provenance import with_origin
from backend.core.security import Actor
from backend.models import Firm, FirmRevision, TierStatus
from importers import uscc as uscc_codes
from vocabulary.states import Role, TierState


@dataclass(frozen=True)
class FirmFilter:
    uscc_prefix: str | None = None
    name_fragment: str | None = None
    # One search box: the name contains the text, or the credit code contains it (after folding
    # full-width characters and case, as codes are stored).
    text: str | None = None
    bureau_code: str | None = None
    tier: str | None = None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def scope_conditions(actor: Actor) -> list[Any]:
    """The rows an actor may see, as SQL: the same rule as ``Actor.sees_firm``."""
    if actor.sees_every_firm:
        return []
    if actor.role is Role.bureau:
        return [col(Firm.bureau_code) == actor.bureau_code]
    return [col(Firm.id) == actor.firm_id]


# Every firm page and status asks this: built once (building costs more than running it cached).
_FIRM_BY_USCC = select(Firm).where(col(Firm.uscc) == bindparam("uscc"))
_FIRM_BY_USCC_FOR_UPDATE = _FIRM_BY_USCC.with_for_update()


class FirmRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_uscc(self, uscc: str, *, for_update: bool = False) -> Firm | None:
        statement = _FIRM_BY_USCC_FOR_UPDATE if for_update else _FIRM_BY_USCC
        return (await self.session.exec(statement, params={"uscc": uscc})).one_or_none()

    async def by_id(self, firm_id: int) -> Firm | None:
        return await self.session.get(Firm, firm_id)

    def _conditions(self, actor: Actor, where: FirmFilter) -> list[Any]:
        conditions = scope_conditions(actor)
        if where.uscc_prefix:
            conditions.append(col(Firm.uscc).startswith(where.uscc_prefix, autoescape=True))
        if where.name_fragment:
            conditions.append(col(Firm.name).ilike(f"%{_escape_like(where.name_fragment)}%", escape="\\"))
        if where.text:
            conditions.append(
                or_(
                    col(Firm.name).ilike(f"%{_escape_like(where.text)}%", escape="\\"),
                    col(Firm.uscc).contains(uscc_codes.normalize(where.text), autoescape=True),
                )
            )
        if where.bureau_code:
            conditions.append(col(Firm.bureau_code) == where.bureau_code)
        if where.tier:
            held = select(TierStatus.id).where(
                col(TierStatus.firm_id) == col(Firm.id),
                TierStatus.tier == where.tier,
                TierStatus.state == TierState.admitted,
            )
            conditions.append(held.exists())
        return conditions

    async def search(
        self, actor: Actor, where: FirmFilter, *, offset: int, limit: int
    ) -> tuple[Sequence[Firm], int]:
        conditions = self._conditions(actor, where)
        total = (await self.session.exec(select(func.count()).select_from(Firm).where(*conditions))).one()
        page = (
            select(Firm).where(*conditions).order_by(col(Firm.name), col(Firm.id)).offset(offset).limit(limit)
        )
        return (await self.session.exec(page)).all(), int(total)

    async def held_tiers(self, firm_ids: Sequence[int]) -> dict[int, list[str]]:
        if not firm_ids:
            return {}
        rows = await self.session.exec(
            select(TierStatus.firm_id, TierStatus.tier)
            .where(col(TierStatus.firm_id).in_(firm_ids), TierStatus.state == TierState.admitted)
            .distinct()
        )
        held: dict[int, list[str]] = {}
        for firm_id, tier in rows.all():
            held.setdefault(firm_id, []).append(tier)
        return held

    async def revisions(self, firm_id: int) -> Sequence[tuple[FirmRevision, str | None, str | None]]:
        statement = (
            with_origin(FirmRevision)
            .where(FirmRevision.firm_id == firm_id)
            .order_by(col(FirmRevision.revision_no))
        )
        rows: Sequence[tuple[FirmRevision, str | None, str | None]] = (
            await self.session.exec(statement)
        ).all()
        return rows

    def add(self, row: Firm | FirmRevision) -> None:
        self.session.add(row)

"""Reading awards: the scoped list, one award with its history, and the rows of a 拨付清单."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.awards.access import scope_of
from backend.awards.errors import AwardNotFound
from backend.awards.repository import AwardFilter, AwardRepository, Scope
from backend.awards.schemas import AwardDetail, AwardEventRead, AwardRead
from backend.core.security import Actor
from backend.models import Award


async def list_awards(
    session: AsyncSession, actor: Actor, where: AwardFilter, *, offset: int, limit: int
) -> tuple[list[Award], int]:
    """Live (not superseded) awards the actor may see, newest year first, and how many there are."""
    return await AwardRepository(session).page(scope_of(actor), where, offset=offset, limit=limit)


@dataclass(frozen=True)
class AwardLine:
    """An award as a list shows it: with its firm's credit code and name."""

    award: AwardRead
    uscc: str
    firm_name: str


async def list_award_lines(
    session: AsyncSession, actor: Actor, where: AwardFilter, *, offset: int, limit: int
) -> tuple[list[AwardLine], int]:
    """``list_awards`` with each award's firm (one more query per page, not per row)."""
    repo = AwardRepository(session)
    awards, total = await repo.page(scope_of(actor), where, offset=offset, limit=limit)
    firms = await repo.firms(sorted({a.firm_id for a in awards}))
    lines = []
    for award in awards:
        firm = firms.get(award.firm_id)
        lines.append(
            AwardLine(
                award=AwardRead.model_validate(award),
                uscc=firm.uscc if firm is not None else "",
                firm_name=firm.name if firm is not None else f"企业 #{award.firm_id}",
            )
        )
    return lines, total


async def get_award(session: AsyncSession, actor: Actor, award_id: int) -> AwardDetail:
    """One award, its events and its correction chain (oldest first, itself included)."""
    repo = AwardRepository(session)
    award = await repo.get(award_id, scope_of(actor))
    if award is None:
        raise AwardNotFound([award_id])
    chain = [award]
    # The chain belongs to the same firm, program and year: seeing one award means seeing them all.
    while chain[0].corrects_id is not None and (older := await repo.get(chain[0].corrects_id, Scope())):
        chain.insert(0, older)
    while chain[-1].id is not None and (newer := await repo.corrected_by(chain[-1].id)):
        chain.append(newer)
    events = await repo.events([award_id])
    return AwardDetail(
        **AwardRead.model_validate(award).model_dump(),
        events=[AwardEventRead.model_validate(e) for e in events],
        chain=[AwardRead.model_validate(a) for a in chain],
    )

"""Reading awards: the scoped list, one award with its history, and the rows of a 拨付清单."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.awards.errors import AwardNotFound
from backend.awards.repository import AwardFilter, AwardRepository, Scope
from backend.awards.schemas import AwardDetail, AwardEventRead, AwardRead
from backend.awards.service import scope_of
from backend.core.security import Actor
from backend.models import Award


async def list_awards(
    session: AsyncSession, actor: Actor, where: AwardFilter, *, offset: int, limit: int
) -> tuple[list[Award], int]:
    """Live (not superseded) awards the actor may see, newest year first, and how many there are."""
    return await AwardRepository(session).page(scope_of(actor), where, offset=offset, limit=limit)


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

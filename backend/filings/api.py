"""A firm's filings by fiscal year, their changes and their revision history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from backend.auth.deps import ActorDep
from backend.core.db import SessionDep
from backend.core.openapi import error_responses
from backend.filings import service as filing_service
from backend.filings.schemas import FilingCreate, FilingRead, FilingRevisionRead, FilingUpdate
from backend.firms.params import UsccPath
from vocabulary.figures import ATTRIBUTES_BY_NAME

router = APIRouter(prefix="/api/firms/{uscc}/filings", tags=["filings"])
_YEAR = ATTRIBUTES_BY_NAME["fiscal_year"]
Year = Annotated[int, Path(ge=_YEAR.minimum, le=_YEAR.maximum, description=_YEAR.label)]


@router.get("", response_model=list[FilingRead], responses=error_responses(401, 403, 404, 422))
async def list_filings(uscc: UsccPath, session: SessionDep, actor: ActorDep) -> list[FilingRead]:
    """The current figures of every fiscal year, newest first."""
    return await filing_service.current_filings(session, actor, uscc)


@router.post(
    "", status_code=201, response_model=FilingRead, responses=error_responses(401, 403, 404, 409, 422)
)
async def create_filing(
    uscc: UsccPath, body: FilingCreate, session: SessionDep, actor: ActorDep
) -> FilingRead:
    """File a fiscal year's figures (its first revision)."""
    return await filing_service.create_filing(session, actor, uscc, body)


@router.get("/{fiscal_year}", response_model=FilingRead, responses=error_responses(401, 403, 404, 422))
async def read_filing(uscc: UsccPath, fiscal_year: Year, session: SessionDep, actor: ActorDep) -> FilingRead:
    """The current figures of one fiscal year."""
    return await filing_service.current_filing(session, actor, uscc, fiscal_year)


@router.patch("/{fiscal_year}", response_model=FilingRead, responses=error_responses(401, 403, 404, 422))
async def revise_filing(
    uscc: UsccPath, fiscal_year: Year, body: FilingUpdate, session: SessionDep, actor: ActorDep
) -> FilingRead:
    """Change some figures; the result is a new revision and the old one stays readable."""
    return await filing_service.revise_filing(session, actor, uscc, fiscal_year, body)


@router.get(
    "/{fiscal_year}/revisions",
    response_model=list[FilingRevisionRead],
    responses=error_responses(401, 403, 404, 422),
)
async def filing_revisions(
    uscc: UsccPath, fiscal_year: Year, session: SessionDep, actor: ActorDep
) -> list[FilingRevisionRead]:
    """Every revision of one fiscal year: figures, changes, who made it and from which file and row."""
    return await filing_service.revision_history(session, actor, uscc, fiscal_year)

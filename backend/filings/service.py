"""Read and change filings. A change never overwrites: it appends a revision.

Scope follows the firm (see ``firms.service``); finance users do not read filings at all.
"""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.audit import service as audit
from backend.core import clock
from backend.core.errors import Forbidden, Unprocessable
from backend.core.provenance import Origin, manual
from backend.core.provenance_schemas import ProvenanceRead
from backend.core.security import Actor
from backend.filings.errors import DuplicateFiling, FilingNotFound
from backend.filings.repository import FilingRepository
from backend.filings.schemas import FieldChange, FilingCreate, FilingRead, FilingRevisionRead, FilingUpdate
from backend.firms import service as firm_service
from backend.models import Filing, FilingFigures, FilingRevision, Firm

FIGURES = tuple(FilingFigures.model_fields)


def _require_reader(actor: Actor) -> None:
    if not actor.reads_filings:
        raise Forbidden("当前角色无权查看企业申报数据")


def _require_editor(actor: Actor) -> None:
    if not actor.edits_filings:
        raise Forbidden("当前角色无权修改企业申报数据")


def figures_of(row: FilingFigures) -> dict[str, Any]:
    return {name: getattr(row, name) for name in FIGURES}


async def current_filings(session: AsyncSession, actor: Actor, raw_uscc: str) -> list[FilingRead]:
    """The current revision of every fiscal year's filing, newest year first."""
    _require_reader(actor)
    firm = await firm_service.get_visible(session, actor, raw_uscc)
    assert firm.id is not None
    rows = await FilingRepository(session).current(firm.id)
    return [_read(filing, revision, username, file_name) for revision, username, file_name, filing in rows]


async def current_filing(session: AsyncSession, actor: Actor, raw_uscc: str, fiscal_year: int) -> FilingRead:
    for filing in await current_filings(session, actor, raw_uscc):
        if filing.fiscal_year == fiscal_year:
            return filing
    raise FilingNotFound(raw_uscc.strip().upper(), fiscal_year)


async def create_filing(
    session: AsyncSession, actor: Actor, raw_uscc: str, data: FilingCreate, *, origin: Origin | None = None
) -> FilingRead:
    """The first revision of a fiscal year's filing; 409 when that year is already filed."""
    _require_reader(actor)
    _require_editor(actor)
    firm = await firm_service.get_visible(session, actor, raw_uscc, for_update=True)
    assert firm.id is not None
    _check_year(firm, data.fiscal_year)
    repo = FilingRepository(session)
    if await repo.get(firm.id, data.fiscal_year) is not None:
        raise DuplicateFiling(firm.uscc, data.fiscal_year)
    figures = {name: getattr(data, name) for name in FIGURES}
    _check_figures(figures)
    filing = Filing(firm_id=firm.id, fiscal_year=data.fiscal_year, current_revision_no=1)
    repo.add(filing)
    await session.flush()
    _append(session, actor, filing, figures, origin or manual(data.note))
    await audit.record(
        session,
        actor,
        "filing.create",
        "filing",
        _entity_id(firm, filing),
        after={"fiscal_year": filing.fiscal_year, "revision_no": 1, **audit.snapshot(figures)},  # type: ignore[dict-item]
    )
    await session.flush()
    return await current_filing(session, actor, firm.uscc, filing.fiscal_year)


async def revise_filing(
    session: AsyncSession,
    actor: Actor,
    raw_uscc: str,
    fiscal_year: int,
    data: FilingUpdate,
    *,
    origin: Origin | None = None,
) -> FilingRead:
    """Append a revision carrying the sent figures over the current ones; no change, no revision."""
    _require_reader(actor)
    _require_editor(actor)
    firm = await firm_service.get_visible(session, actor, raw_uscc)
    assert firm.id is not None
    repo = FilingRepository(session)
    filing = await repo.get(firm.id, fiscal_year, for_update=True)  # serialises concurrent revisions
    if filing is None or filing.id is None:
        raise FilingNotFound(firm.uscc, fiscal_year)
    current = figures_of(await repo.revision(filing.id, filing.current_revision_no))
    updated = current | data.model_dump(exclude_unset=True, exclude={"note"})
    _check_figures(updated)
    if updated == current:
        return await current_filing(session, actor, firm.uscc, fiscal_year)
    filing.current_revision_no += 1
    filing.updated_at = clock.utc_now()
    session.add(filing)
    _append(session, actor, filing, updated, origin or manual(data.note))
    changed = {k for k in updated if updated[k] != current[k]}
    await audit.record(
        session,
        actor,
        "filing.revise",
        "filing",
        _entity_id(firm, filing),
        before={"revision_no": filing.current_revision_no - 1, **{k: current[k] for k in sorted(changed)}},
        after={"revision_no": filing.current_revision_no, **{k: updated[k] for k in sorted(changed)}},
    )
    await session.flush()
    return await current_filing(session, actor, firm.uscc, fiscal_year)


async def revision_history(
    session: AsyncSession, actor: Actor, raw_uscc: str, fiscal_year: int
) -> list[FilingRevisionRead]:
    """Every revision, oldest first: its figures, what changed, who made it and from where."""
    _require_reader(actor)
    firm = await firm_service.get_visible(session, actor, raw_uscc)
    assert firm.id is not None
    repo = FilingRepository(session)
    filing = await repo.get(firm.id, fiscal_year)
    if filing is None or filing.id is None:
        raise FilingNotFound(firm.uscc, fiscal_year)
    history: list[FilingRevisionRead] = []
    previous: dict[str, Any] = dict.fromkeys(FIGURES)
    for revision, username, file_name in await repo.revisions(filing.id):
        figures = figures_of(revision)
        changes = [
            FieldChange(field=k, before=previous[k], after=v) for k, v in figures.items() if v != previous[k]
        ]
        history.append(
            FilingRevisionRead(
                **figures,
                revision_no=revision.revision_no,
                provenance=ProvenanceRead.of(revision, username, file_name),
                changes=changes,
            )
        )
        previous = figures
    return history


def _append(
    session: AsyncSession, actor: Actor, filing: Filing, figures: dict[str, Any], origin: Origin
) -> None:
    revision = FilingRevision.model_validate(
        {
            **figures,
            "filing_id": filing.id,
            "revision_no": filing.current_revision_no,
            **origin.columns(actor),
        }
    )
    FilingRepository(session).add(revision)


def _entity_id(firm: Firm, filing: Filing) -> str:
    return f"{firm.uscc}/{filing.fiscal_year}"


def _check_year(firm: Firm, fiscal_year: int) -> None:
    this_year = clock.today().year
    if fiscal_year > this_year:
        raise Unprocessable("fiscal_year", fiscal_year, f"会计年度不能晚于今年（{this_year}）")
    if fiscal_year < firm.registered_on.year:
        raise Unprocessable(
            "fiscal_year", fiscal_year, f"会计年度早于企业注册年份（{firm.registered_on.year}）"
        )


def _check_figures(figures: dict[str, Any]) -> None:
    """Cross-field rules a single field's validation cannot see (also after a partial update)."""
    staff, employees = figures.get("tech_staff"), figures.get("employees")
    if staff is not None and employees is not None and staff > employees:
        raise Unprocessable("tech_staff", staff, f"科技人员数（{staff}）不能超过职工总数（{employees}）")
    domestic, total = figures.get("rd_domestic_yuan"), figures.get("rd_expense_yuan")
    if domestic is not None and total is not None and domestic > total:
        raise Unprocessable(
            "rd_domestic_yuan", domestic, f"境内研发费用（{domestic} 元）不能超过研发费用总额（{total} 元）"
        )


def _read(
    filing: Filing, revision: FilingRevision, username: str | None, file_name: str | None
) -> FilingRead:
    return FilingRead(
        **figures_of(revision),
        fiscal_year=filing.fiscal_year,
        revision_no=filing.current_revision_no,
        updated_at=filing.updated_at,
        provenance=ProvenanceRead.of(revision, username, file_name),
    )

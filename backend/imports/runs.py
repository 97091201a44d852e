"""What every kind of import shares: the upload, the run row with its file and issues, duplicates."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.audit import service as audit
from backend.core.errors import Forbidden, NotFound, Unprocessable
from backend.core.security import Actor
from backend.imports.repository import ImportRepository
from backend.models import ImportFile, ImportRun
from importers.errors import ImportRejected
from importers.filings import Issue
from importers.limits import DEFAULT_LIMITS, Limits
from vocabulary.imports import IMPORTS_BY_KIND, ImportKind, ImportSpec
from vocabulary.states import Role, roles_text


@dataclass(frozen=True)
class Upload:
    """A file to import and how the user asked for it to be read."""

    content: bytes
    file_name: str
    fiscal_year: int | None = None
    sheet: str | None = None
    source: str = "upload"  # upload | cli | inbox
    limits: Limits = DEFAULT_LIMITS
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", hashlib.sha256(self.content).hexdigest())


def may_import(actor: Actor, kind: ImportKind | str) -> ImportSpec:
    """What ``kind`` imports, or 403 when the actor's role may not import it (its spec says who)."""
    spec = IMPORTS_BY_KIND[ImportKind(kind)]
    if actor.role not in spec.roles:
        raise Forbidden(f"{spec.label}只能由{roles_text(spec.roles)}导入")
    return spec


class ImportRefused(Unprocessable):
    """The whole file is refused (not a spreadsheet, too large, no header …): nothing is written."""

    code = "import.rejected"

    def __init__(self, rejected: ImportRejected) -> None:
        super().__init__("file", None, rejected.message)
        self.context = {
            "errors": [{"field": "file", "value": None, "message": rejected.message}],
            **rejected.context,
        }


class ImportNotFound(NotFound):
    code = "import.not_found"

    def __init__(self, run_id: int) -> None:
        super().__init__(f"未找到导入批次 #{run_id}", run_id=run_id)


@dataclass
class Outcome:
    run: ImportRun
    issues_total: int


def may_see(actor: Actor, run: ImportRun) -> bool:
    if actor.role in (Role.city, Role.admin):
        return True
    return actor.role is Role.bureau and run.bureau_code is not None and run.bureau_code == actor.bureau_code


async def store_run(repo: ImportRepository, run: ImportRun, content: bytes, issues: Sequence[Issue]) -> None:
    """The run, its file and its issues (in sheet, row, column order)."""
    repo.add(run)
    await repo.session.flush()
    assert run.id is not None
    repo.add(ImportFile(import_run_id=run.id, content=content))
    await repo.store_issues(run.id, sorted_issues(issues))


def sorted_issues(issues: Sequence[Issue]) -> list[Issue]:
    def key(issue: Issue) -> tuple[str, int, int, str, int]:
        column = issue.column or ""
        return issue.sheet, issue.row or 0, len(column), column, 0 if issue.severity == "error" else 1

    return sorted(issues, key=key)


async def finish(session: AsyncSession, run: ImportRun, started: float) -> Outcome:
    run.duration_ms += int((time.perf_counter() - started) * 1000)
    session.add(run)
    await session.flush()
    return Outcome(run, int(run.counts.get("errors", 0)) + int(run.counts.get("warnings", 0)))


async def record_duplicate(
    session: AsyncSession, actor: Actor, earlier: ImportRun, upload: Upload, code: str | None
) -> Outcome:
    """The same bytes again: recorded, pointing at the run that committed them, nothing applied."""
    run = ImportRun(
        kind=earlier.kind, file_name=upload.file_name, file_kind=earlier.file_kind, file_size=len(upload.content),
        sha256=upload.sha256, bureau_code=code, created_by_id=actor.user_id, actor_label=actor.label,
        source=upload.source, status="duplicate", duplicate_of_id=earlier.id, sheet=earlier.sheet,
        header_row=earlier.header_row, counts={"duplicate_of": earlier.id},
    )  # fmt: skip
    session.add(run)
    await session.flush()
    assert run.id is not None
    await audit.record(session, actor, "import.duplicate", "import_run", run.id, after=audited(run))
    return Outcome(run, 0)


def audited(run: ImportRun) -> dict[str, Any]:
    return {"file": run.file_name, "sha256": run.sha256, "status": run.status, **run.counts}


def nothing_imported(outcome: Outcome) -> bool:
    """No row of the file could be (or would be) imported; a duplicate file is no failure."""
    counts = outcome.run.counts
    if outcome.run.status == "duplicate":
        return False
    read = int(counts.get("rows_read", 0))
    return read == 0 or int(counts.get("error_rows", 0)) >= read

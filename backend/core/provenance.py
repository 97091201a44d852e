"""Where a new revision comes from; services stamp it on every row they append."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from backend.core.security import Actor
from backend.models import FilingRevision, FirmRevision, ImportRun, Source, User


@dataclass(frozen=True)
class Origin:
    source: Source
    import_run_id: int | None = None
    sheet: str | None = None
    row: int | None = None
    note: str | None = None

    def columns(self, actor: Actor) -> dict[str, object]:
        return {
            "source": self.source.value,
            "import_run_id": self.import_run_id,
            "source_sheet": self.sheet,
            "source_row": self.row,
            "note": self.note,
            "created_by_id": actor.user_id,
        }


def manual(note: str | None = None) -> Origin:
    return Origin(Source.manual, note=note)


def with_origin(revision: type[FilingRevision] | type[FirmRevision]) -> Any:
    """SELECT revision, username, import file name: a revision row with who and where it came from."""
    return (
        select(revision, User.username, ImportRun.file_name)
        .outerjoin(User, col(User.id) == col(revision.created_by_id))
        .outerjoin(ImportRun, col(ImportRun.id) == col(revision.import_run_id))
    )

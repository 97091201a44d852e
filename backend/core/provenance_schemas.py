"""How a revision's origin is shown: who, when, from which file, sheet and row."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from backend.models import Provenance


class ProvenanceRead(BaseModel):
    source: str  # manual | import | demo | system
    created_at: datetime
    created_by: str | None  # username; None for demo data, jobs and CLI commands
    import_run_id: int | None
    file_name: str | None
    sheet: str | None
    row: int | None
    note: str | None

    @classmethod
    def of(cls, row: Provenance, username: str | None, file_name: str | None) -> ProvenanceRead:
        return cls(
            source=row.source,
            created_at=row.created_at,
            created_by=username,
            import_run_id=row.import_run_id,
            file_name=file_name,
            sheet=row.source_sheet,
            row=row.source_row,
            note=row.note,
        )

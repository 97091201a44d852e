"""Drop the single-column indexes on firm_revision.firm_id and filing_revision.filing_id.

Each is covered by the unique (…_id, revision_no) index that leads with the same column, so it only
cost writes: an import of 100,000 firms maintained both for every row.

Revision ID: 0005_drop_covered_indexes
Revises: 0004_imports_jobs
Create Date: 2026-12-02 22:15:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_drop_covered_indexes"
down_revision: str | None = "0004_imports_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_firm_revision_firm_id", table_name="firm_revision")
    op.drop_index("ix_filing_revision_filing_id", table_name="filing_revision")


def downgrade() -> None:
    op.create_index("ix_filing_revision_filing_id", "filing_revision", ["filing_id"])
    op.create_index("ix_firm_revision_firm_id", "firm_revision", ["firm_id"])

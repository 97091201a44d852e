"""The experts' 高企 recognition total (高企认定专家评审总分) as a filing figure.

Once experts have scored a firm (国科发火〔2016〕32号, 工作指引 国科发火〔2016〕195号) the bureau
enters their total, 0–100; the hte rule set decides on it instead of the interval it otherwise
bounds from the sub-scores. Nullable: a filing without it keeps today's decision.

Revision ID: 0009_hte_score_total
Revises: 0008_history_without_row_checks
Create Date: 2026-12-07 20:05:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_hte_score_total"
down_revision: str | None = "0008_history_without_row_checks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("filing_revision", sa.Column("hte_score_total", sa.Integer(), nullable=True))
    op.create_check_constraint(
        op.f("ck_filing_revision_hte_score_total_range"),
        "filing_revision",
        "hte_score_total BETWEEN 0 AND 100",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_filing_revision_hte_score_total_range"), "filing_revision", type_="check")
    op.drop_column("filing_revision", "hte_score_total")

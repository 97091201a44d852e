"""Where index scores stand within each peer group, written by the evaluation run.

A firm's percentile among its bureau's and its tech field's peers was counted over every latest
stored score of the year on each status request; ``score_distribution`` holds each group's
distinct scores with how many peers score at or below each, in rows of at most 1,000 scores,
so the status reads one row. Filled here from the decisions already stored.

Revision ID: 0010_score_distribution
Revises: 0009_hte_score_total
Create Date: 2026-12-08 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010_score_distribution"
down_revision: str | None = "0009_hte_score_total"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The evaluation run's rebuild (backend/evaluations/repository.py) as of this revision, for every
# program and year with stored scores.
FILL = """
INSERT INTO score_distribution
    (program, year, peer_kind, peer_value, top_score, peers, below, scores, at_or_below, firm_revision_id)
WITH scored AS (
    SELECT l.program, l.year, e.score, f.bureau_code, f.tech_field
    FROM evaluation_latest l
    JOIN evaluation e ON e.id = l.evaluation_id
    JOIN firm f ON f.id = l.firm_id
    WHERE e.score IS NOT NULL
), grouped AS (
    SELECT program, year, 'bureau' AS peer_kind, bureau_code AS peer_value, score, count(*) AS n
    FROM scored GROUP BY program, year, bureau_code, score
    UNION ALL
    SELECT program, year, 'tech_field', tech_field, score, count(*)
    FROM scored WHERE tech_field IS NOT NULL GROUP BY program, year, tech_field, score
), ranked AS (
    SELECT program, year, peer_kind, peer_value, score, n,
           sum(n) OVER (PARTITION BY program, year, peer_kind, peer_value ORDER BY score) AS at_or_below,
           sum(n) OVER (PARTITION BY program, year, peer_kind, peer_value) AS peers,
           (row_number() OVER (PARTITION BY program, year, peer_kind, peer_value ORDER BY score) - 1) / 1000 AS part
    FROM grouped
)
SELECT program, year, peer_kind, peer_value, max(score), max(peers)::int, min(at_or_below - n)::int,
       array_agg(score ORDER BY score), array_agg(at_or_below::int ORDER BY score),
       (SELECT coalesce(max(id), 0) FROM firm_revision)
FROM ranked GROUP BY program, year, peer_kind, peer_value, part
"""


def upgrade() -> None:
    op.create_table(
        "score_distribution",
        sa.Column("program", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("peer_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("peer_value", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("top_score", sa.Float(), nullable=False),
        sa.Column("peers", sa.Integer(), nullable=False),
        sa.Column("below", sa.Integer(), nullable=False),
        sa.Column("scores", postgresql.ARRAY(sa.Float()), nullable=False),
        sa.Column("at_or_below", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("firm_revision_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "program", "year", "peer_kind", "peer_value", "top_score", name=op.f("pk_score_distribution")
        ),
    )
    op.execute(FILL)


def downgrade() -> None:
    op.drop_table("score_distribution")

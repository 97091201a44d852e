"""Evaluations (immutable decisions, the rule versions and fact snapshots behind them), awards,
and the 高企 expert-scored parts of a filing.

Revision ID: 0003_evaluations_awards
Revises: 0002_reference_data
Create Date: 2026-11-22 05:12:39.085288+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_evaluations_awards"
down_revision: str | None = "0002_reference_data"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Decisions and what they were made from are evidence: never rewritten.
APPEND_ONLY = ("evaluation", "fact_snapshot", "ruleset_version")


def upgrade() -> None:
    op.create_table(
        "ruleset_version",
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("program", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("document", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("first_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("content_hash", name=op.f("pk_ruleset_version")),
    )
    op.create_table(
        "award",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("firm_id", sa.BigInteger(), nullable=False),
        sa.Column("program", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount_yuan", sa.BigInteger(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("ruleset_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("corrects_id", sa.BigInteger(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_yuan >= 0", name=op.f("ck_award_amount_non_negative")),
        sa.ForeignKeyConstraint(["corrects_id"], ["award.id"], name=op.f("fk_award_corrects_id_award")),
        sa.ForeignKeyConstraint(["firm_id"], ["firm.id"], name=op.f("fk_award_firm_id_firm")),
        sa.ForeignKeyConstraint(
            ["ruleset_hash"],
            ["ruleset_version.content_hash"],
            name=op.f("fk_award_ruleset_hash_ruleset_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award")),
        sa.UniqueConstraint("corrects_id", name=op.f("uq_award_corrects_id")),
    )
    op.create_index(op.f("ix_award_firm_id"), "award", ["firm_id"], unique=False)
    op.create_index(
        "uq_award_live",
        "award",
        ["firm_id", "program", "year"],
        unique=True,
        postgresql_where=sa.text("state <> 'superseded'"),
    )
    op.create_table(
        "fact_snapshot",
        sa.Column("snapshot_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("firm_id", sa.BigInteger(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("facts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["firm_id"], ["firm.id"], name=op.f("fk_fact_snapshot_firm_id_firm")),
        sa.PrimaryKeyConstraint("snapshot_hash", name=op.f("pk_fact_snapshot")),
    )
    op.create_index(op.f("ix_fact_snapshot_firm_id"), "fact_snapshot", ["firm_id"], unique=False)
    op.create_table(
        "evaluation",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("firm_id", sa.BigInteger(), nullable=False),
        sa.Column("program", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("ruleset_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("evaluated_on", sa.Date(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("failing", sa.Integer(), nullable=False),
        sa.Column("amount_yuan", sa.BigInteger(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("criteria", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("missing", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("inputs_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("snapshot_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("run_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["firm_id"], ["firm.id"], name=op.f("fk_evaluation_firm_id_firm")),
        sa.ForeignKeyConstraint(
            ["ruleset_hash"],
            ["ruleset_version.content_hash"],
            name=op.f("fk_evaluation_ruleset_hash_ruleset_version"),
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_hash"],
            ["fact_snapshot.snapshot_hash"],
            name=op.f("fk_evaluation_snapshot_hash_fact_snapshot"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation")),
    )
    op.create_index(
        "ix_evaluation_firm_program_year", "evaluation", ["firm_id", "program", "year"], unique=False
    )
    op.create_table(
        "evaluation_latest",
        sa.Column("firm_id", sa.BigInteger(), nullable=False),
        sa.Column("program", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.BigInteger(), nullable=False),
        sa.Column("ruleset_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("inputs_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"], ["evaluation.id"], name=op.f("fk_evaluation_latest_evaluation_id_evaluation")
        ),
        sa.ForeignKeyConstraint(["firm_id"], ["firm.id"], name=op.f("fk_evaluation_latest_firm_id_firm")),
        sa.PrimaryKeyConstraint("firm_id", "program", "year", name=op.f("pk_evaluation_latest")),
    )
    op.add_column("filing_revision", sa.Column("hte_score_ip_quality", sa.Integer(), nullable=True))
    op.add_column("filing_revision", sa.Column("hte_score_conversion", sa.Integer(), nullable=True))
    op.add_column("filing_revision", sa.Column("hte_score_management", sa.Integer(), nullable=True))
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION tidu_forbid_change()"
        )


def downgrade() -> None:
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.drop_column("filing_revision", "hte_score_management")
    op.drop_column("filing_revision", "hte_score_conversion")
    op.drop_column("filing_revision", "hte_score_ip_quality")
    op.drop_table("evaluation_latest")
    op.drop_index("ix_evaluation_firm_program_year", table_name="evaluation")
    op.drop_table("evaluation")
    op.drop_index(op.f("ix_fact_snapshot_firm_id"), table_name="fact_snapshot")
    op.drop_table("fact_snapshot")
    op.drop_index("uq_award_live", table_name="award", postgresql_where=sa.text("state <> 'superseded'"))
    op.drop_index(op.f("ix_award_firm_id"), table_name="award")
    op.drop_table("award")
    op.drop_table("ruleset_version")
